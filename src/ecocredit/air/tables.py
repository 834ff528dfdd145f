"""Tables of air quality: stations, import runs and their files, and station-day values.

A station-day row holds one import's values for one station and one natural day as a
compact block (see :mod:`ecocredit.air.store`): seven series of 24 hourly values — the six
pollutants and the AQI a source published — in thousandths, with a marker for "not in this
import". Later imports add rows holding only the values that changed, so every revision is
kept and the latest value of an hour is the last row's that has one.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
)

from ecocredit.db import BigInt, metadata

Stamp = DateTime(timezone=True)

stations = Table(
    "air_stations",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("city", String(50), nullable=False),
    Column("province", String(50), nullable=False),
    Column("longitude", Float, nullable=False),
    Column("latitude", Float, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_at", Stamp, nullable=False),
)

imports = Table(
    "air_imports",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=True),
    Column("status", String(16), nullable=False),  # realtime or audited
    Column("actor", String(64), nullable=False),
    Column("values_written", BigInt, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("first_hour", Stamp),
    Column("last_hour", Stamp),
    Column("ledger_index", BigInt, nullable=False),
    Column("created_at", Stamp, nullable=False),
)

import_files = Table(
    "air_import_files",
    metadata,
    # A file may come twice: real-time, then byte for byte as audited.
    Column("sha256", String(64), primary_key=True),
    Column("import_id", BigInt, ForeignKey("air_imports.id"), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("layout", String(8), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
)

station_days = Table(
    "air_station_days",
    metadata,
    Column("station", String(16), ForeignKey("air_stations.code"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("import_id", BigInt, ForeignKey("air_imports.id"), primary_key=True),
    Column("block", LargeBinary, nullable=False),
    Index("ix_air_station_days_day", "day"),
)

targets = Table(
    "air_targets",
    metadata,
    Column("subject", String(50), primary_key=True),  # a city, or a station code
    Column("pollutant", String(8), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("value", Float, nullable=False),
    Column("baseline_year", Integer, nullable=False),
    Column("baseline", Float, nullable=False),
    Column("source", String(500), nullable=False),
)

annual_means = Table(
    "air_published_annual_means",
    metadata,
    Column("city", String(50), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("pollutant", String(8), primary_key=True),
    Column("value", Float, nullable=False),
    Column("source", String(500), nullable=False),
)
