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

from sqlalchemy import ClauseElement, Table
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
    return compile_for(table.insert(), dialect)
