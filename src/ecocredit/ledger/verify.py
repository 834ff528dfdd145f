"""Full verification of the stored log: every leaf hash, stored subtree, the head and checkpoints.

Nothing stored is trusted: leaf hashes are recomputed from the entry bytes, every stored
subtree hash and the head from those leaves, and every checkpoint's signature is checked and
its root recomputed. The first mismatch stops the check with :class:`LedgerCorrupt` naming the
first leaf index it affects. The log is read in chunks, so memory stays flat at any size.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecocredit.errors import LedgerCorrupt
from ecocredit.ledger import merkle, store
from ecocredit.ledger.note import NoteError, Verifier, open_checkpoint
from ecocredit.ledger.store import STORED_MIN_LEVEL
from ecocredit.ledger.tables import ledger_checkpoints, ledger_entries, ledger_nodes

CHUNK = 1 << 16  # leaves per read; a power of two so chunks align with subtrees


@dataclass(frozen=True)
class VerifyReport:
    """What a successful verification covered."""

    size: int
    root: bytes
    checkpoints: int


def _check_leaves(session: Session, start: int, end: int) -> list[bytes]:
    indices, entries, stored = store.read_columns(session, start, end)
    if indices != list(range(start, end)):
        gone = next(
            i for i in range(start, end) if i - start >= len(indices) or indices[i - start] != i
        )
        raise LedgerCorrupt(f"entry {gone} is missing", index=gone)
    sha256 = hashlib.sha256
    leaves = [sha256(b"\x00" + entry).digest() for entry in entries]
    if leaves != stored:
        bad = next(
            i for i, (leaf, kept) in enumerate(zip(leaves, stored, strict=True)) if leaf != kept
        )
        raise LedgerCorrupt(
            f"entry {start + bad}: the stored leaf hash does not match the entry bytes",
            index=start + bad,
        )
    return leaves


def _check_nodes(session: Session, completed: list[merkle.Completed]) -> None:
    for run in completed:
        stored = store.level_hashes(session, run.level, run.first, run.first + len(run.hashes))
        if stored == run.hashes:
            continue
        bad = next(i for i, h in enumerate(run.hashes) if i >= len(stored) or stored[i] != h)
        index = run.first + bad
        what = "does not match its leaves" if bad < len(stored) else "is missing"
        raise LedgerCorrupt(
            f"stored hash of subtree level {run.level} index {index} {what} "
            f"(entries {index << run.level}..{(index + 1 << run.level) - 1})",
            index=index << run.level,
        )


def _check_counts(session: Session, size: int) -> None:
    entries = session.execute(select(func.count()).select_from(ledger_entries)).scalar_one()
    if entries != size:
        raise LedgerCorrupt(
            f"the log holds {entries} entries but its head says {size}", index=min(entries, size)
        )
    nodes = session.execute(select(func.count()).select_from(ledger_nodes)).scalar_one()
    expected = sum(size >> level for level in range(STORED_MIN_LEVEL, size.bit_length()))
    if nodes != expected:
        raise LedgerCorrupt(
            f"the log holds {nodes} stored subtrees where {size} entries make {expected}"
        )


def _check_checkpoints(session: Session, verifier: Verifier, head: store.Head) -> int:
    c = ledger_checkpoints.c
    rows = session.execute(select(c.size, c.root, c.note).order_by(c.size)).all()
    for row in rows:
        size = int(row.size)
        note = row.note.decode(errors="replace") if isinstance(row.note, bytes) else str(row.note)
        try:
            checkpoint = open_checkpoint(note, verifier)
        except NoteError as exc:
            raise LedgerCorrupt(f"checkpoint at size {size}: {exc}", index=size) from exc
        if size > head.size:
            raise LedgerCorrupt(f"checkpoint at size {size} is beyond the log", index=head.size)
        root = store.root_at(session, size)
        if checkpoint.size != size or checkpoint.root != root or store.as_bytes(row.root) != root:
            raise LedgerCorrupt(f"checkpoint at size {size} does not match the entries", index=size)
    return len(rows)


@contextmanager
def _collector_paused() -> Iterator[None]:
    # Verification makes millions of short-lived tuples and bytes, none of them in cycles; the
    # cyclic collector would rescan them over and over (measured: up to a third of the time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def verify_log(
    session: Session, verifier: Verifier, progress: Callable[[int], None] | None = None
) -> VerifyReport:
    """Recompute everything from the entries; raise :class:`LedgerCorrupt` at the first fault."""
    with _collector_paused():
        return _verify(session, verifier, progress)


def _verify(
    session: Session, verifier: Verifier, progress: Callable[[int], None] | None
) -> VerifyReport:
    head = store.read_head(session)
    frontier: list[bytes] = []
    for start in range(0, head.size, CHUNK):
        end = min(head.size, start + CHUNK)
        leaves = _check_leaves(session, start, end)
        _check_nodes(session, merkle.extend(frontier, start, leaves, STORED_MIN_LEVEL))
        if progress is not None:
            progress(end - start)
    _check_counts(session, head.size)
    if tuple(frontier) != head.frontier or merkle.fold(frontier) != head.root:
        raise LedgerCorrupt("the log head does not match its entries", index=head.size)
    return VerifyReport(head.size, head.root, _check_checkpoints(session, verifier, head))
