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
