"""Serial blocks in the database: move units between owners and states, insert new batches.

This is the hot path of every transfer, so its statements are compiled once per dialect and
run on the driver's cursor (:mod:`ecocredit.fastsql`). The rules themselves (which units move,
how spans merge) are the pure ones of :mod:`ecocredit.registry.serials`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import BigInteger, BindParameter, Integer, bindparam, delete, func, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from ecocredit.fastsql import Compiled, compile_for, execute, execute_many, fetch, insert_many
from ecocredit.registry.model import Span
from ecocredit.registry.serials import Block, BlockSet
from ecocredit.registry.tables import batches, blocks

_b = blocks.c


@functools.lru_cache(maxsize=16)
def _owned(dialect: Dialect) -> Compiled:
    stmt = (
        select(_b.first, _b.last)
        .where(
            _b.owner_id == bindparam("owner"),
            _b.batch_id == bindparam("batch"),
            _b.state == bindparam("state"),
            _b.first > bindparam("after"),
        )
        .order_by(_b.first)
        .limit(bindparam("limit", type_=BigInteger))
        .offset(bindparam("skip", type_=Integer))
    )
    return compile_for(stmt, dialect)


def _block_columns() -> tuple[Any, ...]:
    return (_b.first, _b.last, _b.owner_id, _b.state, _b.op)


@functools.lru_cache(maxsize=16)
def _delete(dialect: Dialect) -> Compiled:
    stmt = delete(blocks).where(_b.batch_id == bindparam("batch"), _b.first == bindparam("first"))
    return compile_for(stmt, dialect)


@functools.lru_cache(maxsize=32)
def _shift_supply(dialect: Dialect, source: str, target: str) -> Compiled:
    c = batches.c
    amount: BindParameter[int] = bindparam("amount")
    stmt = (
        update(batches)
        .where(c.id == bindparam("batch"))
        .values({source: c[source] - amount, target: c[target] + amount})
    )
    return compile_for(stmt, dialect)


def owned(
    session: Session, batch: int, owner: int, state: str, after: int = 0, limit: int = 2**62
) -> list[Span]:
    """Up to ``limit`` blocks ``owner`` holds in ``state`` after serial ``after``, in order."""
    statement = _owned(session.get_bind().dialect)
    rows = fetch(
        session,
        statement,
        owner=owner,
        batch=batch,
        state=state,
        after=after,
        limit=limit,
        skip=0,
    )
    return [Span(int(first), int(last)) for first, last in rows]


def _block(row: Sequence[Any]) -> Block:
    first, last, owner, state, op = row
    return Block(int(first), int(last), int(owner), str(state), None if op is None else int(op))


@functools.lru_cache(maxsize=256)
def _neighbours(dialect: Dialect, lefts: int, rights: int) -> Compiled:
    """Blocks just before serials ``l0``… and starting at serials ``r0``…, in one query."""
    inner = blocks.alias("before")
    keys: list[Any] = [
        select(func.max(inner.c.first))
        .where(inner.c.batch_id == bindparam("batch"), inner.c.first < bindparam(f"l{i}"))
        .scalar_subquery()
        for i in range(lefts)
    ]
    keys += [bindparam(f"r{i}") for i in range(rights)]
    stmt = select(*_block_columns()).where(_b.batch_id == bindparam("batch"), _b.first.in_(keys))
    return compile_for(stmt, dialect)


@functools.lru_cache(maxsize=16)
def _rewrite(dialect: Dialect) -> Compiled:
    stmt = (
        update(blocks)
        .where(_b.batch_id == bindparam("batch"), _b.first == bindparam("at"))
        .values(
            last=bindparam("new_last"),
            owner_id=bindparam("new_owner"),
            state=bindparam("new_state"),
            op=bindparam("new_op"),
        )
    )
    return compile_for(stmt, dialect)


def move(
    session: Session,
    batch: int,
    holder: tuple[int, str],
    source: Sequence[Span],
    taken: Sequence[Span],
    target: tuple[int, str, int | None],
) -> None:
    """Move the spans ``taken`` (heads of ``holder``'s ``source`` blocks) to ``target``.

    ``holder`` is (owner, state) of the source blocks and ``target`` (owner, state, op) of
    the moved units. The blocks a move can touch (its sources, the block before each, the
    block after each source it empties) are read in one query, the move is made in memory
    with the pure rules of :class:`~ecocredit.registry.serials.BlockSet`, and the difference
    is written back with one statement per kind of change, however many blocks move.
    """
    dialect = session.get_bind().dialect
    used = [Block(b.first, b.last, holder[0], holder[1]) for b in source[: len(taken)]]
    emptied = [b.last + 1 for b, span in zip(used, taken, strict=True) if span.last == b.last]
    lefts, rights = _padded([b.first for b in used]), _padded(emptied)
    params = {f"l{i}": first for i, first in enumerate(lefts)}
    params.update({f"r{i}": first for i, first in enumerate(rights)})
    statement = _neighbours(dialect, len(lefts), len(rights))
    before = {b.first: b for b in map(_block, fetch(session, statement, batch=batch, **params))}
    before.update((b.first, b) for b in used)
    view = BlockSet()
    for block in before.values():
        view.add(block)
    view.move(list(taken), target)
    after = {b.first: b for b in view.blocks()}
    _write_difference(session, dialect, batch, before, after)


def _padded(keys: list[int]) -> list[int]:
    """``keys`` repeated up to a power of two (none stays none).

    A statement's text depends on how many keys it has; rounding the count keeps the texts
    few, so PostgreSQL plans each once (psycopg prepares a statement used five times).
    """
    if not keys:
        return keys
    size = 1 << (len(keys) - 1).bit_length()
    return keys + [keys[-1]] * (size - len(keys))


def _write_difference(
    session: Session,
    dialect: Dialect,
    batch: int,
    before: dict[int, Block],
    after: dict[int, Block],
) -> None:
    gone = [{"batch": batch, "first": f} for f in before if f not in after]
    changed = [
        {
            "batch": batch,
            "at": b.first,
            "new_last": b.last,
            "new_owner": b.owner,
            "new_state": b.state,
            "new_op": b.op,
        }
        for f, b in after.items()
        if f in before and before[f] != b
    ]
    for statement, rows in ((_delete(dialect), gone), (_rewrite(dialect), changed)):
        # One row is the usual case: a plain execute costs less than an executemany.
        if len(rows) == 1:
            execute(session, statement, **rows[0])
        elif rows:
            execute_many(session, statement, rows)
    insert(session, batch, [b for f, b in after.items() if f not in before])


def insert(session: Session, batch: int, new: Iterable[Block]) -> None:
    """Insert blocks of one batch."""
    insert_many(session, blocks, ((batch, b.first, b.last, b.owner, b.state, b.op) for b in new))


def insert_rows(
    session: Session, batch: int, rows: Iterable[tuple[int, int, int, str, int | None]]
) -> None:
    """Insert (first, last, owner, state, op) rows of one batch: an issuance's blocks."""
    insert_many(session, blocks, ((batch, *row) for row in rows))


def shift_supply(session: Session, batch: int, source: str, target: str, amount: int) -> None:
    """Move ``amount`` units of a batch's supply from one state column to another."""
    statement = _shift_supply(session.get_bind().dialect, source, target)
    execute(session, statement, batch=batch, amount=amount)
