"""The Merkle log kept in the database: append, roots, proofs, entries and tiles.

Appending joins the caller's transaction: it locks the log head, hashes the new entries onto
the stored compact range, and writes the entries, every interior node they complete, and the
new head. So appending n entries costs O(n) hashing, and any root or proof at any size reads
O(log n) stored hashes (see :mod:`ecocredit.ledger.merkle`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ecocredit.errors import DatabaseNotReady, EntryTooLarge, InvalidParameter, LedgerCorrupt
from ecocredit.ledger import merkle, sql
from ecocredit.ledger.events import MAX_ENTRY_BYTES
from ecocredit.ledger.merkle import HASH_SIZE, Node, Range
from ecocredit.ledger.tables import ledger_entries, ledger_nodes

NODE_LEVEL_SHIFT = 40  # node id = level << 40 | index: indices up to 2**40 at every level
# Subtrees of 2, 4 and 8 leaves are cheaper to rehash from their leaf hashes (one range read,
# at most 7 hashes) than to store: storing them would nearly double the rows an append writes.
STORED_MIN_LEVEL = 4
MAX_INDEX = 2**63 - 1


def node_id(node: Node) -> int:
    """Return the stored id of a complete subtree above the leaves."""
    return node.level << NODE_LEVEL_SHIFT | node.index


@dataclass(frozen=True)
class Head:
    """The log as of its last append: size, root and compact range."""

    size: int
    root: bytes
    frontier: tuple[bytes, ...]


_HEAD = "ecocredit.ledger.head"  # session.info: (transaction, head, written to the row?)
_DEFER = "ecocredit.ledger.defer"


def read_head(session: Session, *, lock: bool = False) -> Head:
    """Return the head; with ``lock``, hold it until the transaction ends (writers queue here).

    Once locked, the head changes only through :func:`append` in this transaction, so it is
    kept in the session and not read again until the transaction ends.
    """
    cached = session.info.get(_HEAD)
    if cached is not None and cached[0] is session.get_transaction():
        head: Head = cached[1]
        return head
    rows = sql.fetch(session, sql.head(session.get_bind().dialect, lock), head_id=sql.HEAD_ID)
    if not rows:
        raise DatabaseNotReady("the log head is missing: run `ecocredit init`")
    size, root, frontier = rows[0]
    blob = as_bytes(frontier)
    hashes = tuple(blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE))
    head = Head(int(size), as_bytes(root), hashes)
    if lock:
        session.info[_HEAD] = (session.get_transaction(), head, True)
    return head


def defer_head_writes(session: Session) -> None:
    """Keep the head in memory for the rest of the transaction; :func:`flush_head` writes it.

    Group commit runs many operations in one transaction: writing the one head row after
    each would leave a chain of dead row versions that every later write walks.
    """
    read_head(session, lock=True)
    session.info[_DEFER] = session.get_transaction()


def snapshot_head(session: Session) -> object:
    """The transaction's head as it stands, to restore if a savepoint is rolled back."""
    return session.info.get(_HEAD)


def restore_head(session: Session, snapshot: object) -> None:
    """Put back a head taken by :func:`snapshot_head`."""
    session.info[_HEAD] = snapshot


def flush_head(session: Session) -> None:
    """Write a deferred head to its row."""
    cached = session.info.get(_HEAD)
    if cached is None or cached[0] is not session.get_transaction() or cached[2]:
        return
    _write_head(session, cached[1])
    session.info[_HEAD] = (cached[0], cached[1], True)


def _write_head(session: Session, head: Head) -> None:
    sql.execute(
        session,
        sql.update_head(session.get_bind().dialect),
        head_id=sql.HEAD_ID,
        new_size=head.size,
        new_root=head.root,
        new_frontier=b"".join(head.frontier),
    )


def append(session: Session, entries: Sequence[bytes]) -> int:
    """Append entries in the caller's transaction and return the index of the first one."""
    if entries and max(map(len, entries)) > MAX_ENTRY_BYTES:
        position = next(i for i, e in enumerate(entries) if len(e) > MAX_ENTRY_BYTES)
        raise EntryTooLarge(
            f"entry {position} of the batch is {len(entries[position])} bytes; at most "
            f"{MAX_ENTRY_BYTES} fit in a log entry"
        )
    head = read_head(session, lock=True)
    if not entries:
        return head.size
    sha256 = hashlib.sha256
    leaves = [sha256(b"\x00" + entry).digest() for entry in entries]
    frontier = list(head.frontier)
    completed = merkle.extend(frontier, head.size, leaves, min_level=STORED_MIN_LEVEL)
    size = head.size + len(entries)
    rows = zip(range(head.size, size), entries, leaves, strict=True)
    sql.insert_many(session, ledger_entries, rows)
    if completed:
        sql.insert_many(
            session,
            ledger_nodes,
            (
                ((run.level << NODE_LEVEL_SHIFT) + run.first + i, h)
                for run in completed
                for i, h in enumerate(run.hashes)
            ),
        )
    new = Head(size, merkle.fold(frontier), tuple(frontier))
    transaction = session.get_transaction()
    deferred = session.info.get(_DEFER) is transaction
    if not deferred:
        _write_head(session, new)
    session.info[_HEAD] = (transaction, new, not deferred)
    return head.size


def node_hashes(session: Session, nodes: Iterable[Node]) -> dict[Node, bytes]:
    """Read the hashes of complete subtrees (leaves included) in at most two queries."""
    dialect = session.get_bind().dialect
    wanted = set(nodes)
    low = [n for n in wanted if n.level < STORED_MIN_LEVEL]
    inner = {node_id(n): n for n in wanted if n.level >= STORED_MIN_LEVEL}
    found: dict[Node, bytes] = {}
    if low:
        indices = sorted(
            {i for n in low for i in range(n.index << n.level, n.index + 1 << n.level)}
        )
        rows = sql.fetch(session, sql.leaves_in(dialect, len(indices)), **sql.values(indices))
        leaves = {int(i): as_bytes(h) for i, h in rows}
        for n in low:
            span = range(n.index << n.level, n.index + 1 << n.level)
            if all(i in leaves for i in span):
                found[n] = merkle.root_of(leaves[i] for i in span)
    if inner:
        ids = sorted(inner)
        rows = sql.fetch(session, sql.nodes_in(dialect, len(ids)), **sql.values(ids))
        found.update((inner[int(i)], as_bytes(h)) for i, h in rows)
    if len(found) != len(wanted):
        gone = sorted(wanted - found.keys())[0]
        raise LedgerCorrupt(
            f"stored hash of subtree level {gone.level} index {gone.index} is missing",
            index=gone.index << gone.level,
        )
    return found


def range_hashes(session: Session, ranges: Sequence[Range]) -> list[bytes]:
    """Return the Merkle tree hash of each leaf range, from stored subtree hashes."""
    plans = [merkle.range_nodes(r.start, r.end) for r in ranges]
    stored = node_hashes(session, (n for plan in plans for n in plan))
    return [merkle.fold([stored[n] for n in plan]) for plan in plans]


def _check_size(session: Session, size: int, name: str) -> Head:
    head = read_head(session)
    if size > head.size:
        raise InvalidParameter(
            f"{name}={size} is beyond the log, which has {head.size} entries", field=name
        )
    return head


def root_at(session: Session, size: int) -> bytes:
    """Return the root hash of the log's first ``size`` entries."""
    head = _check_size(session, size, "size")
    if size == head.size:
        return head.root
    if size == 0:
        return merkle.EMPTY_ROOT
    return range_hashes(session, [Range(0, size)])[0]


def inclusion_proof(session: Session, index: int, size: int) -> list[bytes]:
    """Return the RFC 9162 inclusion proof of entry ``index`` in the tree of ``size``."""
    if index >= size:
        raise InvalidParameter(f"index={index} must be less than size={size}", field="index")
    _check_size(session, size, "size")
    return range_hashes(session, merkle.inclusion_ranges(index, size))


def consistency_proof(session: Session, first: int, second: int) -> list[bytes]:
    """Return the RFC 9162 consistency proof between tree sizes ``first`` and ``second``."""
    if first == 0:
        raise InvalidParameter(
            "first must be at least 1: the empty tree proves nothing", field="first"
        )
    if first > second:
        raise InvalidParameter(
            f"first={first} must not be larger than second={second}", field="first"
        )
    _check_size(session, second, "second")
    return range_hashes(session, merkle.consistency_ranges(first, second))


def as_bytes(value: object) -> bytes:
    """Return a stored binary value as bytes, whatever type a (tampered) database hands back."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):  # SQLite lets an altered BLOB come back as TEXT
        return value.encode()
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def read_entries(session: Session, start: int, end: int) -> list[tuple[int, bytes, bytes]]:
    """Return ``(index, entry, leaf hash)`` for the stored entries in ``[start, end)``."""
    statement = sql.entries_range(session.get_bind().dialect)
    rows = sql.fetch(session, statement, start=start, end=end)
    return [(int(i), as_bytes(e), as_bytes(h)) for i, e, h in rows]


def read_columns(
    session: Session, start: int, end: int
) -> tuple[list[int], list[bytes], list[bytes]]:
    """Return the indices, entries and leaf hashes of ``[start, end)`` as three lists.

    The column-wise form is what full verification wants: it compares whole lists at C speed.
    """
    rows = sql.fetch(session, sql.entries_range(session.get_bind().dialect), start=start, end=end)
    if not rows:
        return [], [], []
    indices, entries, leaves = (list(column) for column in zip(*rows, strict=True))
    if not all(type(v) is bytes for v in entries):
        entries = [as_bytes(v) for v in entries]
    if not all(type(v) is bytes for v in leaves):
        leaves = [as_bytes(v) for v in leaves]
    return indices, entries, leaves


def level_hashes(session: Session, level: int, start: int, end: int) -> list[bytes]:
    """Return the hashes of the subtrees ``start..end-1`` at one tree level, in order."""
    if 0 < level < STORED_MIN_LEVEL:
        found = node_hashes(session, (Node(level, i) for i in range(start, end)))
        return [found[Node(level, i)] for i in range(start, end)]
    dialect = session.get_bind().dialect
    if level == 0:
        rows = sql.fetch(session, sql.leaf_range(dialect), start=start, end=end)
    else:
        base = level << NODE_LEVEL_SHIFT
        rows = sql.fetch(session, sql.node_range(dialect), start=base + start, end=base + end)
    return [as_bytes(h) for (h,) in rows]
