"""Activity records in and out of the database as Polars frames, a million at a time.

Records are written with one ``executemany`` and read back with one query on the session's
own connection; dates travel as ISO text, which both SQLite and PostgreSQL take for a date.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ecocredit import fastsql
from ecocredit.carbon import catalog
from ecocredit.carbon.calc import RECORD_SCHEMA
from ecocredit.carbon.model import Facility, Factor
from ecocredit.carbon.tables import facilities, factors, records

CHUNK = 50_000
CHUNK_IDS = 500  # ids per IN list: well within every driver's parameter limit


def insert(
    session: Session,
    inventory_id: int,
    frame: pl.DataFrame,
    first: int,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write ``frame``'s records to the inventory, numbered from ``first``."""
    out = frame.with_row_index("number", offset=first).select(
        pl.lit(inventory_id, dtype=pl.Int64),
        pl.col("number").cast(pl.Int64),
        "facility",
        pl.col("period_start").dt.strftime("%Y-%m-%d"),
        pl.col("period_end").dt.strftime("%Y-%m-%d"),
        pl.col("scope").cast(pl.Int64),
        "category",
        "activity",
        "quantity",
        "unit",
        "factor_id",
        "evidence_sha256",
        "note",
    )
    for start in range(0, out.height, CHUNK):
        chunk = out.slice(start, CHUNK)
        fastsql.insert_many(session, records, chunk.iter_rows())
        if progress is not None:
            progress(chunk.height)


def last_number(session: Session, inventory_id: int) -> int:
    """The highest record number of an inventory (0 when it has none)."""
    found = session.execute(
        select(func.max(records.c.line)).where(records.c.inventory_id == inventory_id)
    ).scalar_one()
    return int(found or 0)


@functools.cache
def _load_statement(dialect_name: str) -> Any:
    columns = [records.c[name] for name in RECORD_SCHEMA]
    query = select(*columns).where(records.c.inventory_id == bindparam("inventory_id"))
    return query.order_by(records.c.line)


def load(session: Session, inventory_id: int) -> pl.DataFrame:
    """An inventory's records in number order, as the frame the calculation takes."""
    # A million rows: through the driver's own cursor, without SQLAlchemy's row objects.
    dialect = session.connection().dialect
    statement = fastsql.compile_for(_load_statement(dialect.name), dialect)
    rows = fastsql.fetch(session, statement, inventory_id=inventory_id)
    # SQLite's driver gives dates as ISO text, psycopg as dates.
    text_dates = bool(rows) and isinstance(rows[0][1 + 1], str)
    dates = ("period_start", "period_end")
    schema = {n: (pl.String if n in dates and text_dates else k) for n, k in RECORD_SCHEMA.items()}
    raw = pl.DataFrame(rows, schema=schema, orient="row")
    if text_dates:
        raw = raw.with_columns(pl.col(*dates).str.to_date("%Y-%m-%d"))
    return raw


def facilities_of(session: Session, organisation: str) -> dict[str, Facility]:
    """An organisation's facilities by code."""
    rows = session.execute(
        select(facilities.c.code, facilities.c.name, facilities.c.province).where(
            facilities.c.organisation == organisation
        )
    ).all()
    return {code: Facility(code, name, province) for code, name, province in rows}


def user_factor(row: Mapping[str, Any]) -> Factor:
    """A stored user factor as the calculation sees it."""
    return Factor(
        factor_id=row["factor_id"],
        activity=row["activity"],
        unit=row["unit"],
        gases=json.loads(row["gases"]),
        series="user",
        method=row["method"],
        source=row["source"],
        status="user",
        data_year=row["data_year"],
        region_level="custom",
        region=row["region"],
        published=False,
        owner=row["owner"],
    )


def all_factors(session: Session, ids: list[str] | None = None) -> dict[str, Factor]:
    """Published factors and the users' own (only ``ids`` of those, when given)."""
    found = dict(catalog.published())
    if ids is None:
        batches: list[Any] = [select(factors)]
    else:
        wanted = sorted({i for i in ids if "/" in i})  # users' ids hold their owner's name
        batches = [
            select(factors).where(factors.c.factor_id.in_(wanted[start : start + CHUNK_IDS]))
            for start in range(0, len(wanted), CHUNK_IDS)
        ]
    for query in batches:
        for row in session.execute(query).mappings():
            found[row["factor_id"]] = user_factor(dict(row))
    return found
