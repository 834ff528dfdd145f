"""A bulk import's job: its progress row, and the indexes it may take down while it loads.

Each import of a year is a row of ``inclusion_imports``: the programme, the SHA-256 of its
files (of their SHA-256s, in order), how many of their rows are written and whether it runs.
The row is updated in the transaction that writes each chunk, so after a crash it says
exactly where the import stopped, and the same files imported again carry on from there
(``open_job``). Other files are refused while a job of the programme is unfinished.

Large loads into SQLite drop the action and grant tables' secondary indexes first and build
them again at the end (``complete``): appending rows to bare tables and then sorting each index
once is many times faster than updating four B-trees of random keys row by row (a hundred
million rows would touch every index page once per chunk). While those indexes are down the
tables cannot serve submissions, redemptions or reviews in reasonable time, and the unique
key index is not there to back the idempotency check, so every writer of them calls
``refuse_while_loading`` first and gets 503 (``Busy``) until the job is done. Reads still work,
slowly. A job that died with its indexes down is finished by importing the same files again
(the rows already written are skipped and the indexes rebuilt), or ended by ``complete``,
which the CLI offers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import CursorResult, Index, Table, inspect, select, update
from sqlalchemy.orm import Session

from ecocredit.db import Database
from ecocredit.errors import Busy, Conflict, InvalidParameter
from ecocredit.inclusion.tables import actions, grants, imports
from ecocredit.ledger import store

DROP_MIN_ROWS = 1_000_000  # below this the indexes stay: dropping and rebuilding costs more
# SQLite sorts an index in runs the size of its page cache, merged on two threads: measured on
# ten million actions, 8 MB runs build the four indexes in 32 s, 1 GB runs in 78 s.
REBUILD_CACHE_KIB = 8000
_READ_BLOCK = 8 << 20


@dataclass(frozen=True)
class Job:
    """An import's row: where it stands and whether its indexes are down."""

    id: int
    programme: str
    files_sha256: str
    rows_total: int
    rows_done: int
    indexes_dropped: bool


def files_digest(paths: Sequence[str]) -> str:
    """SHA-256 over the files' own SHA-256s, in the given order: what a job imports."""
    outer = hashlib.sha256()
    for path in paths:
        inner = hashlib.sha256()
        with Path(path).open("rb") as handle:
            while block := handle.read(_READ_BLOCK):
                inner.update(block)
        outer.update(inner.digest())
    return outer.hexdigest()


def secondary_indexes() -> list[Index]:
    """The indexes a load may drop: every index of the action and grant tables."""
    tables: tuple[Table, ...] = (actions, grants)
    return sorted((i for t in tables for i in t.indexes), key=lambda i: str(i.name))


def running(session: Session, programme: str | None = None) -> Job | None:
    """The unfinished job of a programme (of any programme when None), if there is one."""
    query = select(imports).where(imports.c.state == "running").order_by(imports.c.id)
    if programme is not None:
        query = query.where(imports.c.programme == programme)
    row = session.execute(query).mappings().first()
    if row is None:
        return None
    return Job(int(row["id"]), row["programme"], row["files_sha256"], int(row["rows_total"]),
               int(row["rows_done"]), bool(row["indexes_dropped"]))  # fmt: skip


def refuse_while_loading(session: Session) -> None:
    """Raise ``Busy`` while an import has the action tables' indexes down."""
    job = session.execute(
        select(imports.c.programme, imports.c.rows_done, imports.c.rows_total).where(
            imports.c.state == "running", imports.c.indexes_dropped.is_(True)
        )
    ).first()  # fmt: skip
    if job is not None:
        raise Busy(
            f"a bulk import of programme {job[0]!r} is loading ({job[1]:,} of {job[2]:,} rows) "
            "with the action indexes down; actions, redemptions and reviews are taken again "
            "when it ends"
        )


def open_job(session: Session, programme: str, digest: str, rows_total: int, actor: str,
             drop: bool) -> Job:  # fmt: skip
    """Carry on the programme's unfinished job for these files, or start one.

    Starting with ``drop`` takes the indexes down in the same transaction.
    """
    job = running(session, programme)
    if job is not None:
        if job.files_sha256 != digest:
            raise Conflict(
                f"import {job.id} of other files is unfinished ({job.rows_done:,} of "
                f"{job.rows_total:,} rows); import those files again to finish it",
                field="files",
            )
        return job
    refuse_while_loading(session)  # another programme's load: its ids must stay predictable
    if drop and session.get_bind().dialect.name != "sqlite":
        raise InvalidParameter(
            "taking the indexes down is for SQLite; PostgreSQL loads with them", field="drop"
        )
    now = dt.datetime.now(dt.UTC)
    values = {"programme": programme, "files_sha256": digest, "rows_total": rows_total,
              "rows_done": 0, "state": "running", "indexes_dropped": drop, "actor": actor,
              "started_at": now}  # fmt: skip
    result = session.execute(imports.insert().values(**values))
    assert isinstance(result, CursorResult)
    new_id = result.inserted_primary_key
    assert new_id is not None
    if drop:
        for index in secondary_indexes():
            index.drop(session.connection(), checkfirst=True)
    return Job(int(new_id[0]), programme, digest, rows_total, 0, drop)


def advance(session: Session, job: Job, before: int, rows_done: int) -> None:
    """Record, in the chunk's transaction, how many of the job's rows are written.

    ``before``: the count this run last wrote. Another run of the same job that wrote
    meanwhile makes the count differ, and this chunk is refused.
    """
    done = session.execute(
        update(imports).where(imports.c.id == job.id, imports.c.rows_done == before)
        .values(rows_done=rows_done)
    )  # fmt: skip
    assert isinstance(done, CursorResult)
    if done.rowcount != 1:
        raise Conflict(f"another run of import {job.id} is writing its rows", field="files")


def rebuild_one(session: Session, index: Index) -> list[str]:
    """Create ``index`` if it is missing; its name in a list when it was built.

    On SQLite this transaction's connection sorts in runs of ``REBUILD_CACHE_KIB`` merged on
    two threads, and its page cache is set back to SQLite's default afterwards.
    """
    conn = session.connection()
    assert isinstance(index.table, Table)
    present = {str(i["name"]) for i in inspect(conn).get_indexes(index.table.name)}
    if index.name in present:
        return []
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        conn.exec_driver_sql(f"PRAGMA cache_size=-{REBUILD_CACHE_KIB}")
        conn.exec_driver_sql("PRAGMA threads=2")
    try:
        index.create(conn)
    finally:
        if sqlite:
            conn.exec_driver_sql("PRAGMA cache_size=-2000")
    return [str(index.name)]


def complete(db: Database, job: Job) -> list[str]:
    """Rebuild what the job took down, one index a transaction, and mark it done; the names.

    One transaction an index keeps SQLite's write-ahead log to one index's size.
    """
    built: list[str] = []
    if job.indexes_dropped:
        for index in secondary_indexes():

            def build(session: Session, index: Index = index) -> list[str]:
                return rebuild_one(session, index)

            built += db.write(build)

    def done(session: Session) -> None:
        store.read_head(session, lock=True)
        session.execute(
            update(imports).where(imports.c.id == job.id)
            .values(state="done", finished_at=dt.datetime.now(dt.UTC))
        )  # fmt: skip

    db.write(done)
    return built
