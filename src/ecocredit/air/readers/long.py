"""The long layout: one value per row, ``station,time,pollutant,value``, as CSV or JSON.

Each row stands alone, so a bad value rejects its row, and a row repeating a station, hour
and pollutant seen before is rejected naming the line of the first. ``pollutant`` takes the
spellings of the wide header and ``AQI`` for a published AQI; the 24-hour and 8-hour series
of the site files are recognised and left out.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import polars as pl

from ecocredit.air.model import N_POLLUTANTS, FloatArray, HourlyGrid, IntArray, Reject
from ecocredit.air.readers.cells import (
    AQI_SLOT,
    SKIP_SLOT,
    parse_numbers,
    rejects_at,
    shown,
    slot_series,
)
from ecocredit.air.readers.grid import allocate, duplicate_rejects, finish, hour_index, put
from ecocredit.air.readers.rowkeys import row_keys
from ecocredit.air.readers.source import require
from ecocredit.air.readers.table import Table

COLUMNS = ("station", "time", "pollutant", "value")
UNKNOWN = -2  # slot of a pollutant name that is not known


def read_long(file: str, table: Table, known: Collection[str] | None) -> HourlyGrid:
    """The grid of a long CSV already cut into records."""
    found = require(table.header, COLUMNS, file)
    names = table.names()
    extra = [
        Reject(file, 1, f"unknown column {i + 1}, not read", label)
        for i, label in enumerate(table.header)
        if i not in found.values()
    ]
    frame = table.frame().select(pl.col(names[found[c]]).alias(c) for c in COLUMNS)
    return read_long_frame(file, frame, table.lines, table.rows, table.rejects + extra, known)


def _pollutant_rejects(
    file: str, names: pl.Series, slots: IntArray, lines: IntArray
) -> list[Reject]:
    bad = np.flatnonzero(slots == UNKNOWN)
    texts = names.gather(bad).to_list()
    reasons = [
        f"unknown pollutant {shown(t)}" if t and t.strip() else "missing pollutant" for t in texts
    ]
    return rejects_at(file, lines, bad, reasons, "pollutant")


def read_long_frame(
    file: str,
    frame: pl.DataFrame,
    lines: IntArray,
    rows: int,
    rejects: list[Reject],
    known: Collection[str] | None,
) -> HourlyGrid:
    """The grid of long rows: string columns ``station,time,pollutant,value`` on ``lines``."""
    keys = row_keys(file, frame["station"], frame["time"], lines, known)
    names = frame["pollutant"].gather(keys.rows)
    slots = np.asarray(slot_series(names).fill_null(UNKNOWN).to_numpy(), np.int64)
    rejects = rejects + keys.rejects
    rejects += _pollutant_rejects(file, names, slots, lines[keys.rows])
    take = np.flatnonzero(slots > SKIP_SLOT)
    at_rows, station, hours, slots = (
        keys.rows[take],
        keys.station[take],
        keys.hour[take],
        slots[take],
    )
    first = int(hours.min()) if hours.size else 0
    span = int(hours.max()) - first + 1 if hours.size else 1
    key = (station * span + (hours - first)) * (N_POLLUTANTS + 1) + slots
    kept, duplicates = duplicate_rejects(file, key, lines[at_rows], "station, hour and pollutant")
    at_rows, station, hours, slots = at_rows[kept], station[kept], hours[kept], slots[kept]
    numbers = parse_numbers(frame["value"].gather(at_rows))
    rejects += duplicates + rejects_at(file, lines[at_rows], numbers.bad, numbers.reasons, "value")
    good = np.ones(at_rows.size, np.bool_)
    good[numbers.bad] = False
    grid = _fill(file, keys.codes, station[good], hours[good], slots[good], numbers.values[good])
    return finish(grid, rows, rejects)


def _fill(
    file: str,
    codes: list[str],
    station: IntArray,
    hours: IntArray,
    slots: IntArray,
    values: FloatArray,
) -> HourlyGrid:
    """A grid holding the values taken; its axis has only the stations that kept a value."""
    used, station = np.unique(station, return_inverse=True)
    grid = allocate(file, [codes[i] for i in used], hours, with_aqi=bool(np.any(slots == AQI_SLOT)))
    at = hour_index(grid, hours)
    for slot in np.unique(slots):
        mine = slots == slot
        put(grid, int(slot), station[mine], at[mine], values[mine])
    return grid
