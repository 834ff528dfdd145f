"""Database access: the engine, write and read transactions, and the schema's migrations.

One narrow seam for I/O: services receive a SQLAlchemy ``Session`` already inside a
transaction, so a state change and its ledger entry always commit together or not at all.

SQLite (the default, a file under ``./var/``) runs in WAL mode with foreign keys on. Its write
transactions start with ``BEGIN IMMEDIATE`` so that two writers never both read the log's size
and then race to append: the second waits (``busy_timeout``) instead of failing on upgrade.
PostgreSQL serialises ledger writers with a row lock on the log head. Either way a write
transaction that loses a serialization race is retried whole.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import BigInteger, Engine, Integer, MetaData, create_engine, event, inspect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from ecocredit.errors import CommitOutcomeUnknown, DatabaseNotReady

if TYPE_CHECKING:
    from ecocredit.batching import WriteBatcher

T = TypeVar("T")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# 64-bit keys everywhere; on SQLite an INTEGER PRIMARY KEY is the row id itself (faster appends).
BigInt = BigInteger().with_variant(Integer(), "sqlite")

_RETRIES = 10
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module so BEGIN is ours to issue.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    # 16 KiB pages for a new file (a no-op on an existing one): long append runs and index
    # sorts touch a quarter of the pages; a year's bulk import is 10 % faster than with 4 KiB.
    cursor.execute("PRAGMA page_size=16384")
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode survives a killed process; surviving power loss is PostgreSQL's job.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    readonly = conn.get_execution_options().get("ecocredit_readonly", False)
    conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """Create the engine for ``url`` with the settings each backend needs."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # No pre-ping (a round trip per transaction): a transaction that finds its pooled
    # connection dead is retried whole on a fresh one instead (see ``Database.write``).
    return create_engine(url)


def is_retryable(exc: DBAPIError) -> bool:
    """Whether a database error means: run the whole transaction again."""
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


class Database:
    """The engine and the two kinds of transaction the platform uses."""

    def __init__(self, url: str) -> None:
        """Connect lazily to ``url`` (nothing is opened until the first transaction)."""
        self.url = url
        self.engine = make_engine(url)
        # A read transaction sees one snapshot: on PostgreSQL that takes REPEATABLE READ (its
        # READ COMMITTED gives each statement a new one); SQLite's WAL readers already have it.
        options: dict[str, object] = {"ecocredit_readonly": True}
        if not url.startswith("sqlite"):
            options["isolation_level"] = "REPEATABLE READ"
        self._reader = self.engine.execution_options(**options)
        self._batcher: WriteBatcher | None = None
        self._batcher_lock = threading.Lock()

    @property
    def is_sqlite(self) -> bool:
        """Whether the backend is SQLite."""
        return self.engine.dialect.name == "sqlite"

    def write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one write transaction, retrying it whole on a serialization race.

        A connection lost while committing is never retried: the commit may have reached the
        database, and running the work again would apply it twice. The caller hears that the
        outcome is unknown; a request with an idempotency key can then be repeated safely.
        """
        for attempt in range(_RETRIES):
            committing = False
            try:
                with Session(self.engine) as session:
                    with session.begin():
                        result = work(session)
                        committing = True
                    return result
            except DBAPIError as exc:
                if committing and exc.connection_invalidated:
                    raise CommitOutcomeUnknown(
                        "the connection to the database was lost while committing, so the "
                        "change may or may not have been recorded: repeat the request with "
                        "the same Idempotency-Key, or look in the log, rather than send it anew"
                    ) from exc
                if attempt == _RETRIES - 1 or not is_retryable(exc):
                    raise
                # Jittered backoff, so that writers that collided do not collide again.
                time.sleep(random.uniform(0, min(0.5, 0.005 * 2**attempt)))  # noqa: S311
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def read(self) -> Iterator[Session]:
        """Open a read-only transaction (it never takes SQLite's write lock)."""
        with Session(self._reader) as session, session.begin():
            yield session

    def submit(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` like :meth:`write`, committed together with concurrent submissions.

        The API's writes come here, so that concurrent requests share commits (see
        :mod:`ecocredit.batching`); a command line tool with one operation uses ``write``.
        """
        with self._batcher_lock:
            if self._batcher is None:
                from ecocredit.batching import WriteBatcher

                self._batcher = WriteBatcher(self.write)
        return self._batcher.submit(work)

    def dispose(self) -> None:
        """Stop the group-commit worker and close every pooled connection."""
        with self._batcher_lock:
            if self._batcher is not None:
                self._batcher.close()
                self._batcher = None
        self.engine.dispose()

    def check_ready(self) -> None:
        """Raise :class:`DatabaseNotReady` unless every migration has been applied."""
        from ecocredit.migrate import current_and_head

        current, head = current_and_head(self)
        if current != head:
            where = "no schema" if current is None else f"schema {current}"
            raise DatabaseNotReady(
                f"the database at {self.url_for_humans()} has {where}, but this version "
                f"needs {head}: run `ecocredit init`"
            )

    def has_table(self, name: str) -> bool:
        """Whether the table ``name`` exists."""
        with self.engine.connect() as conn:
            return inspect(conn).has_table(name)

    def url_for_humans(self) -> str:
        """The database URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)
