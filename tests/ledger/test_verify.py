"""Full verification: any changed byte of a stored entry, hash, head or checkpoint is caught."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ecocredit.errors import LedgerCorrupt
from ecocredit.ledger import checkpoints, store
from ecocredit.ledger.tables import ledger_checkpoints, ledger_entries, ledger_head, ledger_nodes
from ecocredit.ledger.verify import verify_log
from ecocredit.runtime import InitResult, Runtime

SIZE = 300  # enough for stored subtrees at levels 4 to 8


@pytest.fixture
def runtime(installed: InitResult) -> Runtime:
    rt = installed.runtime
    rt.db.write(lambda s: store.append(s, [b'{"n":%d}' % i for i in range(SIZE - 3)]))
    rt.db.write(lambda s: checkpoints.sign(s, rt.signer))
    return rt


def _flip_byte(value: bytes, rng: random.Random) -> bytes:
    out = bytearray(value)
    out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _tampered(rt: Runtime, change: Callable[[Session], None]) -> LedgerCorrupt:
    """Apply a change, run verify, undo the change by rolling the database back by hand."""
    rt.db.write(change)
    with rt.db.read() as session, pytest.raises(LedgerCorrupt) as caught:
        verify_log(session, rt.signer.verifier)
    return caught.value


def test_untouched_log_verifies(runtime: Runtime) -> None:
    with runtime.db.read() as session:
        report = verify_log(session, runtime.signer.verifier)
    assert report.size == SIZE
    assert report.checkpoints == 2


@pytest.mark.parametrize("column", ["entry", "leaf_hash"])
def test_changing_any_byte_of_an_entry_names_its_index(runtime: Runtime, column: str) -> None:
    rng = random.Random(column)
    for index in rng.sample(range(SIZE), 12):
        with runtime.db.read() as session:
            original = session.execute(
                select(ledger_entries.c[column]).where(ledger_entries.c.idx == index)
            ).scalar_one()

        def change(s: Session, i: int = index, value: bytes = original) -> None:
            s.execute(
                update(ledger_entries)
                .where(ledger_entries.c.idx == i)
                .values({column: _flip_byte(value, rng)})
            )

        error = _tampered(runtime, change)
        assert error.index == index
        assert f"entry {index}" in error.message

        def restore(s: Session, i: int = index, value: bytes = original) -> None:
            s.execute(
                update(ledger_entries).where(ledger_entries.c.idx == i).values({column: value})
            )

        runtime.db.write(restore)


def test_changing_any_stored_subtree_hash_names_its_first_leaf(runtime: Runtime) -> None:
    rng = random.Random(3)
    with runtime.db.read() as session:
        nodes = session.execute(select(ledger_nodes.c.id, ledger_nodes.c.hash)).all()
    assert len(nodes) == sum(SIZE >> level for level in range(4, 9))
    for node, original in nodes:
        level, index = node >> store.NODE_LEVEL_SHIFT, node & ((1 << store.NODE_LEVEL_SHIFT) - 1)

        def change(s: Session, n: int = node, value: bytes = original) -> None:
            s.execute(
                update(ledger_nodes)
                .where(ledger_nodes.c.id == n)
                .values(hash=_flip_byte(value, rng))
            )

        assert _tampered(runtime, change).index == index << level

        def restore(s: Session, n: int = node, value: bytes = original) -> None:
            s.execute(update(ledger_nodes).where(ledger_nodes.c.id == n).values(hash=value))

        runtime.db.write(restore)


def test_deleting_an_entry_or_changing_the_head_is_caught(runtime: Runtime) -> None:
    error = _tampered(runtime, lambda s: s.execute(update(ledger_head).values(root=bytes(32))))
    assert "head" in error.message
    error = _tampered(
        runtime, lambda s: s.execute(ledger_entries.delete().where(ledger_entries.c.idx == 123))
    )
    assert error.index == 123


def test_a_forged_checkpoint_is_caught(runtime: Runtime) -> None:
    def forge(s: Session) -> None:
        note = s.execute(
            select(ledger_checkpoints.c.note).where(ledger_checkpoints.c.size == SIZE)
        ).scalar_one()
        forged = note.replace(f"\n{SIZE}\n", f"\n{SIZE - 1}\n")
        s.execute(
            update(ledger_checkpoints).where(ledger_checkpoints.c.size == SIZE).values(note=forged)
        )

    error = _tampered(runtime, forge)
    assert f"checkpoint at size {SIZE}" in error.message


def test_verify_leaves_the_garbage_collector_as_it_found_it(runtime: Runtime) -> None:
    import gc

    assert gc.isenabled()
    _tampered(runtime, lambda s: s.execute(update(ledger_head).values(root=bytes(32))))
    assert gc.isenabled()
    with runtime.db.read() as session:
        gc.disable()
        try:
            with pytest.raises(LedgerCorrupt):
                verify_log(session, runtime.signer.verifier)
            assert not gc.isenabled()
        finally:
            gc.enable()


def test_a_checkpoint_row_of_the_wrong_type_is_reported_not_crashed(runtime: Runtime) -> None:
    if not runtime.db.is_sqlite:
        pytest.skip("only SQLite lets a column hold a value of another type")
    from sqlalchemy import text

    error = _tampered(
        runtime,
        lambda s: s.execute(
            text("UPDATE ledger_checkpoints SET root = 'not a hash', note = CAST(note AS BLOB)")
        ),
    )
    assert "checkpoint at size" in error.message
