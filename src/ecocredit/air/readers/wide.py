"""The wide layout: one row per station and hour, one column per pollutant.

``station,time,PM2.5,PM10,SO2,NO2,CO,O3`` with the pollutant columns in any order, any
subset, spelled as people spell them (``pm25``, ``pm2_5``, ``PM2.5``, ``so2`` …), and an
optional ``aqi`` column holding a published AQI. A row repeating a station and hour seen
before is rejected whole; a bad cell loses only that cell.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ecocredit.air.model import POLLUTANTS, HourlyGrid, Reject
from ecocredit.air.readers.cells import (
    AQI_SLOT,
    SKIP_SLOT,
    float_numbers,
    parse_numbers,
    rejects_at,
    slot_of,
)
from ecocredit.air.readers.grid import allocate, duplicate_rejects, finish, hour_index, put
from ecocredit.air.readers.rowkeys import row_keys
from ecocredit.air.readers.source import require
from ecocredit.air.readers.table import Table
from ecocredit.errors import InvalidInput


@dataclass
class WideColumns:
    """Where the key columns are and which value column feeds which slot."""

    station: int
    time: int
    values: list[tuple[int, int, str]] = field(default_factory=list)  # (column, slot, label)
    rejects: list[Reject] = field(default_factory=list)  # columns not read


def _slot_name(slot: int) -> str:
    return "AQI" if slot == AQI_SLOT else POLLUTANTS[slot].value


def wide_columns(header: list[str], file: str) -> WideColumns:
    """Read the header: key columns are required; unknown columns are reported, not read."""
    found = require(header, ("station", "time"), file)
    plan = WideColumns(found["station"], found["time"])
    seen: dict[int, str] = {}
    for column, label in enumerate(header):
        if column in (plan.station, plan.time):
            continue
        slot = slot_of(label)
        if slot is None:
            reason = f"unknown column {column + 1}, not read"
            plan.rejects.append(Reject(file, 1, reason, label))
        elif slot != SKIP_SLOT and slot in seen:
            raise InvalidInput(
                f"{file}: columns '{seen[slot]}' and '{label}' both hold {_slot_name(slot)}",
                field=label,
            )
        elif slot != SKIP_SLOT:
            seen[slot] = label
            plan.values.append((column, slot, label))
    if not any(slot != AQI_SLOT for _, slot, _ in plan.values):
        raise InvalidInput(
            f"{file}: no pollutant column: expected some of "
            + ",".join(p.value for p in POLLUTANTS),
            field="PM2.5",
        )
    return plan


def read_wide(file: str, table: Table, known: Collection[str] | None) -> HourlyGrid:
    """The grid of a wide CSV already cut into records."""
    plan = wide_columns(table.header, file)
    frame = table.frame(numeric=[column for column, _, _ in plan.values])
    names = table.names()
    keys = row_keys(file, frame[names[plan.station]], frame[names[plan.time]], table.lines, known)
    lines = table.lines[keys.rows]
    first = int(keys.hour.min()) if keys.hour.size else 0
    span = int(keys.hour.max()) - first + 1 if keys.hour.size else 1
    kept, duplicates = duplicate_rejects(
        file, keys.station * span + (keys.hour - first), lines, "station and hour"
    )
    rows, station, hours = keys.rows[kept], keys.station[kept], keys.hour[kept]
    with_aqi = any(slot == AQI_SLOT for _, slot, _ in plan.values)
    grid = allocate(file, keys.codes, hours, with_aqi=with_aqi)
    at = hour_index(grid, hours)
    rejects = table.rejects + plan.rejects + keys.rejects + duplicates
    for column, slot, label in plan.values:
        values = frame[names[column]]
        numbers = float_numbers(values.gather(rows)) if values.dtype == pl.Float64 else None
        if numbers is None:  # a refused cell: read the column's text to quote it
            numbers = parse_numbers(table.texts(column).gather(rows))
        refused = np.zeros(station.size, np.bool_)
        refused[numbers.bad] = True
        put(grid, slot, station, at, numbers.values, refused)
        rejects += rejects_at(file, lines[kept], numbers.bad, numbers.reasons, label)
    return finish(grid, table.rows, rejects)
