"""The log's hot statements, compiled once per dialect (see :mod:`ecocredit.fastsql`)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    bindparam,
    select,
    update,
)
from sqlalchemy.engine import Dialect

from ecocredit.fastsql import Compiled, execute, fetch, insert_into, insert_many
from ecocredit.fastsql import compile_for as _compile
from ecocredit.ledger.tables import ledger_entries, ledger_head, ledger_nodes

__all__ = ["Compiled", "execute", "fetch", "insert_into", "insert_many"]

HEAD_ID = 1


@functools.lru_cache(maxsize=64)
def head(dialect: Dialect, lock: bool) -> Compiled:
    """The head row; with ``lock``, ``FOR UPDATE`` (writers queue on it)."""
    stmt = select(ledger_head.c.size, ledger_head.c.root, ledger_head.c.frontier).where(
        ledger_head.c.id == bindparam("head_id")
    )
    return _compile(stmt.with_for_update() if lock else stmt, dialect)


@functools.lru_cache(maxsize=64)
def update_head(dialect: Dialect) -> Compiled:
    """Set the head's size, root and frontier."""
    stmt = (
        update(ledger_head)
        .where(ledger_head.c.id == bindparam("head_id"))
        .values(
            size=bindparam("new_size"),
            root=bindparam("new_root"),
            frontier=bindparam("new_frontier"),
        )
    )
    return _compile(stmt, dialect)


@functools.lru_cache(maxsize=64)
def entries_range(dialect: Dialect) -> Compiled:
    """Index, entry and leaf hash of the entries ``[start, end)``, in order."""
    c = ledger_entries.c
    stmt = (
        select(c.idx, c.entry, c.leaf_hash)
        .where(c.idx >= bindparam("start"), c.idx < bindparam("end"))
        .order_by(c.idx)
    )
    return _compile(stmt, dialect)


def _ordered_range(value: ColumnElement[Any], key: ColumnElement[int]) -> Select[Any]:
    return select(value).where(key >= bindparam("start"), key < bindparam("end")).order_by(key)


@functools.lru_cache(maxsize=64)
def leaf_range(dialect: Dialect) -> Compiled:
    """Leaf hashes of the entries ``[start, end)``, in order."""
    return _compile(_ordered_range(ledger_entries.c.leaf_hash, ledger_entries.c.idx), dialect)


@functools.lru_cache(maxsize=64)
def node_range(dialect: Dialect) -> Compiled:
    """Stored subtree hashes with ids in ``[start, end)``, in order."""
    return _compile(_ordered_range(ledger_nodes.c.hash, ledger_nodes.c.id), dialect)


@functools.lru_cache(maxsize=512)
def leaves_in(dialect: Dialect, count: int) -> Compiled:
    """Index and leaf hash of ``count`` given entries (parameters ``v0`` …)."""
    c = ledger_entries.c
    wanted: list[BindParameter[int]] = [bindparam(f"v{i}") for i in range(count)]
    return _compile(select(c.idx, c.leaf_hash).where(c.idx.in_(wanted)), dialect)


@functools.lru_cache(maxsize=512)
def nodes_in(dialect: Dialect, count: int) -> Compiled:
    """Id and hash of ``count`` given stored subtrees (parameters ``v0`` …)."""
    c = ledger_nodes.c
    wanted: list[BindParameter[int]] = [bindparam(f"v{i}") for i in range(count)]
    return _compile(select(c.id, c.hash).where(c.id.in_(wanted)), dialect)


def values(items: Sequence[int]) -> dict[str, int]:
    """Name the values of an ``…_in`` statement: ``v0``, ``v1``, and so on."""
    return {f"v{i}": v for i, v in enumerate(items)}
