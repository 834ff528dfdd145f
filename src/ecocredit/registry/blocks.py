"""Serial blocks in the database: move units between owners and states, insert new batches.

This is the hot path of every transfer, so its statements are compiled once per dialect and
run on the driver's cursor (:mod:`ecocredit.fastsql`). The rules themselves (which units move,
how spans merge) are the pure ones of :mod:`ecocredit.registry.serials`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import BindParameter, Integer, bindparam, delete, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from ecocredit.fastsql import Compiled, compile_for, execute, fetch, insert_many
from ecocredit.registry import serials
from ecocredit.registry.model import Span
from ecocredit.registry.serials import Block
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
    )
    return compile_for(stmt, dialect)


def _block_columns() -> tuple[Any, ...]:
    return (_b.first, _b.last, _b.owner_id, _b.state, _b.op)


@functools.lru_cache(maxsize=16)
def _left_of(dialect: Dialect) -> Compiled:
    stmt = (
        select(*_block_columns())
        .where(_b.batch_id == bindparam("batch"), _b.first < bindparam("first"))
        .order_by(_b.first.desc())
        .limit(bindparam("one", type_=Integer))
        .offset(bindparam("zero", type_=Integer))
    )
    return compile_for(stmt, dialect)


@functools.lru_cache(maxsize=16)
def _at(dialect: Dialect) -> Compiled:
    stmt = select(*_block_columns()).where(
        _b.batch_id == bindparam("batch"), _b.first == bindparam("first")
    )
    return compile_for(stmt, dialect)


@functools.lru_cache(maxsize=16)
def _delete(dialect: Dialect) -> Compiled:
    stmt = delete(blocks).where(_b.batch_id == bindparam("batch"), _b.first == bindparam("first"))
    return compile_for(stmt, dialect)


@functools.lru_cache(maxsize=16)
def _set_first(dialect: Dialect) -> Compiled:
    stmt = (
        update(blocks)
        .where(_b.batch_id == bindparam("batch"), _b.first == bindparam("old"))
        .values(first=bindparam("new"))
    )
    return compile_for(stmt, dialect)


@functools.lru_cache(maxsize=16)
def _set_last(dialect: Dialect) -> Compiled:
    stmt = (
        update(blocks)
        .where(_b.batch_id == bindparam("batch"), _b.first == bindparam("first_"))
        .values(last=bindparam("new"))
    )
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


def owned(session: Session, batch: int, owner: int, state: str, after: int = 0) -> list[Span]:
    """The blocks ``owner`` holds in ``state`` in a batch after serial ``after``, in order."""
    statement = _owned(session.get_bind().dialect)
    rows = fetch(session, statement, owner=owner, batch=batch, state=state, after=after)
    return [Span(int(first), int(last)) for first, last in rows]


def _block(row: Sequence[Any] | None) -> Block | None:
    if row is None:
        return None
    first, last, owner, state, op = row
    return Block(int(first), int(last), int(owner), str(state), None if op is None else int(op))


def move(
    session: Session,
    batch: int,
    source: Sequence[Span],
    taken: Sequence[Span],
    target: tuple[int, str, int | None],
) -> None:
    """Move the spans ``taken`` (heads of the ``source`` blocks) to ``target``.

    ``target`` is (owner, state, op). The source blocks lose their heads; each span then joins
    an adjacent block of the same owner, state and op, or becomes a block of its own.
    """
    dialect = session.get_bind().dialect
    owner, state, op = target
    for span, block in zip(taken, source, strict=False):
        if span.last == block.last:
            execute(session, _delete(dialect), batch=batch, first=block.first)
        else:
            execute(session, _set_first(dialect), batch=batch, old=block.first, new=span.last + 1)
    for span, block in zip(taken, source, strict=False):
        left = _block(
            _one(fetch(session, _left_of(dialect), batch=batch, first=span.first, one=1, zero=0))
        )
        right: Block | None = None
        if span.last == block.last:  # otherwise the source's own remainder follows it
            right = _block(_one(fetch(session, _at(dialect), batch=batch, first=span.last + 1)))
        _write(session, dialect, batch, serials.place(span, owner, state, op, left, right))


def _one(rows: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
    return rows[0] if rows else None


def _write(session: Session, dialect: Dialect, batch: int, placed: serials.Placement) -> None:
    new = placed.block
    if placed.absorbed_right is not None:
        execute(session, _delete(dialect), batch=batch, first=placed.absorbed_right)
    if placed.absorbs_left:
        execute(session, _set_last(dialect), batch=batch, first_=new.first, new=new.last)
    else:
        insert(session, batch, [new])


def insert(session: Session, batch: int, new: Iterable[Block]) -> None:
    """Insert blocks of one batch."""
    insert_many(session, blocks, ((batch, b.first, b.last, b.owner, b.state, b.op) for b in new))


def insert_rows(session: Session, batch: int, rows: Iterable[tuple[int, int, int, str]]) -> None:
    """Insert (first, last, owner, state) rows of one batch, none final: an issuance's blocks."""
    insert_many(session, blocks, ((batch, *row, None) for row in rows))


def shift_supply(session: Session, batch: int, source: str, target: str, amount: int) -> None:
    """Move ``amount`` units of a batch's supply from one state column to another."""
    statement = _shift_supply(session.get_bind().dialect, source, target)
    execute(session, statement, batch=batch, amount=amount)
