"""One walk through every operation, checking supply and blocks as a user would read them."""

from __future__ import annotations

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
