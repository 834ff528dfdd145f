"""The Merkle log kept in the database: append, roots, proofs, entries and tiles.

Appending joins the caller's transaction: it locks the log head, hashes the new entries onto
the stored compact range, and writes the entries, every interior node they complete, and the
new head. So appending n entries costs O(n) hashing, and any root or proof at any size reads
O(log n) stored hashes (see :mod:`ecocredit.ledger.merkle`).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from ecocredit.errors import DatabaseNotReady, EntryTooLarge, InvalidParameter, LedgerCorrupt
from ecocredit.ledger import merkle
from ecocredit.ledger.events import MAX_ENTRY_BYTES
from ecocredit.ledger.merkle import HASH_SIZE, Node, Range
from ecocredit.ledger.tables import ledger_entries, ledger_head, ledger_nodes

NODE_LEVEL_SHIFT = 40  # node id = level << 40 | index; room for 2**41 leaves
# Subtrees of 2, 4 and 8 leaves are cheaper to rehash from their leaf hashes (one range read,
# at most 7 hashes) than to store: storing them would nearly double the rows an append writes.
STORED_MIN_LEVEL = 4
MAX_INDEX = 2**63 - 1
_HEAD_ID = 1


def node_id(node: Node) -> int:
    """Return the stored id of a complete subtree above the leaves."""
    return node.level << NODE_LEVEL_SHIFT | node.index


@dataclass(frozen=True)
class Head:
    """The log as of its last append: size, root and compact range."""

    size: int
    root: bytes
    frontier: tuple[bytes, ...]


def read_head(session: Session, *, lock: bool = False) -> Head:
    """Return the head; with ``lock``, hold it until the transaction ends (writers queue here)."""
    query = select(ledger_head.c.size, ledger_head.c.root, ledger_head.c.frontier).where(
        ledger_head.c.id == _HEAD_ID
    )
    if lock:
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    if row is None:
        raise DatabaseNotReady("the log head is missing: run `ecocredit init`")
    blob = bytes(row.frontier)
    frontier = tuple(blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE))
    return Head(int(row.size), bytes(row.root), frontier)


def append(session: Session, entries: Sequence[bytes]) -> int:
    """Append entries in the caller's transaction and return the index of the first one."""
    for position, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_BYTES:
            raise EntryTooLarge(
                f"entry {position} of the batch is {len(entry)} bytes; at most "
                f"{MAX_ENTRY_BYTES} fit in a log entry"
            )
    head = read_head(session, lock=True)
    if not entries:
        return head.size
    sha256 = hashlib.sha256
    leaves = [sha256(b"\x00" + entry).digest() for entry in entries]
    frontier = list(head.frontier)
    completed = merkle.extend(frontier, head.size, leaves)
    size = head.size + len(entries)
    _insert_rows(session, ledger_entries, zip(range(head.size, size), entries, leaves, strict=True))
    stored = [
        (level << NODE_LEVEL_SHIFT | index, h)
        for level, index, h in completed
        if level >= STORED_MIN_LEVEL
    ]
    if stored:
        _insert_rows(session, ledger_nodes, stored)
    values = {"size": size, "root": merkle.fold(frontier), "frontier": b"".join(frontier)}
    session.execute(update(ledger_head).where(ledger_head.c.id == _HEAD_ID).values(**values))
    return head.size


@functools.lru_cache(maxsize=32)
def _insert_sql(table: Table, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    compiled = table.insert().compile(dialect=dialect)
    names = None if compiled.positional else tuple(c.name for c in table.columns)
    return str(compiled), names


def _insert_rows(session: Session, table: Table, rows: Iterable[tuple[object, ...]]) -> None:
    # Bulk appends go straight to the driver's executemany: SQLAlchemy's per-row parameter
    # processing would cost more than hashing and writing together. The SQL is compiled from
    # the table, never assembled from strings.
    conn = session.connection()
    sql, names = _insert_sql(table, conn.dialect)
    params: list[Any] = (
        list(rows) if names is None else [dict(zip(names, r, strict=True)) for r in rows]
    )
    conn.exec_driver_sql(sql, params)


def node_hashes(session: Session, nodes: Iterable[Node]) -> dict[Node, bytes]:
    """Read the hashes of complete subtrees (leaves included) in at most two queries."""
    wanted = set(nodes)
    low = [n for n in wanted if n.level < STORED_MIN_LEVEL]
    inner = {node_id(n): n for n in wanted if n.level >= STORED_MIN_LEVEL}
    found: dict[Node, bytes] = {}
    if low:
        indices = sorted(
            {i for n in low for i in range(n.index << n.level, n.index + 1 << n.level)}
        )
        query = select(ledger_entries.c.idx, ledger_entries.c.leaf_hash).where(
            ledger_entries.c.idx.in_(indices)
        )
        leaves = {int(i): as_bytes(h) for i, h in session.execute(query)}
        for n in low:
            span = range(n.index << n.level, n.index + 1 << n.level)
            if all(i in leaves for i in span):
                found[n] = merkle.root_of(leaves[i] for i in span)
    if inner:
        query = select(ledger_nodes.c.id, ledger_nodes.c.hash).where(
            ledger_nodes.c.id.in_(list(inner))
        )
        found.update((inner[int(i)], as_bytes(h)) for i, h in session.execute(query))
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
    query = (
        select(ledger_entries.c.idx, ledger_entries.c.entry, ledger_entries.c.leaf_hash)
        .where(ledger_entries.c.idx >= start, ledger_entries.c.idx < end)
        .order_by(ledger_entries.c.idx)
    )
    return [(int(i), as_bytes(e), as_bytes(h)) for i, e, h in session.execute(query)]


def level_hashes(session: Session, level: int, start: int, end: int) -> list[bytes]:
    """Return the hashes of the subtrees ``start..end-1`` at one tree level, in order."""
    if 0 < level < STORED_MIN_LEVEL:
        found = node_hashes(session, (Node(level, i) for i in range(start, end)))
        return [found[Node(level, i)] for i in range(start, end)]
    if level == 0:
        query = (
            select(ledger_entries.c.leaf_hash)
            .where(ledger_entries.c.idx >= start, ledger_entries.c.idx < end)
            .order_by(ledger_entries.c.idx)
        )
    else:
        base = level << NODE_LEVEL_SHIFT
        query = (
            select(ledger_nodes.c.hash)
            .where(ledger_nodes.c.id >= base + start, ledger_nodes.c.id < base + end)
            .order_by(ledger_nodes.c.id)
        )
    return [as_bytes(h) for (h,) in session.execute(query)]
