"""Registry reads as a user sees them: supply, holdings, serials, lists, certificates, CSV."""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

import pytest

from ecocredit.errors import InvalidParameter, NotFound
from ecocredit.ledger import merkle, note
from ecocredit.registry import export, filters, queries, queries_certificate, queries_credits
from ecocredit.registry import service as registry
from ecocredit.registry.filters import (
    BatchFilter,
    CancellationFilter,
    ClassFilter,
    HoldingFilter,
    NoFilter,
    Page,
    ProjectFilter,
    RetirementFilter,
)
from ecocredit.registry.model import BlockState, RetirementRequest
from tests.registry.conftest import Registry

SUPPLY = ("issued", "tradable", "retired", "cancelled", "buffer")


def _read(reg: Registry, fn: Any, *args: Any) -> Any:
    with reg.runtime.db.read() as session:
        return fn(session, *args)


def _supply(reg: Registry) -> dict[str, str]:
    batch = _read(reg, queries.batch_detail, reg.batch)
    return {k: batch[k] for k in SUPPLY}


def _holdings(reg: Registry, name: str, **where: Any) -> dict[tuple[str, str], Any]:
    found = _read(reg, queries_credits.holdings, name, HoldingFilter(**where), Page())
    return {(h["batch"], h["state"]): (h["amount"], h["blocks"]) for h in found["items"]}


def test_supply_follows_issue_transfer_retire_and_cancel(reg: Registry) -> None:
    assert _supply(reg) == {
        "issued": "1000",
        "tradable": "900",
        "retired": "0",
        "cancelled": "0",
        "buffer": "100",
    }
    reg.as_("alice", registry.transfer, reg.batch, "carol", "100")
    reg.as_("alice", registry.retire, reg.batch, "1.5", RetirementRequest("CN-BJ"))
    reg.as_("bob", registry.cancel, reg.batch, "2", "moved to another registry")
    reg.as_("admin", registry.cancel_buffer, reg.batch, "10", "reversal: grassland fire")
    assert _supply(reg) == {
        "issued": "1000",
        "tradable": "896.5",
        "retired": "1.5",
        "cancelled": "12",
        "buffer": "90",
    }


def test_one_batch_counts_its_blocks(reg: Registry) -> None:
    batch = _read(reg, queries.batch_detail, reg.batch)
    assert batch["blocks"] == 3  # alice, bob, the buffer pool
    assert batch["vintage_start"] == "2026-01-01"
    assert batch["report"] == reg.report
    assert batch["issuer"] == "issuer"
    reg.as_("alice", registry.transfer, reg.batch, "carol", "1")
    assert _read(reg, queries.batch_detail, reg.batch)["blocks"] == 4


def test_holdings_are_per_batch_and_state_with_their_blocks(reg: Registry) -> None:
    reg.as_("alice", registry.retire, reg.batch, "100", RetirementRequest("CN-BJ"))
    held = _holdings(reg, "alice")
    assert held == {
        (reg.batch, "tradable"): ("500", [[100_000_001, 600_000_000]]),
        (reg.batch, "retired"): ("100", [[1, 100_000_000]]),
    }
    assert list(_holdings(reg, "alice", state=BlockState.RETIRED)) == [(reg.batch, "retired")]
    assert _holdings(reg, "registry") == {
        (reg.batch, "buffer"): ("100", [[900_000_001, 1_000_000_000]])
    }
    assert _holdings(reg, "carol") == {}


def test_holdings_of_an_unknown_account_name_the_account(reg: Registry) -> None:
    with pytest.raises(NotFound) as caught:
        _read(reg, queries_credits.holdings, "nobody", HoldingFilter(), Page())
    assert caught.value.field == "name"


def test_serial_lookup_of_a_transferred_unit(reg: Registry) -> None:
    reg.as_("alice", registry.transfer, reg.batch, "carol", "0.000010")
    found = _read(reg, queries_credits.serial_lookup, reg.batch, 7)
    assert found["owner"] == "carol"
    assert found["state"] == "tradable"
    assert (found["first"], found["last"]) == (1, 10)
    assert found["serial"] == f"{reg.batch}:1-10"
    assert found["retirement"] is None and found["cancellation"] is None
    assert _read(reg, queries_credits.serial_lookup, reg.batch, 11)["owner"] == "alice"


def test_serial_lookup_of_a_retired_unit_shows_the_retirement(reg: Registry) -> None:
    out = reg.as_(
        "bob",
        registry.retire,
        reg.batch,
        "1",
        RetirementRequest("CN-GD", "neutrality", "Shenzhen marathon 2026", "", "Shenzhen RunCo"),
    )
    first = 600_000_001  # bob's units follow alice's 600 credits
    found = _read(reg, queries_credits.serial_lookup, reg.batch, first + 5)
    assert (found["owner"], found["state"]) == ("bob", "retired")
    assert (found["first"], found["last"]) == (first, first + 999_999)
    record = found["retirement"]
    assert record["ledger_index"] == out["ledger_index"]
    assert record["beneficiary"] == "Shenzhen RunCo"
    assert record["reason_code"] == "neutrality"
    assert record["amount"] == "1"


def test_serial_lookup_of_a_cancelled_unit_shows_the_cancellation(reg: Registry) -> None:
    reg.as_("admin", registry.cancel_buffer, reg.batch, "1", "reversal: fire")
    found = _read(reg, queries_credits.serial_lookup, reg.batch, 900_000_001)
    assert found["state"] == "cancelled"
    assert found["retirement"] is None
    assert found["cancellation"]["kind"] == "reversal"
    assert found["cancellation"]["reason"] == "reversal: fire"


def test_serial_beyond_the_batch_is_not_found_naming_the_unit(reg: Registry) -> None:
    with pytest.raises(NotFound) as caught:
        _read(reg, queries_credits.serial_lookup, reg.batch, 1_000_000_001)
    assert caught.value.field == "unit"
    with pytest.raises(NotFound) as caught:
        _read(reg, queries_credits.serial_lookup, "C01-001-20260101-20261231-009", 1)
    assert caught.value.field == "batch"


def _retire_three(reg: Registry) -> list[int]:
    return [
        reg.as_("alice", registry.retire, reg.batch, "1", RetirementRequest("CN-BJ"))[
            "ledger_index"
        ],
        reg.as_(
            "alice",
            registry.retire,
            reg.batch,
            "2",
            RetirementRequest("US", "corsia", "", "", "Delta Air Lines, Inc."),
        )["ledger_index"],
        reg.as_("bob", registry.transfer, reg.batch, "carol", "3", RetirementRequest("CN-SH"))[
            "ledger_index"
        ],
    ]


def _retirements(reg: Registry, **where: Any) -> list[dict[str, Any]]:
    found = _read(reg, queries_credits.retirement_list, RetirementFilter(**where), Page())
    return list(found["items"])


def test_retirements_filter_by_beneficiary_reason_holder_and_time(reg: Registry) -> None:
    first, second, third = _retire_three(reg)
    everything = _retirements(reg)
    assert [r["ledger_index"] for r in everything] == [first, second, third]
    assert everything[2]["via"] == "transfer"
    assert everything[2]["holder"] == "carol"  # the recipient holds what it retires on receipt
    # Entity names match however they are spelled.
    by_name = _retirements(reg, beneficiary="delta air lines inc")
    assert [r["ledger_index"] for r in by_name] == [second]
    assert [r["amount"] for r in _retirements(reg, beneficiary="alice")] == ["1"]
    corsia = _retirements(reg, reason_code=filters.ReasonCode.CORSIA)
    assert [r["beneficiary"] for r in corsia] == ["Delta Air Lines, Inc."]
    assert [r["ledger_index"] for r in _retirements(reg, holder="carol")] == [third]
    moment = filters.parse_listing(RetirementFilter, [("since", everything[1]["time"])]).filter
    assert [r["ledger_index"] for r in _retirements(reg, since=moment.since)] == [second, third]
    until = filters.parse_listing(RetirementFilter, [("until", everything[1]["time"])]).filter
    assert [r["ledger_index"] for r in _retirements(reg, before=until.before)] == [first, second]


def test_retirements_never_include_cancellations(reg: Registry) -> None:
    reg.as_("bob", registry.cancel, reg.batch, "2", "moved to another registry")
    reg.as_("admin", registry.cancel_buffer, reg.batch, "5", "reversal")
    assert _retirements(reg) == []
    found = _read(reg, queries_credits.cancellation_list, CancellationFilter(), Page())
    assert [(c["kind"], c["amount"]) for c in found["items"]] == [
        ("holder", "2"),
        ("reversal", "5"),
    ]
    only = _read(reg, queries_credits.cancellation_list, CancellationFilter(kind="holder"), Page())
    assert [c["holder"] for c in only["items"]] == ["bob"]


def test_pages_say_whether_more_follow(reg: Registry) -> None:
    _retire_three(reg)
    first = _read(reg, queries_credits.retirement_list, RetirementFilter(), Page(2, 0))
    rest = _read(reg, queries_credits.retirement_list, RetirementFilter(), Page(2, 2))
    assert (len(first["items"]), first["more"]) == (2, True)
    assert (len(rest["items"]), rest["more"]) == (1, False)


def test_catalogue_lists(reg: Registry) -> None:
    types = _read(reg, queries.credit_type_list, NoFilter(), Page())["items"]
    assert types == [
        {"abbrev": "C", "name": "Carbon dioxide equivalent", "unit": "tCO2e", "precision": 6}
    ]
    (cls,) = _read(reg, queries.class_list, ClassFilter("C"), Page())["items"]
    assert (cls["methodology"], cls["methodology_version"]) == ("CCER-14-001", "V01")
    assert (cls["admin"], cls["issuers"]) == ("registrar", ["issuer"])
    (project,) = _read(reg, queries.project_list, ProjectFilter(jurisdiction="CN"), Page())["items"]
    assert project["admin"] == "developer"
    assert (project["jurisdiction"], project["reference_id"]) == ("CN-NM", "XL-2026-01")
    assert (
        _read(reg, queries.project_list, ProjectFilter(jurisdiction="CN-GD"), Page())["items"] == []
    )
    inside = BatchFilter(
        vintage_from=filters.date(2026, 1, 1), vintage_to=filters.date(2026, 12, 31)
    )
    assert len(_read(reg, queries.batch_list, inside, Page())["items"]) == 1
    later = BatchFilter(vintage_from=filters.date(2026, 6, 1))
    assert _read(reg, queries.batch_list, later, Page())["items"] == []


@pytest.mark.parametrize(
    ("fn", "where", "field"),
    [
        (queries.class_list, ClassFilter("X"), "credit_type"),
        (queries.project_list, ProjectFilter(class_id="C09"), "class_id"),
        (queries.batch_list, BatchFilter(project="C01-009"), "project"),
        (queries_credits.retirement_list, RetirementFilter(holder="nobody"), "holder"),
        (
            queries_credits.cancellation_list,
            CancellationFilter("C01-001-20260101-20261231-009"),
            "batch",
        ),
    ],
)
def test_an_unknown_id_in_a_filter_is_not_found_naming_it(
    reg: Registry, fn: Any, where: Any, field: str
) -> None:
    with pytest.raises(NotFound) as caught:
        _read(reg, fn, where, Page())
    assert caught.value.field == field


def test_unknown_ids_name_their_field(reg: Registry) -> None:
    for fn, value, field in [
        (queries.class_detail, "C07", "class_id"),
        (queries.project_detail, "C01-007", "project"),
        (queries.batch_detail, "C01-001-20260101-20261231-007", "batch"),
    ]:
        with pytest.raises(NotFound) as caught:
            _read(reg, fn, value)
        assert caught.value.field == field
    with pytest.raises(InvalidParameter):
        _read(reg, queries.class_detail, "not a class")


def test_certificate_proves_the_retirement_against_the_signed_checkpoint(reg: Registry) -> None:
    out = reg.as_(
        "alice",
        registry.retire,
        reg.batch,
        "2.5",
        RetirementRequest("CN-BJ", "voluntary", "office 2026", "", "Acme Ltd", "scope 2"),
    )
    index = out["ledger_index"]
    pending = _read(reg, queries_certificate.certificate, index)
    assert pending["proof"] is None
    assert "newer than the latest signed checkpoint" in pending["proof_pending"]
    reg.runtime.sign_checkpoint()
    cert = _read(reg, queries_certificate.certificate, index)
    assert cert["amount"] == "2.5"
    assert cert["blocks"] == [[1, 2_500_000]]
    assert cert["serials"] == [f"{reg.batch}:1-2500000"]
    assert cert["project"] == {
        "id": reg.project,
        "name": "Xilingol grassland restoration",
        "jurisdiction": "CN-NM",
    }
    assert cert["class"]["methodology"] == "CCER-14-001"
    assert (cert["beneficiary"], cert["note"], cert["holder"]) == ("Acme Ltd", "scope 2", "alice")
    entry = base64.b64decode(cert["entry"]["entry"])
    assert b'"type":"registry.retired"' in entry
    leaf = merkle.leaf_hash(entry)
    assert leaf.hex() == cert["entry"]["leaf_hash"]
    proof = cert["proof"]
    key = reg.runtime.signer.verifier
    checkpoint = note.open_checkpoint(proof["checkpoint"], key, reg.runtime.settings.log_origin)
    assert checkpoint.size == proof["size"]
    assert base64.b64decode(proof["root"]) == checkpoint.root
    hashes = [base64.b64decode(h) for h in proof["hashes"]]
    merkle.verify_inclusion(leaf, index, checkpoint.size, hashes, checkpoint.root)
    assert cert["proof_pending"] is None


def test_a_cancellation_has_no_certificate(reg: Registry) -> None:
    out = reg.as_("bob", registry.cancel, reg.batch, "1", "moved")
    with pytest.raises(NotFound) as caught:
        _read(reg, queries_certificate.certificate, out["ledger_index"])
    assert caught.value.field == "index"
    assert "cancellation" in caught.value.message


def test_csv_export_has_a_header_and_one_row_per_item(reg: Registry) -> None:
    reg.as_("alice", registry.retire, reg.batch, "1", RetirementRequest("CN-BJ", note="=cmd()"))
    items = _retirements(reg)
    rows = list(csv.reader(io.StringIO(export.render("retirements", items))))
    assert rows[0] == list(export.COLUMNS["retirements"])
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["amount"] == "1"
    assert record["note"] == "'=cmd()"  # a spreadsheet must not run it as a formula
    held = _read(reg, queries_credits.holdings, "alice", HoldingFilter(), Page())["items"]
    rows = list(csv.reader(io.StringIO(export.render("holdings", held))))
    assert rows[1:] == [
        [reg.batch, "retired", "1", "1-1000000"],
        [reg.batch, "tradable", "599", "1000001-600000000"],
    ]
