"""The long layout: one value per row, ``station,time,pollutant,value``, as CSV or JSON.

Each row stands alone, so a bad value rejects its row, and a row repeating a station, hour
and pollutant seen before is rejected naming the line of the first. ``pollutant`` takes the
spellings of the wide header and ``AQI`` for a published AQI; the 24-hour and 8-hour series
of the site files are recognised and left out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import partial

import numpy as np
import polars as pl

from ecocredit.air.model import N_POLLUTANTS, FloatArray, HourlyGrid, IntArray, Reject
from ecocredit.air.readers.cells import (
    AQI_SLOT,
    SKIP_SLOT,
    Numbers,
    distinct,
    float_numbers,
    parse_numbers,
    rejects_at,
    shown,
    slot_series,
    spread,
)
from ecocredit.air.readers.grid import allocate, duplicate_rejects, finish, hour_index, put
from ecocredit.air.readers.rowkeys import row_keys
from ecocredit.air.readers.source import require
from ecocredit.air.readers.table import Table

COLUMNS = ("station", "time", "pollutant", "value")
UNKNOWN = -2  # slot of a pollutant name that is not known


@dataclass
class LongRows:
    """Rows of the long layout from a CSV or JSON file, with where each came from."""

    frame: pl.DataFrame  # station, time, pollutant as strings; value as strings or Float64
    lines: IntArray  # the line (JSON array: the position) of each row
    rows: int  # rows read, including those rejected before getting here
    rejects: list[Reject]
    value_texts: Callable[[], pl.Series] | None = None  # the value column's text


def read_long(file: str, table: Table, known: Collection[str] | None) -> HourlyGrid:
    """The grid of a long CSV already cut into records."""
    found = require(table.header, COLUMNS, file)
    names = table.names()
    extra = [
        Reject(file, 1, f"unknown column {i + 1}, not read", label)
        for i, label in enumerate(table.header)
        if i not in found.values()
    ]
    frame = table.frame(numeric=[found["value"]])
    frame = frame.select(pl.col(names[found[c]]).alias(c) for c in COLUMNS)
    texts = partial(table.texts, found["value"])
    rows = LongRows(frame, table.lines, table.rows, table.rejects + extra, texts)
    return read_long_rows(file, rows, known)


def _slots(file: str, names: pl.Series, lines: IntArray) -> tuple[IntArray, list[Reject]]:
    """The slot of each row's pollutant name (UNKNOWN if none), and rejects for unknown ones."""
    distinct_names, name_at = distinct(names)
    slots = np.asarray(slot_series(distinct_names).fill_null(UNKNOWN).to_numpy(), np.int64)
    unknown = np.flatnonzero(slots == UNKNOWN)
    reasons = [
        f"unknown pollutant {shown(t)}" if t.strip() else "missing pollutant"
        for t in distinct_names.gather(unknown).to_list()
    ]
    rows, why = spread(name_at, unknown, reasons)
    return slots[name_at], rejects_at(file, lines, rows, why, "pollutant")


def _numbers(rows: LongRows, at_rows: IntArray) -> Numbers:
    """The values of some rows; read from their text when the fast parse refused one."""
    values = rows.frame["value"]
    if values.dtype == pl.Float64:
        numbers = float_numbers(values.gather(at_rows))
        if numbers is not None:
            return numbers
        assert rows.value_texts is not None, "a Float64 value column comes with its text"
        values = rows.value_texts()
    return parse_numbers(values.gather(at_rows))


def read_long_rows(file: str, rows: LongRows, known: Collection[str] | None) -> HourlyGrid:
    """The grid of long rows: one value each, judged alone."""
    lines = rows.lines
    keys = row_keys(file, rows.frame["station"], rows.frame["time"], lines, known)
    slots, pollutant_rejects = _slots(
        file, rows.frame["pollutant"].gather(keys.rows), lines[keys.rows]
    )
    take = np.flatnonzero(slots > SKIP_SLOT)
    at_rows, station, hours = keys.rows[take], keys.station[take], keys.hour[take]
    slots = slots[take]
    first = int(hours.min()) if hours.size else 0
    span = int(hours.max()) - first + 1 if hours.size else 1
    key = (station * span + (hours - first)) * (N_POLLUTANTS + 1) + slots
    kept, duplicates = duplicate_rejects(file, key, lines[at_rows], "station, hour and pollutant")
    at_rows, station, hours, slots = at_rows[kept], station[kept], hours[kept], slots[kept]
    numbers = _numbers(rows, at_rows)
    rejects = rows.rejects + keys.rejects + pollutant_rejects + duplicates
    rejects += rejects_at(file, lines[at_rows], numbers.bad, numbers.reasons, "value")
    good = np.ones(at_rows.size, np.bool_)
    good[numbers.bad] = False
    grid = _fill(file, keys.codes, station[good], hours[good], slots[good], numbers.values[good])
    return finish(grid, rows.rows, rejects)


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
