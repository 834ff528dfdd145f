"""Import a year of a programme's actions from files: checked, decided column-wise, resumable.

The steps, for files in time order (CSV or Parquet, see ``inclusion.bulk`` for the columns):

1. **Check** every file's rows before anything is written (``bulk_checks``): an error names
   the file, the line and the field. Idempotency keys must be new (``year_keys``): a key used
   twice in the files, or already stored for the programme, refuses the import.
2. **Survey** (``bulk.survey``): number the participants, find the evidence whose 60-bit SHA-256
   prefix occurs more than once among the files and the programme's kept actions.
3. **Job** (``bulk_load``): the import's row, carried on when the same files come again after a
   failure. A large load into SQLite takes the action indexes down for its duration.
4. **Chunks** of ``chunk_rows`` rows, across file boundaries, each decided by ``bulk.Year`` and
   written in one transaction with its grants, its ``inclusion.actions_decided`` log entry and
   the job's progress.
5. **Finish**: the indexes rebuilt, one transaction each, and the job marked done.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.db import Database
from ecocredit.errors import Conflict, NotFound
from ecocredit.inclusion import bulk, bulk_checks
from ecocredit.inclusion.ops import bulk_load, pipeline, year_keys
from ecocredit.inclusion.ops.actions import _limits
from ecocredit.inclusion.ops.bulk import chunk_summary, reserve_ids, write_tuples
from ecocredit.inclusion.ops.programmes import require_operator
from ecocredit.inclusion.tables import actions, grants, programmes, rules
from ecocredit.ledger import service as ledger
from ecocredit.ledger import store
from ecocredit.ledger.events import INCLUSION_ACTIONS_DECIDED

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
STATUS = ("accepted", "rejected", "review")
TOTALS = ("count", "accepted", "rejected", "review", "grams_co2e", "points", "entries",
          "skipped")  # fmt: skip
_STREAM_BLOCK = 1_000_000  # stored rows read per fetch when surveying the programme


@dataclass
class Import:
    """A running import: the programme, the year's state and the id ranges written so far."""

    db: Database
    programme: str
    actor: Principal
    year: bulk.Year
    directory: pl.DataFrame
    table: pl.DataFrame
    validity: dt.timedelta
    job: bulk_load.Job
    stored: dict[int, list[int]]  # repeated prefix → kept stored action ids with it
    written: list[tuple[int, int]] = field(default_factory=list)  # (first ordinal, first id)
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TOTALS, 0))


def import_year(db: Database, programme: str, paths: Sequence[str], actor: Principal,
                chunk_rows: int = 100_000, progress: Callable[[int], None] | None = None,
                now: dt.datetime | None = None, drop_indexes: bool | None = None,
                ) -> dict[str, int]:  # fmt: skip
    """Decide and store a year of actions from files in time order; one log entry per chunk.

    ``drop_indexes``: take the action indexes down while loading (None: for a load of at least
    ``bulk_load.DROP_MIN_ROWS`` rows into SQLite, larger than the table). Each action is
    received at ``now`` if given, else at its ``received`` column, else at its own time.
    Returns the totals: actions written, accepted, rejected, review, grams CO2e accepted,
    points, log entries, and rows ``skipped`` because an earlier run of the job wrote them.
    """
    paths = [str(p) for p in paths]
    rows_total = bulk_checks.check_files(paths)
    job = _start(db, programme, paths, actor, rows_total, drop_indexes)
    skip = job.job.rows_done
    job.totals["skipped"] = skip
    if progress is not None and skip:
        progress(skip)
    parts = _parts(job, paths, chunk_rows, skip, now)
    if job.job.indexes_dropped:
        # Nobody else writes actions or grants while the indexes are down, so a chunk's ids
        # are known before its transaction: the next chunk is read, decided and turned into
        # rows in a thread while this one is written (SQLite works without the GIL).
        with pipeline.Ahead(_built(job, parts)) as ahead:
            for chunk in ahead:
                db.write(functools.partial(_commit, job=job, chunk=chunk))
                _count(job, chunk, progress)
    else:
        for part in parts:
            _count(job, db.write(functools.partial(_write_now, job=job, part=part)), progress)
    bulk_load.complete(db, job.job)
    return job.totals


Part = tuple[pl.DataFrame, bulk.Decided, int, int]  # a chunk, its decisions, start, rows done


def _parts(job: Import, paths: Sequence[str], chunk_rows: int, skip: int,
           now: dt.datetime | None) -> Iterator[Part]:  # fmt: skip
    """Each chunk prepared and decided, with its first ordinal and the rows done after it."""
    done = skip
    for frame in _stream(paths, chunk_rows, skip):
        if now is not None:
            frame = frame.with_columns(pl.lit(now).dt.cast_time_unit("us").alias("received"))
        part = bulk.prepare_chunk(frame, job.directory, job.table, job.year.rules)
        done += part.height
        start = job.year.ordinal
        yield part, job.year.decide(part, _stored(job, part)), start, done


def _built(job: Import, parts: Iterator[Part]) -> Iterator[Chunk]:
    """Chunks as rows, their ids counted on from the largest stored when the job began."""
    with job.db.read() as session:
        first = int(session.scalar(select(func.coalesce(func.max(actions.c.id), 0))) or 0) + 1
        gfirst = int(session.scalar(select(func.coalesce(func.max(grants.c.id), 0))) or 0) + 1
        sqlite = session.get_bind().dialect.name == "sqlite"
    for part, decided, start, done in parts:
        chunk = _rows(job, part, decided, (start, done), (first, gfirst), sqlite)
        first, gfirst = first + chunk.count, gfirst + len(chunk.grants)
        yield chunk


def _count(job: Import, chunk: Chunk, progress: Callable[[int], None] | None) -> None:
    for key in ("accepted", "rejected", "review", "grams_co2e", "points", "count"):
        job.totals[key] += int(chunk.summary[key])
    job.totals["entries"] += 1
    if progress is not None:
        progress(chunk.count)


def _stream(paths: Sequence[str], chunk_rows: int, skip: int) -> Iterator[pl.DataFrame]:
    """The files' rows in order, ``skip`` left out, in frames of ``chunk_rows`` (the last less).

    A file is read a slice at a time, so one file holding a whole year is never in memory.
    """
    pending: list[pl.DataFrame] = []
    have = 0
    for path in paths:
        rows = bulk.read(path).select(pl.len()).collect().item()
        if skip >= rows:
            skip -= rows
            continue
        for offset in range(skip, rows, chunk_rows):
            frame = bulk.read(path).slice(offset, chunk_rows).collect()
            pending.append(frame)
            have += frame.height
            while have >= chunk_rows:
                whole = pl.concat(pending, rechunk=False)
                yield whole.slice(0, chunk_rows).rechunk()
                rest = whole.slice(chunk_rows)
                pending, have = [rest], rest.height
        skip = 0
    if have:
        yield pl.concat(pending).rechunk()


def _start(db: Database, programme: str, paths: Sequence[str], actor: Principal,
           rows_total: int, drop_indexes: bool | None) -> Import:  # fmt: skip
    digest = bulk_load.files_digest(paths)
    with db.read() as session:
        row = session.execute(select(programmes).where(programmes.c.code == programme)
                              ).mappings().first()  # fmt: skip
        if row is None:
            raise NotFound(f"no programme {programme!r}", field="programme")
        require_operator(session, actor, programme)
        rule_rows = [dict(r) for r in session.execute(
            select(rules).where(rules.c.programme == programme)).mappings()]  # fmt: skip
        earlier = bulk_load.running(session, programme)
        if earlier is not None and earlier.files_sha256 != digest:
            bulk_load.open_job(session, programme, digest, rows_total, actor.name, False)
        skip = earlier.rows_done if earlier is not None else 0
        prefixes, ids = _stored_evidence(session, programme)
        table_rows = int(session.scalar(select(func.coalesce(func.max(actions.c.id), 0))) or 0)
        sqlite = session.get_bind().dialect.name == "sqlite"
    year_keys.check_keys(db, programme, paths, skip)
    directory, repeated = bulk.survey(paths, prefixes, skip)
    hit = np.isin(prefixes, repeated)
    stored: dict[int, list[int]] = {}
    for prefix, action_id in zip(prefixes[hit].tolist(), ids[hit].tolist(), strict=True):
        stored.setdefault(prefix, []).append(action_id)
    del prefixes, ids, hit
    pick = {r["methodology"]: bulk.Rule(
        r["methodology"], r["version"], r["points_per_action"], r["grams_per_point"],
        r["max_actions_per_day"], r["max_points_per_day"]) for r in rule_rows}  # fmt: skip
    lazy = pl.concat([bulk.read(p) for p in paths]).select("methodology", *bulk.INPUTS)
    table = bulk.reductions(lazy.unique().collect(engine="streaming"), pick)
    limits = _limits(row, {"max_actions_per_day": None})
    year = bulk.Year(directory.height, list(pick.values()), limits, repeated)
    if drop_indexes is None:
        drop_indexes = sqlite and rows_total >= max(bulk_load.DROP_MIN_ROWS, table_rows)
    job = db.write(lambda s: bulk_load.open_job(s, programme, digest, rows_total, actor.name,
                                                bool(drop_indexes)))  # fmt: skip
    found = Import(db, programme, actor, year, directory, table,
                   dt.timedelta(days=int(row["validity_days"])), job, stored)  # fmt: skip
    _remember(found, paths, skip)
    return found


def _stored_evidence(session: Session, programme: str) -> tuple[np.ndarray, np.ndarray]:
    """60-bit SHA prefixes and ids of the programme's kept actions, read in blocks."""
    result = session.execute(
        select(actions.c.evidence_sha256, actions.c.id)
        .where(actions.c.programme == programme, actions.c.status != "rejected")
    )  # fmt: skip
    prefixes, ids = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
    while block := result.fetchmany(_STREAM_BLOCK):
        frame = pl.DataFrame(block, schema=["s", "id"], orient="row")
        prefixes.append(frame.select(bulk.prefix60(pl.col("s"))).to_series().to_numpy())
        ids.append(frame["id"].to_numpy())
    return np.concatenate(prefixes), np.concatenate(ids)


def _remember(job: Import, paths: Sequence[str], skip: int) -> None:
    """Feed the state the stored actions that bear on the first day and minutes to decide."""
    lazy = pl.concat([bulk.read(p).select("at") for p in paths]).slice(skip)
    first = lazy.min().collect().item()
    if first is None:
        return
    since = first - max(job.year.limits.velocity_window, dt.timedelta(days=1))
    with job.db.read() as session:
        found = session.execute(
            select(actions.c.participant, actions.c.methodology, actions.c.at,
                   actions.c.status, actions.c.points, actions.c.id, actions.c.phash)
            .where(actions.c.programme == job.programme, actions.c.at >= since)
            .order_by(actions.c.at)
        ).all()  # fmt: skip
    number = dict(job.directory.filter(pl.col("participant").is_in([r[0] for r in found]))
                  .iter_rows())  # fmt: skip
    index = {r.methodology: n for n, r in enumerate(job.year.rules)}
    for who, method, at, status, points, action_id, phash in found:
        if who in number and method in index:
            when = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
            micros = (when - EPOCH) // dt.timedelta(microseconds=1)
            photo = None if phash is None else (int(action_id), int(phash) & (2**64 - 1))
            job.year.remember(number[who], index[method], micros, status, int(points), photo)


def _stored(job: Import, part: pl.DataFrame) -> dict[str, int]:
    """Kept stored actions backed by the same evidence as the chunk's repeated photos.

    Found by id (the primary key), so it needs none of the indexes a load may take down.
    """
    prefixes = part["prefix"].to_numpy()
    wanted = [i for p in np.unique(prefixes).tolist() for i in job.stored.get(p, ())]
    if not wanted:
        return {}
    found: dict[str, int] = {}
    with job.db.read() as session:
        for start in range(0, len(wanted), 10_000):
            rows = session.execute(
                select(actions.c.evidence_sha256, actions.c.id).where(
                    actions.c.id.in_(wanted[start : start + 10_000])
                )
            )
            for sha, action_id in rows:
                found[sha] = min(found.get(sha, action_id), action_id)
    return found


def _reason(job: Import, start: int, first: int, reason: str | int | tuple[int, int]) -> str:
    """The reason's text, an ordinal of the year (or a stored action) named by its id."""
    if isinstance(reason, str):
        return reason
    if isinstance(reason, tuple):
        ordinal, bits = reason
        named = _action_id(job, start, first, ordinal)
        return f"the photo is a near duplicate of action {named} ({bits} bits apart)"
    return f"the same evidence already backs action {_action_id(job, start, first, reason)}"


def _action_id(job: Import, start: int, first: int, ordinal: int) -> int:
    """The id of the action at ``ordinal`` in the year (or, negative, of a stored action)."""
    if ordinal < 0:
        return -ordinal
    if ordinal >= start:
        return first + ordinal - start
    at = bisect.bisect_right(job.written, (ordinal, 2**62)) - 1
    earlier, first_id = job.written[at]
    return first_id + ordinal - earlier


@dataclass(frozen=True)
class Chunk:
    """A decided chunk as the rows to write: actions without their log index, and grants."""

    start: int  # the ordinal in the year of its first action
    done: int  # the job's rows done once it is written
    first: int  # its first action id
    gfirst: int  # its first grant id
    count: int
    actions: list[tuple[Any, ...]]  # in column order, the last (ledger_index) left out
    grants: list[tuple[Any, ...]]
    summary: dict[str, Any]  # the payload of its log entry


def _rows(job: Import, part: pl.DataFrame, decided: bulk.Decided, places: tuple[int, int],
          ids: tuple[int, int], sqlite: bool) -> Chunk:  # fmt: skip
    """The chunk's rows with action ids from ``ids[0]`` and grant ids from ``ids[1]``."""
    (start, done), (first, gfirst) = places, ids
    if not job.written or job.written[-1][0] != start:
        job.written.append((start, first))
    else:
        job.written[-1] = (start, first)  # built again with other ids
    reasons = [_reason(job, start, first, r)[:300] for r in decided.reason]
    frame = part.with_columns(
        pl.Series("id", np.arange(first, first + part.height, dtype=np.int64)),
        pl.Series("status", np.array(STATUS)[decided.status]),
        pl.Series("reason", reasons, dtype=pl.String),
        pl.Series("points", decided.points),
        pl.col("phash").cast(pl.String).str.to_integer(base=16, dtype=pl.UInt64)
        .reinterpret(signed=True).alias("phash"),
        pl.lit(job.programme).alias("programme"), pl.lit(None, pl.String).alias("batch"),
        pl.col("key").alias("idempotency_key"), pl.col("prefix").alias("evidence_prefix"),
    )  # fmt: skip
    names = [c.name for c in actions.columns if c.name != "ledger_index"]
    action_rows = _stamped(frame.select(names), sqlite).rows()
    granted = frame.filter(pl.col("points") > 0)
    grant_rows = _stamped(granted.select(
        pl.Series("gid", np.arange(gfirst, gfirst + granted.height, dtype=np.int64)),
        "programme", "participant", pl.col("id").alias("action_id"), "points",
        pl.col("points").alias("remaining"),
        (pl.col("received") + job.validity).alias("expires_at"),
    ), sqlite).rows()  # fmt: skip
    return Chunk(start, done, first, gfirst, part.height, action_rows, grant_rows,
                 chunk_summary(job.programme, first, frame))  # fmt: skip


def _commit(session: Session, job: Import, chunk: Chunk) -> None:
    """Write a chunk built ahead; its ids must still be the next ones."""
    store.read_head(session, lock=True)
    operator = require_operator(session, job.actor, job.programme)
    first = reserve_ids(session, actions, chunk.count)
    gfirst = reserve_ids(session, grants, max(1, len(chunk.grants)))
    if (first, gfirst) != (chunk.first, chunk.gfirst):
        raise Conflict(
            f"actions or grants were written during import {job.job.id}, which had the "
            "indexes down; import the same files again to carry on", field="files",
        )  # fmt: skip
    _insert(session, job, chunk, operator)


def _write_now(session: Session, job: Import, part: Part) -> Chunk:
    """Build and write a chunk in one transaction, its ids the next free ones."""
    frame, decided, start, done = part
    store.read_head(session, lock=True)
    operator = require_operator(session, job.actor, job.programme)
    granted = int(np.count_nonzero(decided.points > 0))
    ids = (reserve_ids(session, actions, frame.height), reserve_ids(session, grants, granted))
    sqlite = session.get_bind().dialect.name == "sqlite"
    chunk = _rows(job, frame, decided, (start, done), ids, sqlite)
    _insert(session, job, chunk, operator)
    return chunk


def _insert(session: Session, job: Import, chunk: Chunk, operator: str) -> None:
    """The chunk's rows, its log entry (whose index its actions carry) and the job's progress."""
    tail = (store.read_head(session).size,)
    write_tuples(session, actions, (row + tail for row in chunk.actions))
    write_tuples(session, grants, chunk.grants)
    ledger.record(session, INCLUSION_ACTIONS_DECIDED, operator, chunk.summary)
    bulk_load.advance(session, job.job, chunk.done - chunk.count, chunk.done)


def _stamped(frame: pl.DataFrame, sqlite: bool) -> pl.DataFrame:
    """Timestamps as the driver takes them: SQLAlchemy's SQLite text, or datetimes."""
    if not sqlite:
        return frame
    stamps = [n for n, t in frame.schema.items() if isinstance(t, pl.Datetime)]
    return frame.with_columns(pl.col(stamps).dt.strftime("%Y-%m-%d %H:%M:%S.%6f"))


def finish_unfinished(db: Database, programme: str) -> list[str]:
    """Rebuild the indexes of the programme's unfinished job and mark it done; their names.

    For a job whose files are lost: the rows it wrote stay, the rest is never imported.
    """
    with db.read() as session:
        job = bulk_load.running(session, programme)
    if job is None:
        raise NotFound(f"programme {programme!r} has no unfinished import", field="programme")
    return bulk_load.complete(db, job)
