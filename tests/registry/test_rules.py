"""The registry's rules, one test each: what is refused says why, and writes nothing.

Every refusal is checked three ways: the error's class and stable code, a message that tells
the user what is wrong (which batch, what is held, which precision), and a database left
exactly as it was (the log's size and every row of the registry's and accounts' tables).
"""

from __future__ import annotations

import inspect
import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Role
from ecocredit.accounts.tables import account_roles
from ecocredit.accounts.tables import accounts as accounts_table
from ecocredit.errors import (
    AlreadyIssued,
    EcocreditError,
    InsufficientBalance,
    InvalidParameter,
    NotFound,
    PermissionDenied,
    PrecisionExceeded,
)
from ecocredit.ledger import store
from ecocredit.ledger.tables import ledger_entries
from ecocredit.registry import service as registry
from ecocredit.registry import tables as rt
from ecocredit.registry.amounts import parse_amount
from ecocredit.registry.model import RetirementRequest, Supply
from tests.registry.conftest import SHA, Registry

C = 1_000_000  # units of one credit of type C (precision 6)
TABLES: list[Table] = [
    accounts_table,
    account_roles,
    ledger_entries,
    rt.credit_types,
    rt.classes,
    rt.class_issuers,
    rt.projects,
    rt.reports,
    rt.batches,
    rt.blocks,
    rt.entities,
    rt.retirements,
    rt.cancellations,
]
UNKNOWN_BATCH = "C01-001-20260101-20261231-009"


# Helpers shared with test_concurrency and test_stateful -----------------------------------


def snapshot(session: Session) -> dict[str, Any]:
    """The log's size and every row of the tables a registry operation may write."""
    state: dict[str, Any] = {"ledger size": store.read_head(session).size}
    for table in TABLES:
        state[table.name] = sorted((tuple(r) for r in session.execute(select(table))), key=repr)
    return state


def holdings(session: Session) -> Counter[tuple[str, str, str]]:
    """Units held per (batch, account, state), read from the serial blocks."""
    b = rt.blocks.c
    rows = session.execute(
        select(rt.batches.c.denom, accounts_table.c.name, b.state, b.first, b.last)
        .join(rt.batches, rt.batches.c.id == b.batch_id)
        .join(accounts_table, accounts_table.c.id == b.owner_id)
    )
    held: Counter[tuple[str, str, str]] = Counter()
    for denom, name, state, first, last in rows:
        held[(denom, name, state)] += last - first + 1
    return held


def supply(session: Session, denom: str) -> Supply:
    """A batch's supply columns."""
    c = rt.batches.c
    row = session.execute(
        select(c.issued, c.tradable, c.retired, c.cancelled, c.buffer).where(c.denom == denom)
    ).one()
    return Supply(*(int(v) for v in row))


def check_registry(session: Session) -> None:
    """Every batch conserves its supply and its blocks partition 1..issued, by state."""
    b = rt.blocks.c
    for batch in session.execute(select(rt.batches)).all():
        found = Supply(batch.issued, batch.tradable, batch.retired, batch.cancelled, batch.buffer)
        assert found.conserved, f"{batch.denom}: {found} is not conserved"
        assert min(found.tradable, found.retired, found.cancelled, found.buffer) >= 0, found
        rows = session.execute(
            select(b.first, b.last, b.state, b.op).where(b.batch_id == batch.id).order_by(b.first)
        ).all()
        by_state: Counter[str] = Counter()
        expected_first = 1
        for first, last, state, op in rows:
            assert first == expected_first, f"{batch.denom}: block {first}-{last} after a gap"
            assert first <= last, f"{batch.denom}: empty block {first}-{last}"
            assert (op is not None) == (state in ("retired", "cancelled")), (first, state, op)
            by_state[state] += last - first + 1
            expected_first = last + 1
        assert expected_first - 1 == batch.issued, f"{batch.denom}: blocks end before issued"
        assert by_state == Counter(
            {
                k: v
                for k, v in {
                    "tradable": found.tradable,
                    "retired": found.retired,
                    "cancelled": found.cancelled,
                    "buffer": found.buffer,
                }.items()
                if v
            }
        ), f"{batch.denom}: blocks {dict(by_state)} disagree with supply {found}"
        retired = session.execute(
            select(rt.retirements.c.amount).where(rt.retirements.c.batch_id == batch.id)
        ).scalars()
        assert sum(retired) == found.retired
        cancelled = session.execute(
            select(rt.cancellations.c.amount).where(rt.cancellations.c.batch_id == batch.id)
        ).scalars()
        assert sum(cancelled) == found.cancelled


# Helpers of this file --------------------------------------------------------------------


def state_of(reg: Registry) -> dict[str, Any]:
    with reg.runtime.db.read() as session:
        return snapshot(session)


def held(reg: Registry) -> Counter[tuple[str, str, str]]:
    with reg.runtime.db.read() as session:
        return holdings(session)


def supply_of(reg: Registry, denom: str) -> Supply:
    with reg.runtime.db.read() as session:
        return supply(session, denom)


def assert_sound(reg: Registry) -> None:
    with reg.runtime.db.read() as session:
        check_registry(session)


def refused(
    reg: Registry,
    error: type[EcocreditError],
    says: list[str],
    name: str,
    op: Callable[..., Any],
    *args: Any,
) -> EcocreditError:
    """Run ``op`` as ``name``; it must raise ``error`` saying ``says`` and write nothing."""
    before = state_of(reg)
    with pytest.raises(error) as caught:
        reg.as_(name, op, *args)
    err = caught.value
    assert type(err) is error, f"{type(err).__name__}: {err.message}"
    for phrase in says:
        assert phrase in err.message, f"{phrase!r} not in {err.message!r}"
    assert state_of(reg) == before, "a refused operation wrote something"
    return err


def report(reg: Registry, verified: str) -> str:
    """File another report on the fixture's project; return its id."""
    out = reg.as_(
        "verifier", registry.file_report, reg.project, "2026-01-01", "2026-12-31", verified, SHA
    )
    return str(out["report"])


def open_account(reg: Registry, name: str, *roles: Role) -> None:
    reg.write(lambda s: accounts.create_account(s, name, list(roles), "admin"))


def units(reg: Registry, name: str, state: str = "tradable") -> int:
    return held(reg)[(reg.batch, name, state)]


CN = RetirementRequest("CN-BJ")


# Conservation and serial blocks ----------------------------------------------------------


def credits(*figures: str) -> Supply:
    """A supply written in credits: issued, tradable, retired, cancelled, buffer."""
    return Supply(*(parse_amount(f, 6, zero=True) for f in figures))


def test_supply_is_conserved_after_every_operation(reg: Registry) -> None:
    assert supply_of(reg, reg.batch) == credits("1000", "900", "0", "0", "100")
    steps: list[tuple[str, Callable[..., Any], tuple[Any, ...], Supply]] = [
        (
            "alice",
            registry.transfer,
            (reg.batch, "bob", "10.5"),
            credits("1000", "900", "0", "0", "100"),
        ),
        (
            "bob",
            registry.retire,
            (reg.batch, "3.25", CN),
            credits("1000", "896.75", "3.25", "0", "100"),
        ),
        (
            "alice",
            registry.transfer,
            (reg.batch, "carol", "1", RetirementRequest("CN-GD")),
            credits("1000", "895.75", "4.25", "0", "100"),
        ),
        (
            "bob",
            registry.cancel,
            (reg.batch, "2", "moved to another registry"),
            credits("1000", "893.75", "4.25", "2", "100"),
        ),
        (
            "admin",
            registry.cancel_buffer,
            (reg.batch, "4", "reversal: grassland fire"),
            credits("1000", "893.75", "4.25", "6", "96"),
        ),
    ]
    for name, op, args, want in steps:
        reg.as_(name, op, *args)
        assert supply_of(reg, reg.batch) == want, op.__name__
        assert_sound(reg)
    second = reg.as_("issuer", registry.issue, report(reg, "10"), [("carol", "9.999999")])
    assert supply_of(reg, second["batch"]) == credits("9.999999", "9.999999", "0", "0", "0")
    assert_sound(reg)


def test_every_unit_is_in_exactly_one_serial_block(reg: Registry) -> None:
    # Fragment alice's holding: small alternating transfers, retirements in between, and
    # credits coming back to her so that blocks split and merge again.
    for i in range(12):
        to = ("bob", "carol")[i % 2]
        reg.as_("alice", registry.transfer, reg.batch, to, f"{i + 1}.000{i}")
        if i % 3 == 0:
            reg.as_("alice", registry.retire, reg.batch, "0.5", CN)
        if i % 4 == 1:
            reg.as_(to, registry.transfer, reg.batch, "alice", "0.75")
        assert_sound(reg)
    with reg.runtime.db.read() as session:
        b = rt.blocks.c
        spans = session.execute(select(b.first, b.last).order_by(b.first)).all()
    covered = sum(last - first + 1 for first, last in spans)
    assert covered == 1000 * C
    assert spans[0].first == 1
    assert all(a.last + 1 == z.first for a, z in itertools.pairwise(spans))
    assert sum(held(reg).values()) == 1000 * C


# Balances ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "extra"),
    [
        (registry.transfer, ("developer",)),
        (registry.retire, ()),
        (registry.cancel, ()),
    ],
    ids=["transfer", "retire", "cancel"],
)
def test_no_balance_goes_below_zero(
    reg: Registry, op: Callable[..., Any], extra: tuple[Any, ...]
) -> None:
    def args(amount: str) -> tuple[Any, ...]:
        if op is registry.transfer:
            return (reg.batch, *extra, amount)
        if op is registry.retire:
            return (reg.batch, amount, CN)
        return (reg.batch, amount, "withdrawn")

    err = refused(
        reg,
        InsufficientBalance,
        [f"alice holds 600 tradable credits of {reg.batch}", "600.000001 were asked"],
        "alice",
        op,
        *args("600.000001"),
    )
    assert err.code == "insufficient_balance"
    assert err.field == "amount"
    refused(reg, InsufficientBalance, ["carol holds 0 tradable"], "carol", op, *args("0.000001"))
    reg.as_("alice", op, *args("600"))  # exactly what is held is fine
    assert units(reg, "alice") == 0


@pytest.mark.parametrize("final", ["retired", "cancelled"])
@pytest.mark.parametrize("then", ["transfer", "retire", "cancel"])
def test_retired_and_cancelled_credits_are_final(reg: Registry, final: str, then: str) -> None:
    if final == "retired":
        reg.as_("bob", registry.retire, reg.batch, "300", CN)
    else:
        reg.as_("bob", registry.cancel, reg.batch, "300", "moved to another registry")
    ops: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {
        "transfer": (registry.transfer, (reg.batch, "alice", "1")),
        "retire": (registry.retire, (reg.batch, "1", CN)),
        "cancel": (registry.cancel, (reg.batch, "1", "again")),
    }
    op, args = ops[then]
    refused(
        reg, InsufficientBalance, [f"bob holds 0 tradable credits of {reg.batch}"], "bob", op, *args
    )
    # The holding still shows them, in their final state, and the supply agrees.
    assert units(reg, "bob", final) == 300 * C
    assert units(reg, "bob") == 0
    assert getattr(supply_of(reg, reg.batch), final) == 300 * C
    assert_sound(reg)


def test_retired_on_receipt_cannot_be_moved_by_the_recipient(reg: Registry) -> None:
    reg.as_("alice", registry.transfer, reg.batch, "carol", "5", CN)
    refused(
        reg,
        InsufficientBalance,
        ["carol holds 0 tradable credits", "5 were asked"],
        "carol",
        registry.transfer,
        reg.batch,
        "alice",
        "5",
    )
    assert units(reg, "carol", "retired") == 5 * C


# Issuance ---------------------------------------------------------------------------------


def test_a_report_backs_at_most_its_verified_quantity(reg: Registry) -> None:
    fifty = report(reg, "50")
    err = refused(
        reg,
        InvalidParameter,
        [f"report {fifty} verifies 50", "would issue 50.000001"],
        "issuer",
        registry.issue,
        fifty,
        [("alice", "30"), ("bob", "20.000001")],
    )
    assert err.code == "invalid_parameter"
    # The buffer counts: 46 to holders and a 10 % buffer (5.111112) is more than 50.
    refused(
        reg,
        InvalidParameter,
        [f"report {fifty} verifies 50", "51.111112 (buffer included)"],
        "issuer",
        registry.issue,
        fifty,
        [("alice", "46")],
        "0.1",
    )
    out = reg.as_("issuer", registry.issue, fifty, [("alice", "45")], "0.1")
    assert supply_of(reg, out["batch"]) == Supply(50 * C, 45 * C, 0, 0, 5 * C)


def test_the_same_report_is_never_issued_twice(reg: Registry) -> None:
    err = refused(
        reg,
        AlreadyIssued,
        [f"report {reg.report} already backs batch {reg.batch}"],
        "issuer",
        registry.issue,
        reg.report,
        [("alice", "1")],
    )
    assert err.code == "already_issued"
    assert err.field == "report"


def test_the_same_class_and_reference_is_never_issued_twice(reg: Registry) -> None:
    first = reg.as_("issuer", registry.issue, report(reg, "10"), [("alice", "10")], "0", "VCS-981")
    err = refused(
        reg,
        AlreadyIssued,
        [f"class C01 already issued {first['batch']} with reference 'VCS-981'"],
        "issuer",
        registry.issue,
        report(reg, "10"),
        [("bob", "10")],
        "0",
        "VCS-981",
    )
    assert (err.code, err.field) == ("already_issued", "reference")
    err = refused(
        reg,
        AlreadyIssued,
        [f"class C01 already has project {reg.project} with reference 'XL-2026-01'"],
        "issuer",
        registry.create_project,
        "C01",
        "Another grassland",
        "developer",
        "CN-NM",
        "Abag Banner",
        "XL-2026-01",
    )
    assert (err.code, err.field) == ("already_issued", "reference_id")


def test_only_the_class_issuers_issue(reg: Registry) -> None:
    open_account(reg, "other-issuer", Role.CLASS_ISSUER, Role.HOLDER)
    reg.as_(
        "admin",
        registry.create_class,
        "C",
        "Cookstoves",
        "CCER-14-002",
        "V01",
        "registrar",
        ["other-issuer"],
    )
    fresh = report(reg, "10")
    for who in ("alice", "other-issuer", "verifier"):
        err = refused(
            reg,
            PermissionDenied,
            [f"only an issuer of class C01 may issue its credits; {who} is not one"],
            who,
            registry.issue,
            fresh,
            [("alice", "1")],
        )
        assert err.code == "permission_denied"


def test_only_holders_receive_an_issuance(reg: Registry) -> None:
    fresh = report(reg, "10")
    refused(
        reg,
        PermissionDenied,
        ["account 'verifier' cannot hold credits: it does not have the holder role"],
        "issuer",
        registry.issue,
        fresh,
        [("alice", "1"), ("verifier", "1")],
    )
    err = refused(
        reg, NotFound, ["no account named 'zoe'"], "issuer", registry.issue, fresh, [("zoe", "1")]
    )
    assert err.field == "recipients[0]"


# Reports ----------------------------------------------------------------------------------


def test_only_verifiers_file_reports_and_never_on_their_own_project(reg: Registry) -> None:
    args = (reg.project, "2026-01-01", "2026-12-31", "10", SHA)
    err = refused(
        reg,
        PermissionDenied,
        ["only verifiers file reports; alice has holder"],
        "alice",
        registry.file_report,
        *args,
    )
    assert err.code == "permission_denied"
    open_account(reg, "developer-verifier", Role.PROJECT_ADMIN, Role.VERIFIER)
    own = reg.as_(
        "issuer",
        registry.create_project,
        "C01",
        "Horqin sand control",
        "developer-verifier",
        "CN-NM",
        "Tongliao",
    )["project"]
    refused(
        reg,
        PermissionDenied,
        [f"developer-verifier administers {own} and cannot verify it"],
        "developer-verifier",
        registry.file_report,
        own,
        "2026-01-01",
        "2026-12-31",
        "10",
        SHA,
    )
    # The same verifier may verify a project it does not administer.
    reg.as_("developer-verifier", registry.file_report, *args)


# Who moves credits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "args"),
    [
        (registry.transfer, ("alice", "1")),
        (registry.retire, ("1", CN)),
        (registry.cancel, ("1", "withdrawn")),
    ],
    ids=["transfer", "retire", "cancel"],
)
def test_only_holders_move_credits(
    reg: Registry, op: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    err = refused(
        reg,
        PermissionDenied,
        ["only holders move credits; verifier has verifier"],
        "verifier",
        op,
        reg.batch,
        *args,
    )
    assert err.code == "permission_denied"


def test_a_holder_moves_only_its_own_credits(reg: Registry) -> None:
    # The sender is always the caller: there is no parameter to name someone else's account.
    for op in (registry.transfer, registry.retire, registry.cancel):
        params = inspect.signature(op).parameters
        assert not {"sender", "holder", "owner", "from_"} & params.keys(), op.__name__
    # Asking for alice's 600 and bob's 300 together moves nothing of bob's.
    refused(
        reg,
        InsufficientBalance,
        ["alice holds 600 tradable credits", "900 were asked"],
        "alice",
        registry.transfer,
        reg.batch,
        "carol",
        "900",
    )
    reg.as_("alice", registry.transfer, reg.batch, "carol", "600")
    assert units(reg, "bob") == 300 * C
    assert units(reg, "carol") == 600 * C


def test_sender_and_recipient_must_differ(reg: Registry) -> None:
    for retire in (None, CN):
        err = refused(
            reg,
            InvalidParameter,
            ["sender and recipient are the same account"],
            "alice",
            registry.transfer,
            reg.batch,
            "alice",
            "1",
            retire,
        )
        assert (err.code, err.field) == ("invalid_parameter", "recipient")


def test_the_recipient_must_be_a_holder(reg: Registry) -> None:
    for retire in (None, CN):
        err = refused(
            reg,
            PermissionDenied,
            ["account 'verifier' cannot hold credits: it does not have the holder role"],
            "alice",
            registry.transfer,
            reg.batch,
            "verifier",
            "1",
            retire,
        )
        assert (err.code, err.field) == ("permission_denied", "recipient")
    err = refused(
        reg, NotFound, ["no account named 'zoe'"], "alice", registry.transfer, reg.batch, "zoe", "1"
    )
    assert (err.code, err.field) == ("not_found", "recipient")


# Amounts and batches ----------------------------------------------------------------------


def _precision_cases(reg: Registry) -> list[tuple[str, Callable[..., Any], tuple[Any, ...]]]:
    tiny = "0.0000001"
    return [
        ("alice", registry.transfer, (reg.batch, "bob", tiny)),
        ("alice", registry.transfer, (reg.batch, "bob", tiny, CN)),
        ("alice", registry.retire, (reg.batch, tiny, CN)),
        ("alice", registry.cancel, (reg.batch, tiny, "withdrawn")),
        ("admin", registry.cancel_buffer, (reg.batch, tiny, "reversal")),
        ("issuer", registry.issue, (report(reg, "10"), [("alice", "1.0000001")])),
        ("verifier", registry.file_report, (reg.project, "2026-01-01", "2026-12-31", tiny, SHA)),
    ]


def test_more_decimals_than_the_precision_is_refused(reg: Registry) -> None:
    for name, op, args in _precision_cases(reg):
        err = refused(
            reg, PrecisionExceeded, ["7 decimal places", "precision is 6"], name, op, *args
        )
        assert err.code == "precision_exceeded"


@pytest.mark.parametrize(
    ("name", "op", "args"),
    [
        ("alice", registry.transfer, ("bob", "1")),
        ("alice", registry.transfer, ("bob", "1", CN)),
        ("alice", registry.retire, ("1", CN)),
        ("alice", registry.cancel, ("1", "withdrawn")),
        ("admin", registry.cancel_buffer, ("1", "reversal")),
    ],
    ids=["transfer", "transfer-retire", "retire", "cancel", "cancel-buffer"],
)
def test_an_unknown_batch_is_named(
    reg: Registry, name: str, op: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    err = refused(reg, NotFound, [f"no batch {UNKNOWN_BATCH}"], name, op, UNKNOWN_BATCH, *args)
    assert (err.code, err.field) == ("not_found", "batch")
    err = refused(
        reg, InvalidParameter, ["batch 'C01-9' is not of the form"], name, op, "C01-9", *args
    )
    assert err.field == "batch"


# Retirement and cancellation --------------------------------------------------------------


@pytest.mark.parametrize("jurisdiction", ["", "cn-nm", "CHN", "CN-", "CN-NM\n"])
def test_retiring_needs_a_valid_jurisdiction(reg: Registry, jurisdiction: str) -> None:
    request = RetirementRequest(jurisdiction)
    cases: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
        ("alice", registry.retire, (reg.batch, "1", request)),
        ("alice", registry.transfer, (reg.batch, "bob", "1", request)),
    ]
    for name, op, args in cases:
        err = refused(
            reg, InvalidParameter, [f"jurisdiction {jurisdiction!r}", "ISO 3166-2"], name, op, *args
        )
        assert (err.code, err.field) == ("invalid_parameter", "jurisdiction")


@pytest.mark.parametrize("reason", ["", "   "])
def test_cancelling_needs_a_reason(reg: Registry, reason: str) -> None:
    cases: list[tuple[str, Callable[..., Any]]] = [
        ("bob", registry.cancel),
        ("admin", registry.cancel_buffer),
    ]
    for name, op in cases:
        err = refused(
            reg, InvalidParameter, ["reason is required"], name, op, reg.batch, "1", reason
        )
        assert (err.code, err.field) == ("invalid_parameter", "reason")


def test_only_the_registry_admin_cancels_buffer_credits(reg: Registry) -> None:
    for who, roles in (("alice", "holder"), ("registrar", "class_admin"), ("verifier", "verifier")):
        err = refused(
            reg,
            PermissionDenied,
            [f"only the registry admin may cancel buffer credits; {who} has {roles}"],
            who,
            registry.cancel_buffer,
            reg.batch,
            "1",
            "reversal",
        )
        assert err.code == "permission_denied"
    refused(
        reg,
        InsufficientBalance,
        [f"the buffer pool holds 100 buffer credits of {reg.batch}", "100.000001 were asked"],
        "admin",
        registry.cancel_buffer,
        reg.batch,
        "100.000001",
        "reversal",
    )
    # A holder's cancel takes the holder's own tradable credits, never the buffer.
    reg.as_("alice", registry.cancel, reg.batch, "600", "withdrawn")
    refused(
        reg,
        InsufficientBalance,
        ["alice holds 0 tradable"],
        "alice",
        registry.cancel,
        reg.batch,
        "1",
        "again",
    )
    assert supply_of(reg, reg.batch).buffer == 100 * C


def test_transfer_with_retire_on_receipt_is_a_retirement(reg: Registry) -> None:
    before = supply_of(reg, reg.batch)
    out = reg.as_("alice", registry.transfer, reg.batch, "bob", "5", RetirementRequest("CN-SH"))
    after = supply_of(reg, reg.batch)
    assert after.retired == before.retired + 5 * C
    assert after.tradable == before.tradable - 5 * C
    assert out["retirement"] == out["ledger_index"]
    with reg.runtime.db.read() as session:
        b = rt.blocks.c
        mine = session.execute(
            select(b.first, b.last, b.state, b.op)
            .join(accounts_table, accounts_table.c.id == b.owner_id)
            .where(accounts_table.c.name == "bob", b.state == "retired")
        ).all()
        row = session.execute(select(rt.retirements)).one()
    assert [tuple(m) for m in mine] == [(1, 5 * C, "retired", out["ledger_index"])]
    assert units(reg, "bob") == 300 * C  # bob's tradable credits are untouched
    assert (row.amount, row.via, row.jurisdiction, row.beneficiary) == (
        5 * C,
        "transfer",
        "CN-SH",
        "bob",
    )
    assert_sound(reg)


def test_cancellation_is_never_a_retirement(reg: Registry) -> None:
    reg.as_("bob", registry.cancel, reg.batch, "7", "moved to another registry")
    reg.as_("admin", registry.cancel_buffer, reg.batch, "3", "reversal: grassland fire")
    assert supply_of(reg, reg.batch) == Supply(1000 * C, 893 * C, 0, 10 * C, 97 * C)
    with reg.runtime.db.read() as session:
        assert session.execute(select(rt.retirements)).all() == []
        kinds = session.execute(
            select(
                rt.cancellations.c.kind, rt.cancellations.c.amount, rt.cancellations.c.reason
            ).order_by(rt.cancellations.c.ledger_index)
        ).all()
    assert [tuple(k) for k in kinds] == [
        ("holder", 7 * C, "moved to another registry"),
        ("reversal", 3 * C, "reversal: grassland fire"),
    ]
    assert units(reg, "bob", "cancelled") == 7 * C
    assert units(reg, "registry", "cancelled") == 3 * C
    assert units(reg, "bob", "retired") == 0


def test_one_entity_beneficiary_however_it_is_spelt(reg: Registry) -> None:
    first = RetirementRequest("US-GA", "corsia", beneficiary_name="Delta Air Lines, Inc.")
    second = RetirementRequest("US-GA", "corsia", beneficiary_name="delta air lines inc")
    reg.as_("alice", registry.retire, reg.batch, "1", first)
    reg.as_("bob", registry.transfer, reg.batch, "carol", "2", second)
    with reg.runtime.db.read() as session:
        r = rt.retirements.c
        rows = session.execute(
            select(r.beneficiary_key, r.beneficiary, r.beneficiary_kind).order_by(r.ledger_index)
        ).all()
        entities = session.execute(select(rt.entities.c.name)).scalars().all()
    assert len(rows) == 2
    assert rows[0].beneficiary_key == rows[1].beneficiary_key
    # Shown with the spelling first recorded.
    assert {row.beneficiary for row in rows} == {"Delta Air Lines, Inc."}
    assert {row.beneficiary_kind for row in rows} == {"entity"}
    assert entities == ["Delta Air Lines, Inc."]


def test_credits_are_never_sent_to_the_buffer_pool_account(reg: Registry) -> None:
    from ecocredit.errors import PermissionDenied

    reg.as_("admin", registry.cancel_buffer, reg.batch, "1", "reversal")  # the pool exists
    with pytest.raises(PermissionDenied, match="buffer pool"):
        reg.as_("alice", registry.transfer, reg.batch, "registry", "1")


# Inputs found in review ------------------------------------------------------------------


def test_a_buffer_share_must_be_a_plain_decimal(reg: Registry) -> None:
    spare = report(reg, "10")
    for share in ("1e-999999999", "0.1234567", "-0.1", "NaN", "0.6"):
        refused(
            reg, InvalidParameter, ["buffer_share"], "issuer",
            registry.issue, spare, [("alice", "1")], share,
        )  # fmt: skip


def test_a_monitoring_period_before_1990_is_refused(reg: Registry) -> None:
    refused(
        reg, InvalidParameter, ["period_start 0999-01-01 is before 1990"], "verifier",
        registry.file_report, reg.project, "0999-01-01", "2026-12-31", "10", SHA,
    )  # fmt: skip


def test_a_beneficiary_name_that_grows_when_normalised_is_refused(reg: Registry) -> None:
    claim = RetirementRequest("CN-BJ", beneficiary_name="ß" * 200)
    refused(
        reg, InvalidParameter, ["400 characters once normalised"], "alice",
        registry.retire, reg.batch, "1", claim,
    )  # fmt: skip


def test_a_payout_to_long_account_names_fits_the_log(reg: Registry) -> None:
    names = [f"{i:04d}-" + "x" * 59 for i in range(1_100)]  # 64 characters each
    reg.write(
        lambda s: [
            accounts.create_account(s, n, [Role.HOLDER], "admin", "person", with_key=False)
            for n in names
        ]
    )
    out = reg.as_("issuer", registry.issue, report(reg, "2000"), [(n, "1") for n in names])
    assert out["recipients"] == 1_100
    with reg.runtime.db.read() as session:
        size = store.read_head(session).size
        entries = store.read_entries(session, out["ledger_index"], size)
        assert max(len(entry) for _, entry, _ in entries) <= 65_535
        check_registry(session)
