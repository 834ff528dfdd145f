"""One walk through every operation, checking supply and blocks as a user would read them."""

from __future__ import annotations

import pytest

from ecocredit.registry import service as registry
from ecocredit.registry.model import RetirementRequest
from tests.registry.conftest import Registry


def test_issue_transfer_retire_cancel(reg: Registry) -> None:
    out = reg.as_("alice", registry.transfer, reg.batch, "bob", "0.000001")
    assert out["blocks"] == [[1, 1]]
    out = reg.as_("alice", registry.retire, reg.batch, "1.5", RetirementRequest("CN-BJ"))
    assert out["blocks"] == [[2, 1_500_001]]
    out = reg.as_("bob", registry.cancel, reg.batch, "2", "moved to another registry")
    assert out["amount"] == "2"
    out = reg.as_("admin", registry.cancel_buffer, reg.batch, "10", "reversal: fire")
    assert out["blocks"] == [[900_000_001, 910_000_000]]
    out = reg.as_(
        "bob", registry.transfer, reg.batch, "carol", "1", RetirementRequest("CN-GD", "neutrality")
    )
    assert out["retirement"] == out["ledger_index"]


def test_replay_matches_after_every_kind_of_operation(reg: Registry) -> None:
    from ecocredit.registry import audit

    test_issue_transfer_retire_cancel(reg)
    with reg.runtime.db.read() as session:
        report = audit.replay_check(session)
    assert report.batches == 1
    assert report.blocks >= 5


def test_a_move_across_more_blocks_than_one_page_reads_them_all(reg: Registry) -> None:
    from ecocredit.errors import InsufficientBalance
    from ecocredit.registry import audit
    from ecocredit.registry.lookup import HOLDING_PAGE

    singles = HOLDING_PAGE + 4
    for _ in range(singles):  # bob gets units 1, 3, 5 …: blocks that cannot merge
        reg.as_("alice", registry.transfer, reg.batch, "bob", "0.000001")
        reg.as_("alice", registry.transfer, reg.batch, "carol", "0.000001")
    out = reg.as_("bob", registry.transfer, reg.batch, "carol", "0.000025")
    assert out["blocks"][:2] == [[1, 1], [3, 3]]
    assert len(out["blocks"]) == singles + 1
    assert out["blocks"][-1] == [600_000_001, 600_000_005]
    with pytest.raises(InsufficientBalance, match=r"bob holds 299\.999995 tradable"):
        reg.as_("bob", registry.transfer, reg.batch, "alice", "300")
    with reg.runtime.db.read() as session:
        audit.replay_check(session)


def test_holdings_list_a_bounded_number_of_blocks_and_say_so(
    reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecocredit.registry import queries_credits
    from ecocredit.registry.filters import HoldingFilter, Page

    for _ in range(3):  # bob gets units 1, 3, 5: three blocks that cannot merge
        reg.as_("alice", registry.transfer, reg.batch, "bob", "0.000001")
        reg.as_("alice", registry.transfer, reg.batch, "carol", "0.000001")
    monkeypatch.setattr(queries_credits, "MAX_BLOCKS", 2)
    with reg.runtime.db.read() as session:
        held = queries_credits.holdings(session, "bob", HoldingFilter.parse({}), Page())
    (tradable,) = held["items"]
    assert tradable["amount"] == "300.000003"
    assert tradable["blocks"] == [[1, 1], [3, 3]]
    assert tradable["more_blocks"] is True


def test_a_batch_can_be_issued_retired_with_a_certificate_per_recipient(reg: Registry) -> None:
    from sqlalchemy import select

    from ecocredit.registry import audit
    from ecocredit.registry.tables import batches, retirements
    from tests.registry.conftest import SHA

    spare = reg.as_(
        "verifier", registry.file_report, reg.project, "2027-01-01", "2027-12-31", "50", SHA
    )["report"]
    claim = RetirementRequest("CN-NM", "inclusion", "clean-plate check-ins, 2027")
    out = reg.as_(
        "issuer", registry.issue, spare, [("alice", "1.5"), ("carol", "2")], "0.1", "", None, claim
    )
    assert out["blocks"] == [["alice", 1, 1_500_000], ["carol", 1_500_001, 3_500_000]]
    with reg.runtime.db.read() as session:
        row = session.execute(select(batches).where(batches.c.denom == out["batch"])).one()
        assert (row.tradable, row.retired, row.buffer) == (0, 3_500_000, row.issued - 3_500_000)
        kept = session.execute(
            select(retirements.c.beneficiary, retirements.c.via, retirements.c.amount)
            .where(retirements.c.batch_id == row.id)
            .order_by(retirements.c.ledger_index)
        ).all()
        assert [tuple(k) for k in kept] == [
            ("alice", "issuance", 1_500_000),
            ("carol", "issuance", 2_000_000),
        ]
        audit.replay_check(session)
    from ecocredit.errors import InsufficientBalance

    with pytest.raises(InsufficientBalance, match="alice holds 0 tradable"):
        reg.as_("alice", registry.transfer, out["batch"], "bob", "1")
