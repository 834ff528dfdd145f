"""Full verification of the stored log: every leaf hash, stored subtree, the head and checkpoints.

Nothing stored is trusted: leaf hashes are recomputed from the entry bytes, every stored
subtree hash and the head from those leaves, and every checkpoint's signature is checked and
its root recomputed. The first mismatch stops the check with :class:`LedgerCorrupt` naming the
first leaf index it affects. The log is read in chunks, so memory stays flat at any size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecocredit.errors import LedgerCorrupt
from ecocredit.ledger import merkle, store
from ecocredit.ledger.note import NoteError, Verifier, open_checkpoint
from ecocredit.ledger.store import NODE_LEVEL_SHIFT, STORED_MIN_LEVEL
from ecocredit.ledger.tables import ledger_checkpoints, ledger_entries, ledger_nodes

CHUNK = 1 << 16  # leaves per read; a power of two so chunks align with subtrees


@dataclass(frozen=True)
class VerifyReport:
    """What a successful verification covered."""

    size: int
    root: bytes
    checkpoints: int


def _check_leaves(rows: list[tuple[int, bytes, bytes]], start: int, end: int) -> list[bytes]:
    if len(rows) != end - start or (rows and (rows[0][0], rows[-1][0]) != (start, end - 1)):
        have = {i for i, _, _ in rows}
        gone = next(i for i in range(start, end) if i not in have)
        raise LedgerCorrupt(f"entry {gone} is missing", index=gone)
    sha256 = hashlib.sha256
    leaves = [sha256(b"\x00" + entry).digest() for _, entry, _ in rows]
    if leaves != [stored for _, _, stored in rows]:
        bad = next(
            i for i, (row, leaf) in enumerate(zip(rows, leaves, strict=True)) if row[2] != leaf
        )
        raise LedgerCorrupt(
            f"entry {start + bad}: the stored leaf hash does not match the entry bytes",
            index=start + bad,
        )
    return leaves


def _check_nodes(session: Session, completed: list[tuple[int, int, bytes]]) -> None:
    expected = {
        level << NODE_LEVEL_SHIFT | index: (level, index, h)
        for level, index, h in completed
        if level >= STORED_MIN_LEVEL
    }
    if not expected:
        return
    query = select(ledger_nodes.c.id, ledger_nodes.c.hash).where(
        ledger_nodes.c.id.in_(list(expected))
    )
    stored = {int(i): store.as_bytes(h) for i, h in session.execute(query)}
    for node, (level, index, h) in sorted(expected.items(), key=lambda kv: kv[1][1] << kv[1][0]):
        if stored.get(node) != h:
            what = "is missing" if node not in stored else "does not match its leaves"
            raise LedgerCorrupt(
                f"stored hash of subtree level {level} index {index} {what} "
                f"(entries {index << level}..{(index + 1 << level) - 1})",
                index=index << level,
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
    rows = session.execute(select(ledger_checkpoints).order_by(ledger_checkpoints.c.size)).all()
    for row in rows:
        size = int(row.size)
        try:
            checkpoint = open_checkpoint(row.note, verifier)
        except NoteError as exc:
            raise LedgerCorrupt(f"checkpoint at size {size}: {exc}", index=size) from exc
        if size > head.size:
            raise LedgerCorrupt(f"checkpoint at size {size} is beyond the log", index=head.size)
        root = store.root_at(session, size)
        if checkpoint.size != size or checkpoint.root != root or bytes(row.root) != root:
            raise LedgerCorrupt(f"checkpoint at size {size} does not match the entries", index=size)
    return len(rows)


def verify_log(
    session: Session, verifier: Verifier, progress: Callable[[int], None] | None = None
) -> VerifyReport:
    """Recompute everything from the entries; raise :class:`LedgerCorrupt` at the first fault."""
    head = store.read_head(session)
    frontier: list[bytes] = []
    for start in range(0, head.size, CHUNK):
        end = min(head.size, start + CHUNK)
        leaves = _check_leaves(store.read_entries(session, start, end), start, end)
        _check_nodes(session, merkle.extend(frontier, start, leaves))
        if progress is not None:
            progress(end - start)
    _check_counts(session, head.size)
    if tuple(frontier) != head.frontier or merkle.fold(frontier) != head.root:
        raise LedgerCorrupt("the log head does not match its entries", index=head.size)
    return VerifyReport(head.size, head.root, _check_checkpoints(session, verifier, head))
