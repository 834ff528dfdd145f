"""The bare SQL references of the registry benchmark, run on the driver with no ecocredit code.

The transfer ceiling does, per transaction, one UPDATE of a balance row and one INSERT of a log
entry (a real transfer entry's bytes and leaf hash), the least a transfer has to write, on the
very database the transfers run on, in scratch tables dropped afterwards. The issuance floor
inserts the same block rows and log entries an issuance wrote into the real tables, in one
transaction, then deletes them again.
"""

from __future__ import annotations

import gc
import sqlite3
import time
from types import TracebackType

import psycopg
from sqlalchemy import and_, delete, select
from sqlalchemy.engine import Dialect

from ecocredit.fastsql import compile_for, insert_into
from ecocredit.ledger.tables import ledger_entries
from ecocredit.registry.tables import blocks
from registry_setup import libpq_url

_DROP = ("DROP TABLE IF EXISTS bench_ceiling_balances", "DROP TABLE IF EXISTS bench_ceiling_log")
_SQLITE_TABLES = (
    "CREATE TABLE bench_ceiling_balances (id INTEGER PRIMARY KEY, units INTEGER NOT NULL)",
    "CREATE TABLE bench_ceiling_log "
    "(idx INTEGER PRIMARY KEY, entry BLOB NOT NULL, leaf_hash BLOB NOT NULL)",
)
_PG_TABLES = (
    "CREATE TABLE bench_ceiling_balances (id BIGINT PRIMARY KEY, units BIGINT NOT NULL)",
    "CREATE TABLE bench_ceiling_log "
    "(idx BIGINT PRIMARY KEY, entry BYTEA NOT NULL, leaf_hash BYTEA NOT NULL)",
)
_SQLITE_ROW = "INSERT INTO bench_ceiling_balances (id, units) VALUES (?, 0)"
_SQLITE_UPDATE = "UPDATE bench_ceiling_balances SET units = units + ? WHERE id = ?"
_SQLITE_INSERT = "INSERT INTO bench_ceiling_log (idx, entry, leaf_hash) VALUES (?, ?, ?)"
_PG_ROW = "INSERT INTO bench_ceiling_balances (id, units) VALUES (%s, 0)"
_PG_UPDATE = "UPDATE bench_ceiling_balances SET units = units + %s WHERE id = %s"
_PG_INSERT = "INSERT INTO bench_ceiling_log (idx, entry, leaf_hash) VALUES (%s, %s, %s)"
_PG_SHOW = (("fsync", "SHOW fsync"), ("synchronous_commit", "SHOW synchronous_commit"))


def sqlite_connect(path: str) -> sqlite3.Connection:
    """Open ``path`` as the product does (WAL, synchronous NORMAL); we issue BEGIN ourselves."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=ON",
        "PRAGMA busy_timeout=30000",
    ):
        conn.execute(pragma)
    return conn


class Ceiling:
    """One UPDATE and one INSERT per transaction on a bare driver connection."""

    entry, leaf, rows, next_index = b"", b"", 1, 0

    def __enter__(self) -> Ceiling:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def prepare(self, entry: bytes, leaf: bytes, rows: int) -> None:
        """(Re)create the scratch tables with ``rows`` balances; log ``entry`` from now on."""
        self.entry, self.leaf, self.rows = entry, leaf, rows

    def run(self, count: int) -> float:
        """Run ``count`` transactions; return the seconds they took."""
        raise NotImplementedError

    def settings(self) -> str:
        """The durability settings in force, as the backend reports them."""
        raise NotImplementedError

    def close(self) -> None:
        """Drop the scratch tables and close the connection."""
        raise NotImplementedError


class SqliteCeiling(Ceiling):
    """The ceiling on the transfers' own SQLite file, through the sqlite3 module."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite_connect(path)

    def prepare(self, entry: bytes, leaf: bytes, rows: int) -> None:
        super().prepare(entry, leaf, rows)
        execute = self.conn.execute
        execute("BEGIN IMMEDIATE")
        for statement in (*_DROP, *_SQLITE_TABLES):
            execute(statement)
        self.conn.executemany(_SQLITE_ROW, [(i,) for i in range(rows)])
        execute("COMMIT")

    def run(self, count: int) -> float:
        execute, entry, leaf, rows = self.conn.execute, self.entry, self.leaf, self.rows
        first = self.next_index
        self.next_index += count
        start = time.perf_counter()
        for i in range(first, first + count):
            execute("BEGIN IMMEDIATE")
            execute(_SQLITE_UPDATE, (i, i % rows))
            execute(_SQLITE_INSERT, (i, entry, leaf))
            execute("COMMIT")
        return time.perf_counter() - start

    def settings(self) -> str:
        mode = self.conn.execute("PRAGMA journal_mode").fetchone()[0]
        sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
        level = sync.get(self.conn.execute("PRAGMA synchronous").fetchone()[0], "?")
        return f"journal_mode={mode}, synchronous={level} (as the product opens it)"

    def close(self) -> None:
        for statement in _DROP:
            self.conn.execute(statement)
        self.conn.close()


class PgCeiling(Ceiling):
    """The ceiling in the transfers' PostgreSQL schema, through psycopg."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(libpq_url(url))

    def prepare(self, entry: bytes, leaf: bytes, rows: int) -> None:
        super().prepare(entry, leaf, rows)
        with self.conn.cursor() as cur:
            for statement in (*_DROP, *_PG_TABLES):
                cur.execute(statement)
            cur.executemany(_PG_ROW, [(i,) for i in range(rows)])
        self.conn.commit()

    def run(self, count: int) -> float:
        commit, entry, leaf, rows = self.conn.commit, self.entry, self.leaf, self.rows
        first = self.next_index
        self.next_index += count
        with self.conn.cursor() as cur:
            execute = cur.execute
            start = time.perf_counter()
            for i in range(first, first + count):
                execute(_PG_UPDATE, (i, i % rows))  # psycopg opens the transaction here
                execute(_PG_INSERT, (i, entry, leaf))
                commit()
            return time.perf_counter() - start

    def settings(self) -> str:
        found = []
        with self.conn.cursor() as cur:
            for name, statement in _PG_SHOW:
                row = cur.execute(statement).fetchone()
                found.append(f"{name}={row[0] if row else '?'}")
        self.conn.rollback()
        return ", ".join(found)

    def close(self) -> None:
        with self.conn.cursor() as cur:
            for statement in _DROP:
                cur.execute(statement)
        self.conn.commit()
        self.conn.close()


def issue_floor(path: str, dialect: Dialect, batch: int, issued: int, entries: range) -> float:
    """Time inserting the batch's blocks and the log ``entries`` again, in one transaction.

    The copies go past the batch's last serial and the log's head, so they land where the
    originals landed (at the end of each index), and are deleted, untimed, afterwards.
    """
    b, e = blocks.c, ledger_entries.c
    conn = sqlite_connect(path)
    try:
        read = compile_for(select(blocks).where(b.batch_id == batch).order_by(b.first), dialect)
        rows = [
            (row[0], row[1] + issued, row[2] + issued, *row[3:])
            for row in conn.execute(read.sql, (batch,))
        ]
        span = and_(e.idx >= entries.start, e.idx < entries.stop)
        read = compile_for(select(e.idx, e.entry, e.leaf_hash).where(span), dialect)
        shift = len(entries)
        logged = [
            (i + shift, entry, leaf)
            for i, entry, leaf in conn.execute(read.sql, (entries.start, entries.stop))
        ]
        gc.collect()
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(insert_into(blocks, dialect).sql, rows)
        conn.executemany(insert_into(ledger_entries, dialect).sql, logged)
        conn.execute("COMMIT")
        seconds = time.perf_counter() - start
        _remove_copies(conn, dialect, batch, issued, entries.stop)
        return seconds
    finally:
        conn.close()


def _remove_copies(
    conn: sqlite3.Connection, dialect: Dialect, batch: int, issued: int, head: int
) -> None:
    b = blocks.c
    copies = delete(blocks).where(b.batch_id == batch, b.first > issued)
    logged = delete(ledger_entries).where(ledger_entries.c.idx >= head)
    conn.execute("BEGIN IMMEDIATE")
    for statement, args in ((copies, (batch, issued)), (logged, (head,))):
        conn.execute(compile_for(statement, dialect).sql, args)
    conn.execute("COMMIT")
