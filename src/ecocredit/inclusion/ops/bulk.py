"""Write decided actions many at a time, and log them: shared by the batch and bulk paths.

The batch service (``batch.submit_many``) and the import of a year (``year_import``) both
reserve ids in one step, write with one executemany and log one entry. Rows go through the
driver's cursor (``fastsql.insert_many``), each value first through its column type's bind
processor (or, in bulk, formatted the same way by polars), so a SQLite file holds timestamps
exactly as SQLAlchemy writes them and the fact queries compare like with like. Each written
batch or chunk is logged as one ``inclusion.actions_decided`` entry with the SHA-256 of its
``decisions_csv``.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import polars as pl
from sqlalchemy import Table, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from ecocredit import fastsql
from ecocredit.ledger import service as ledger
from ecocredit.ledger.events import INCLUSION_ACTIONS_DECIDED

CSV_COLUMNS = ("action", "participant", "methodology", "version", "status", "grams_co2e",
               "points", "evidence_sha256")  # fmt: skip


def reserve_ids(session: Session, table: Table, count: int) -> int:
    """Reserve ``count`` consecutive ids of ``table`` and return the first.

    Callers hold the log's lock, the one every writer of these tables takes, so nobody else
    hands out ids meanwhile. On PostgreSQL the id sequence is moved past the reserved ones,
    so single inserts that take their id from it never collide with them.
    """
    if count < 1:
        return 0  # nothing to number; a sequence must not be set below its start
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


def write_tuples(session: Session, table: Table, rows: Iterable[tuple[Any, ...]]) -> None:
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


def decisions_frame_csv(frame: pl.DataFrame) -> bytes:
    """``decisions_csv`` of a frame of decided actions, written by polars.

    The same bytes as ``decisions_csv`` for the values actions can hold: participants and
    methodologies are codes, never empty and without quotes, commas or line breaks.
    """
    return frame.select(
        pl.col("id").alias("action"), "participant", "methodology", "version", "status",
        "grams_co2e", "points", "evidence_sha256",
    ).write_csv(line_terminator="\n", quote_style="necessary").encode()  # fmt: skip


def chunk_summary(programme: str, first: int, frame: pl.DataFrame) -> dict[str, Any]:
    """``summary`` of a bulk chunk held as a frame (ids ``first`` onwards, in order)."""
    status = frame["status"]
    accepted = status == "accepted"
    payload = {
        "programme": programme, "first_action": first, "count": frame.height,
        "accepted": int(accepted.sum()), "rejected": int((status == "rejected").sum()),
        "review": int((status == "review").sum()),
        "grams_co2e": int(frame["grams_co2e"].filter(accepted).sum()),
        "points": int(frame["points"].sum()),
        "sha256": hashlib.sha256(decisions_frame_csv(frame)).hexdigest(),
    }  # fmt: skip
    return payload
