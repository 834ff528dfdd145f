"""Hot statements compiled once per dialect and run on the driver's own cursor.

Appends, transfers and full verification run a few statements very many times. Going through
SQLAlchemy's statement building and result rows for each would cost more than the database
work itself, so hot statements are compiled once per dialect by SQLAlchemy's compiler (the SQL
text never comes from string assembly) and executed on the DBAPI cursor of the session's own
connection, inside the session's transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ClauseElement, Connection, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True)
class Compiled:
    """SQL text for one dialect and, for positional paramstyles, the order of its parameters."""

    sql: str
    order: tuple[str, ...] | None

    def args(self, params: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        """Arrange named parameters the way the driver wants them."""
        return params if self.order is None else tuple(params[name] for name in self.order)


def compile_for(stmt: ClauseElement, dialect: Dialect) -> Compiled:
    """Compile ``stmt`` for ``dialect`` once; callers cache the result per dialect."""
    compiled = cast(SQLCompiler, stmt.compile(dialect=dialect))
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    return Compiled(str(compiled), order)


@dataclass(frozen=True)
class _Link:
    """The transaction's connection, its driver connection and the driver's error class."""

    transaction: object
    conn: Connection
    raw: Any
    error: type[Exception]


_LINK = "ecocredit.fastsql.link"


def _link(session: Session) -> _Link:
    # Looking the connection up through the session costs more than a small statement, so
    # it is looked up once per transaction and kept in the session's info.
    transaction = session.get_transaction()
    link: _Link | None = session.info.get(_LINK)
    if link is None or link.transaction is not transaction or transaction is None:
        conn = session.connection()
        link = _Link(
            session.get_transaction(),
            conn,
            conn.connection.dbapi_connection,
            conn.dialect.loaded_dbapi.Error,
        )
        session.info[_LINK] = link
    return link


def _run(
    session: Session, sql: str, params: Any, *, many: bool = False, rows: bool = False
) -> list[tuple[Any, ...]]:
    link = _link(session)
    cursor = link.raw.cursor()
    try:
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
        return list(cursor.fetchall()) if rows else []
    except link.error as exc:
        # Translate at this boundary as SQLAlchemy would, so that callers retry serialization
        # failures and the API answers 503, not 500.
        dialect = link.conn.dialect
        invalidated = dialect.is_disconnect(exc, link.raw, cursor)  # type: ignore[arg-type]
        raise DBAPIError.instance(
            sql, params, exc, link.error, connection_invalidated=invalidated, dialect=dialect
        ) from exc
    finally:
        cursor.close()


def fetch(session: Session, statement: Compiled, **params: Any) -> list[tuple[Any, ...]]:
    """Run a query in the session's transaction and return its rows as plain tuples."""
    return _run(session, statement.sql, statement.args(params), rows=True)


def execute(session: Session, statement: Compiled, **params: Any) -> None:
    """Run a statement that returns no rows in the session's transaction."""
    _run(session, statement.sql, statement.args(params))


def execute_many(session: Session, statement: Compiled, rows: Sequence[Mapping[str, Any]]) -> None:
    """Run a statement once per parameter set, in one executemany."""
    _run(session, statement.sql, [statement.args(r) for r in rows], many=True)


def insert_many(session: Session, table: Table, rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert rows (tuples in the table's column order) with one executemany."""
    statement = insert_into(table, _link(session).conn.dialect)
    if statement.order is None:
        names = [c.name for c in table.columns]
        params: list[Any] = [dict(zip(names, row, strict=True)) for row in rows]
    else:
        params = list(rows)
    if params:
        _run(session, statement.sql, params, many=True)


@functools.lru_cache(maxsize=64)
def insert_into(table: Table, dialect: Dialect) -> Compiled:
    """``INSERT`` of every column of ``table``, in column order."""
    return compile_for(table.insert(), dialect)
