"""Write decided actions many at a time, and import a year of a programme from files.

The writing is shared by the batch service (``batch.submit_many``) and the bulk import of a
year (``import_year``, whose column-wise decisions are in ``inclusion.bulk``): ids reserved in
one step, one executemany, one log entry. Rows go through the driver's cursor
(``fastsql.insert_many``), each value first through its column type's bind processor, so a
SQLite file holds timestamps exactly as SQLAlchemy writes them and the fact queries compare
like with like. Each written chunk is logged as one ``inclusion.actions_decided`` entry with
the SHA-256 of ``decisions_csv``.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import functools
import hashlib
import io
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Table, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from ecocredit import fastsql
from ecocredit.accounts.model import Principal
from ecocredit.db import Database
from ecocredit.errors import NotFound
from ecocredit.inclusion import bulk
from ecocredit.inclusion.ops.actions import _limits
from ecocredit.inclusion.ops.programmes import require_operator
from ecocredit.inclusion.tables import actions, grants, programmes, rules
from ecocredit.ledger import service as ledger
from ecocredit.ledger import store
from ecocredit.ledger.events import INCLUSION_ACTIONS_DECIDED

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

CSV_COLUMNS = ("action", "participant", "methodology", "version", "status", "grams_co2e",
               "points", "evidence_sha256")  # fmt: skip


def reserve_ids(session: Session, table: Table, count: int) -> int:
    """Reserve ``count`` consecutive ids of ``table`` and return the first.

    Callers hold the log's lock, the one every writer of these tables takes, so nobody else
    hands out ids meanwhile. On PostgreSQL the id sequence is moved past the reserved ones,
    so single inserts that take their id from it never collide with them.
    """
    if session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, "id")
        last = session.scalar(select(func.setval(sequence, func.nextval(sequence) + count - 1)))
        return int(last or 0) - count + 1
    top = session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    return int(top or 0) + 1


@functools.lru_cache(maxsize=16)
def _processors(table: Table, dialect: Dialect) -> tuple[Callable[[Any], Any] | None, ...]:
    return tuple(c.type.dialect_impl(dialect).bind_processor(dialect) for c in table.columns)


def write_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]],
               *, ids: bool = False) -> None:  # fmt: skip
    """Insert rows given as column → value; with ``ids``, reserve their ids first."""
    if not rows:
        return
    names = [c.name for c in table.columns]
    first = reserve_ids(session, table, len(rows)) if ids else 0
    procs = _processors(table, session.get_bind().dialect)
    # Only some columns need their type's processing (timestamps on SQLite), and a batch
    # repeats its values (the time received, the expiry): each distinct value is done once.
    active: list[tuple[int, Callable[[Any], Any], dict[Any, Any]]] = [
        (k, p, {}) for k, p in enumerate(procs) if p is not None
    ]
    id_at = names.index("id")
    take = operator.itemgetter(*(c for c in names if not (ids and c == "id")))
    values: list[tuple[Any, ...]] = []
    for n, row in enumerate(rows):
        value = list(take(row))
        if ids:
            value.insert(id_at, first + n)
        for k, proc, done in active:
            v = value[k]
            if v is not None:
                found = done.get(v)
                value[k] = found if found is not None else done.setdefault(v, proc(v))
        values.append(tuple(value))
    fastsql.insert_many(session, table, values)


def write_tuples(session: Session, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert rows already in column order whose values the driver takes as they are."""
    fastsql.insert_many(session, table, rows)


def decisions_csv(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """The decisions of a chunk as canonical CSV: a header, one row per action, LF ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow((row["id"], row["participant"], row["methodology"], row["version"],
                         row["status"], row["grams_co2e"], row["points"],
                         row["evidence_sha256"]))  # fmt: skip
    return out.getvalue().encode()


def summary(programme: str, first: int, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The payload of a chunk's ``inclusion.actions_decided`` entry."""
    statuses = [r["status"] for r in rows]
    return {
        "programme": programme, "first_action": first, "count": len(rows),
        "accepted": statuses.count("accepted"), "rejected": statuses.count("rejected"),
        "review": statuses.count("review"),
        "grams_co2e": sum(r["grams_co2e"] for r in rows if r["status"] == "accepted"),
        "points": sum(r["points"] for r in rows),
        "sha256": hashlib.sha256(decisions_csv(rows)).hexdigest(),
    }  # fmt: skip


def log_decisions(session: Session, operator: str, programme: str, first: int,
                  rows: Sequence[Mapping[str, Any]]) -> int:  # fmt: skip
    """Log one chunk of decided actions (ids ``first`` onwards, in order); its log index."""
    return ledger.record(session, INCLUSION_ACTIONS_DECIDED, operator,
                         summary(programme, first, rows))  # fmt: skip


_TOTALS = ("count", "accepted", "rejected", "review", "grams_co2e", "points", "entries")


@dataclass
class Import:
    """A running import: the programme, its state and the id ranges written so far."""

    db: Database
    programme: str
    actor: Principal
    year: bulk.Year
    directory: pl.DataFrame
    table: pl.DataFrame
    validity: dt.timedelta
    base: int  # the largest action id before the import: older evidence is looked up below it
    written: list[tuple[int, int]] = field(default_factory=list)  # (first ordinal, first id)
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_TOTALS, 0))


def import_year(db: Database, programme: str, paths: Sequence[str], actor: Principal,
                chunk_rows: int = 50_000, progress: Callable[[int], None] | None = None,
                now: dt.datetime | None = None) -> dict[str, int]:  # fmt: skip
    """Decide and store a year of actions from files in time order; one log entry per chunk.

    See ``inclusion.bulk`` for what the bulk path checks and what it leaves out. Returns the
    totals: actions, accepted, rejected, review, grams CO2e accepted, points, log entries.
    Each action is received at ``now`` if given, else at its ``received`` column or its time.
    """
    job = _start(db, programme, paths, actor)
    for path in paths:
        frame = bulk.read(path).collect()
        if now is not None:
            frame = frame.with_columns(pl.lit(now).dt.cast_time_unit("us").alias("received"))
        for offset in range(0, frame.height, chunk_rows):
            part = bulk.prepare_chunk(frame.slice(offset, chunk_rows), job.directory, job.table,
                                      job.year.rules)  # fmt: skip
            _chunk(job, part)
            if progress is not None:
                progress(part.height)
    return job.totals


def _start(db: Database, programme: str, paths: Sequence[str], actor: Principal) -> Import:
    with db.read() as session:
        row = session.execute(select(programmes).where(programmes.c.code == programme)
                              ).mappings().first()  # fmt: skip
        if row is None:
            raise NotFound(f"no programme {programme!r}", field="programme")
        found = session.execute(select(rules).where(rules.c.programme == programme)).mappings()
        rule_rows = [dict(r) for r in found]
        kept = (actions.c.programme == programme) & (actions.c.status != "rejected")
        shas = session.execute(select(actions.c.evidence_sha256).where(kept)).scalars().all()
        base = int(session.scalar(select(func.coalesce(func.max(actions.c.id), 0))) or 0)
    stored = pl.Series(shas, dtype=pl.String).to_frame("s").select(bulk.prefix60(pl.col("s")))
    directory, repeated = bulk.survey(paths, stored.to_series().to_numpy())
    pick = {r["methodology"]: bulk.Rule(
        r["methodology"], r["version"], r["points_per_action"], r["grams_per_point"],
        r["max_actions_per_day"], r["max_points_per_day"]) for r in rule_rows}  # fmt: skip
    lazy = pl.concat([bulk.read(p) for p in paths]).select("methodology", *bulk.INPUTS)
    table = bulk.reductions(lazy.unique().collect(engine="streaming"), pick)
    limits = _limits(row, {"max_actions_per_day": None})
    year = bulk.Year(directory.height, list(pick.values()), limits, repeated)
    job = Import(db, programme, actor, year, directory, table,
                 dt.timedelta(days=int(row["validity_days"])), base)  # fmt: skip
    _remember(job, paths)
    return job


def _remember(job: Import, paths: Sequence[str]) -> None:
    """Feed the state the stored actions that bear on the year's first day and minutes."""
    first = pl.concat([bulk.read(p).select("at") for p in paths]).min().collect().item()
    if first is None:
        return
    since = first - max(job.year.limits.velocity_window, dt.timedelta(days=1))
    with job.db.read() as session:
        rows = session.execute(
            select(actions.c.participant, actions.c.methodology, actions.c.at,
                   actions.c.status, actions.c.points)
            .where(actions.c.programme == job.programme, actions.c.at >= since)
            .order_by(actions.c.at)
        ).all()  # fmt: skip
    number = dict(job.directory.filter(pl.col("participant").is_in([r[0] for r in rows]))
                  .iter_rows())  # fmt: skip
    index = {r.methodology: n for n, r in enumerate(job.year.rules)}
    for who, method, at, status, points in rows:
        if who in number and method in index:
            when = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
            micros = (when - EPOCH) // dt.timedelta(microseconds=1)
            job.year.remember(number[who], index[method], micros, status, int(points))


def _chunk(job: Import, part: pl.DataFrame) -> None:
    """Decide one chunk, then write it and its grants with one log entry."""
    stored = _stored(job, part)
    start = job.year.ordinal
    decided = job.year.decide(part, stored)
    job.db.write(lambda session: _write(session, job, part, decided, start))
    for key in ("accepted", "rejected", "review"):
        job.totals[key] += int(np.count_nonzero(decided.status == _STATUS.index(key)))
    job.totals["count"] += part.height
    job.totals["points"] += int(decided.points.sum())
    grams = part["grams_co2e"].to_numpy()
    job.totals["grams_co2e"] += int(grams[decided.status == 0].sum())
    job.totals["entries"] += 1


_STATUS = ("accepted", "rejected", "review")


def _stored(job: Import, part: pl.DataFrame) -> dict[str, int]:
    """Stored actions (before the import) backed by the chunk's possibly repeated photos."""
    maybe = part.filter(pl.col("prefix").is_in(pl.Series(job.year.repeated).implode()))
    if maybe.is_empty():
        return {}
    shas = maybe["evidence_sha256"].unique().to_list()
    kept = (actions.c.programme == job.programme) & (actions.c.status != "rejected")
    with job.db.read() as session:
        found = session.execute(
            select(actions.c.evidence_sha256, func.min(actions.c.id))
            .where(kept, actions.c.id <= job.base, actions.c.evidence_sha256.in_(shas))
            .group_by(actions.c.evidence_sha256)
        ).all()  # fmt: skip
    return {sha: int(i) for sha, i in found}


def _reason(job: Import, start: int, first: int, reason: str | int) -> str:
    if isinstance(reason, str):
        return reason
    if reason < 0:
        backing = -reason
    elif reason >= start:
        backing = first + reason - start
    else:
        at = bisect.bisect_right(job.written, (reason, 2**62)) - 1
        ordinal, first_id = job.written[at]
        backing = first_id + reason - ordinal
    return f"the same evidence already backs action {backing}"


def _write(session: Session, job: Import, part: pl.DataFrame, decided: bulk.Decided,
           start: int) -> None:  # fmt: skip
    store.read_head(session, lock=True)
    operator = require_operator(session, job.actor, job.programme)
    first = reserve_ids(session, actions, part.height)
    index = store.read_head(session).size
    reasons = [_reason(job, start, first, r)[:300] for r in decided.reason]
    frame = part.with_columns(
        pl.Series("id", np.arange(first, first + part.height, dtype=np.int64)),
        pl.Series("status", np.array(_STATUS)[decided.status]),
        pl.Series("reason", reasons, dtype=pl.String),
        pl.Series("points", decided.points),
        pl.col("phash").cast(pl.String).str.to_integer(base=16, dtype=pl.UInt64)
        .reinterpret(signed=True).alias("phash"),
        pl.lit(job.programme).alias("programme"), pl.lit(None, pl.String).alias("batch"),
        pl.lit(index).alias("ledger_index"), pl.col("key").alias("idempotency_key"),
    )  # fmt: skip
    sqlite = session.get_bind().dialect.name == "sqlite"
    rows = _stamped(frame.select([c.name for c in actions.columns]), sqlite)
    write_tuples(session, actions, list(rows.iter_rows()))
    granted = frame.filter(pl.col("points") > 0)
    if granted.height:
        gfirst = reserve_ids(session, grants, granted.height)
        grant_rows = granted.select(
            pl.Series("gid", np.arange(gfirst, gfirst + granted.height, dtype=np.int64)),
            "programme", "participant", pl.col("id").alias("action_id"), "points",
            pl.col("points").alias("remaining"),
            (pl.col("received") + job.validity).alias("expires_at"),
        )  # fmt: skip
        write_tuples(session, grants, list(_stamped(grant_rows, sqlite).iter_rows()))
    summary_rows = frame.select("id", "participant", "methodology", "version", "status",
                                "grams_co2e", "points", "evidence_sha256").to_dicts()  # fmt: skip
    log_decisions(session, operator, job.programme, first, summary_rows)
    if not job.written or job.written[-1][0] != start:
        job.written.append((start, first))
    else:
        job.written[-1] = (start, first)  # a retried transaction got other ids


def _stamped(frame: pl.DataFrame, sqlite: bool) -> pl.DataFrame:
    """Timestamps as the driver takes them: SQLAlchemy's SQLite text, or datetimes."""
    if not sqlite:
        return frame
    stamps = [n for n, t in frame.schema.items() if isinstance(t, pl.Datetime)]
    return frame.with_columns(pl.col(stamps).dt.strftime("%Y-%m-%d %H:%M:%S.%6f"))
