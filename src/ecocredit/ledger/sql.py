"""The log's hot statements, compiled once per dialect and run on the driver's own cursor.

Appends, proofs and full verification run a few statements very many times. Going through
SQLAlchemy's statement building and result rows for each would cost more than the hashing and
the database work together, so these statements are compiled once per dialect by SQLAlchemy's
compiler (the SQL text never comes from string assembly) and executed on the DBAPI cursor of
the session's own connection, inside the session's transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ClauseElement,
    ColumnElement,
    Select,
    Table,
    bindparam,
    select,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

from ecocredit.ledger.tables import ledger_entries, ledger_head, ledger_nodes

HEAD_ID = 1


@dataclass(frozen=True)
class Compiled:
    """SQL text for one dialect and, for positional paramstyles, the order of its parameters."""

    sql: str
    order: tuple[str, ...] | None

    def args(self, params: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        """Arrange named parameters the way the driver wants them."""
        return params if self.order is None else tuple(params[name] for name in self.order)


def _compile(stmt: ClauseElement, dialect: Dialect) -> Compiled:
    compiled = cast(SQLCompiler, stmt.compile(dialect=dialect))
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    return Compiled(str(compiled), order)


def fetch(session: Session, statement: Compiled, **params: Any) -> list[tuple[Any, ...]]:
    """Run a query in the session's transaction and return its rows as plain tuples."""
    conn = session.connection()
    dbapi_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.cursor()
    try:
        cursor.execute(statement.sql, statement.args(params))
        return list(cursor.fetchall())
    except dbapi_error as exc:
        # Translate at this boundary as SQLAlchemy would, so that callers retry serialization
        # failures and the API answers 503, not 500.
        invalidated = conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, cursor)
        raise DBAPIError.instance(
            statement.sql,
            params,
            exc,
            dbapi_error,
            connection_invalidated=invalidated,
            dialect=conn.dialect,
        ) from exc
    finally:
        cursor.close()


def execute(session: Session, statement: Compiled, **params: Any) -> None:
    """Run a statement that returns no rows in the session's transaction."""
    session.connection().exec_driver_sql(statement.sql, statement.args(params))


def insert_many(session: Session, table: Table, rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert rows (tuples in the table's column order) with one executemany."""
    conn = session.connection()
    statement = insert_into(table, conn.dialect)
    if statement.order is None:
        names = [c.name for c in table.columns]
        params: list[Any] = [dict(zip(names, row, strict=True)) for row in rows]
    else:
        params = list(rows)
    conn.exec_driver_sql(statement.sql, params)


@functools.lru_cache(maxsize=64)
def insert_into(table: Table, dialect: Dialect) -> Compiled:
    """``INSERT`` of every column of ``table``, in column order."""
    return _compile(table.insert(), dialect)


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
