"""Group commit: operations share a transaction, yet each one stands or falls alone."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from ecocredit.errors import InsufficientBalance, NotFound
from ecocredit.ledger import store
from ecocredit.registry import audit
from ecocredit.registry import service as registry
from ecocredit.registry.tables import blocks
from tests.registry.conftest import Registry


def _size(reg: Registry) -> int:
    with reg.runtime.db.read() as session:
        return store.read_head(session).size


def test_a_failing_operation_leaves_no_trace_and_the_others_commit(reg: Registry) -> None:
    db = reg.runtime.db
    alice, bob = reg.who("alice"), reg.who("bob")
    before = _size(reg)
    results: list[object] = []
    barrier = threading.Barrier(6)

    def submit(work: object) -> None:
        barrier.wait()
        try:
            results.append(db.submit(work))  # type: ignore[arg-type]
        except (InsufficientBalance, NotFound) as exc:
            results.append(exc)

    works = [
        lambda s: registry.transfer(s, alice, reg.batch, "bob", "1"),
        lambda s: registry.transfer(s, bob, reg.batch, "alice", "100000"),  # too much
        lambda s: registry.transfer(s, alice, reg.batch, "carol", "2.5"),
        lambda s: registry.transfer(s, alice, reg.batch[:-1] + "9", "carol", "1"),  # no batch
        lambda s: registry.transfer(s, bob, reg.batch, "carol", "0.000001"),
        lambda s: registry.transfer(s, alice, reg.batch, "bob", "0.5"),
    ]
    threads = [threading.Thread(target=submit, args=(w,)) for w in works]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 2
    assert _size(reg) == before + 4  # one entry per successful transfer, none for failures
    with db.read() as session:
        audit.replay_check(session)
        count = session.execute(select(func.count()).select_from(blocks)).scalar_one()
    assert count >= 4


def test_submit_returns_the_result_and_raises_the_error_of_its_own_operation(
    reg: Registry,
) -> None:
    alice = reg.who("alice")
    out = reg.runtime.db.submit(lambda s: registry.transfer(s, alice, reg.batch, "bob", "1"))
    assert out["recipient"] == "bob"
    with pytest.raises(InsufficientBalance, match="alice holds 599 tradable"):
        reg.runtime.db.submit(lambda s: registry.transfer(s, alice, reg.batch, "bob", "1000"))
    with reg.runtime.db.read() as session:
        audit.replay_check(session)


@pytest.mark.parametrize("path", ["write", "submit"])
def test_a_commit_whose_answer_is_lost_is_never_run_again(reg: Registry, path: str) -> None:
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from ecocredit.errors import CommitOutcomeUnknown

    db, alice = reg.runtime.db, reg.who("alice")
    before = _size(reg)
    fired: list[int] = []

    def lost(session: Session) -> None:
        # The COMMIT reached the database; its answer did not: the driver reports a dead link.
        if not fired and not session.in_nested_transaction():
            fired.append(1)
            raise OperationalError(
                "COMMIT", {}, Exception("server closed the connection"), connection_invalidated=True
            )

    event.listen(Session, "after_commit", lost)
    try:
        run = db.write if path == "write" else db.submit
        with pytest.raises(CommitOutcomeUnknown, match="same Idempotency-Key"):
            run(lambda s: registry.transfer(s, alice, reg.batch, "bob", "1"))
    finally:
        event.remove(Session, "after_commit", lost)
    assert _size(reg) == before + 1  # committed once, and not again
