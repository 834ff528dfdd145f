"""The national daily site file: ``date,hour,type,<station codes…>``, one row per hour and type.

Each row holds one series for every station: the hourly PM2.5, PM10, SO2, NO2, CO and O3
(the 1-hour ozone), the AQI the platform published, and 24-hour / 8-hour means that are
recognised and skipped (they are recomputed from the hourly values). ``date`` is the local
day as YYYYMMDD and ``hour`` 0–23; the label is taken as is, in China local time.

These files are wide (2,000 station columns) and short (24 × 15 rows a day), which is the
worst shape for a column-oriented CSV engine. So the cells are parsed as one long column:
every comma becomes a newline and Polars reads a single Float64 column, leaving unreadable
cells null; only those are looked at again, with their text, to tell blanks from rejects.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np
import polars as pl

from ecocredit.air.model import N_POLLUTANTS, FloatArray, HourlyGrid, IntArray, Reject
from ecocredit.air.readers.cells import (
    AQI_SLOT,
    SKIP_SLOT,
    BoolArray,
    code_problem,
    raw_numbers,
    settle,
    shown,
    slot_series,
)
from ecocredit.air.readers.grid import allocate, duplicate_rejects, finish, hour_index
from ecocredit.air.readers.table import COMMA, Table
from ecocredit.air.readers.times import parse_site
from ecocredit.errors import InvalidInput

KEYS = ("date", "hour", "type")
UNKNOWN = -2  # slot of an unknown type


@dataclass(frozen=True)
class SiteCells:
    """The cells of a site file: the three key columns and the station cells as floats."""

    date: pl.Series
    hour: pl.Series
    type: pl.Series
    raw: FloatArray  # [record, station column]; NaN where empty or unreadable
    empty: BoolArray  # [record, station column]
    text: Callable[[int, int], str]  # the text of a station cell (record, column)


def site_columns(
    file: str, header: list[str], known: Collection[str] | None
) -> tuple[list[int], list[Reject]]:
    """Station columns to read (positions after ``type``) and rejects for the others."""
    for position, key in enumerate(KEYS):
        if position >= len(header) or header[position].lower() != key:
            raise InvalidInput(f"{file}: missing required column '{key}'", field=key)
    taken: list[int] = []
    seen: dict[str, int] = {}
    rejects: list[Reject] = []
    for column, code in enumerate(header[len(KEYS) :]):
        problem = code_problem(code, known)
        if problem is None and code in seen:
            problem = f"duplicate station column, first in column {seen[code] + len(KEYS) + 1}"
        if problem is not None:
            rejects.append(Reject(file, 1, problem, code))
            continue
        seen[code] = column
        taken.append(column)
    return taken, rejects


def _read_column(joined: bytes) -> pl.Series:
    """The cells of ``joined`` (comma-separated, no newline) as one Float64 column."""
    return pl.read_csv(
        joined,
        has_header=False,
        new_columns=["v"],
        schema={"v": pl.Float64},
        quote_char=None,
        eol_char=",",  # one long column: the fastest shape for the CSV engine
        ignore_errors=True,  # unreadable cells come out null
    ).to_series()


def _split_records(
    body: bytes, start: int, n_records: int
) -> tuple[list[list[str]], list[memoryview]]:
    """The key cells of each line of a clean body, and views of the rest of each line."""
    keys: list[list[str]] = [[], [], []]
    rests: list[memoryview] = []
    view = memoryview(body)
    for _ in range(n_records):  # views, not copies: the station cells are copied once, joined
        end = body.find(b"\n", start)
        end = len(body) if end < 0 else end
        cut = start - 1
        for column in keys:
            after = body.index(b",", cut + 1, end)
            column.append(body[cut + 1 : after].decode())
            cut = after
        rests.append(view[cut + 1 : end - 1 if body[end - 1] == ord("\r") else end])
        start = end + 1
    return keys, rests


def _flat_cells(table: Table) -> SiteCells | None:
    """Parse a clean body's station cells as one long column (the fast path).

    None if the column does not come out one value per cell (the slow path then decides).
    """
    assert table.body is not None
    n_records, n_fields = table.lines.size, len(table.header)
    keys, rests = _split_records(table.body, table.start, n_records)
    date, hour, kind = (pl.Series(column, dtype=pl.String) for column in keys)
    width = n_fields - len(KEYS)
    # A sentinel cell at each end, as the engine would drop a blank first or last cell.
    joined = b"0," + b",".join(rests) + b",0,"
    column = _read_column(joined)
    if column.len() != n_records * width + 2:
        return None
    bounds = _CellBounds(joined)
    nulls = np.asarray(column.is_null().to_numpy()[1:-1], np.bool_)
    # Null is an empty cell or an unreadable one. When there are as many nulls as empty
    # cells (two commas in a row), all are empty; otherwise the cell lengths tell which.
    as_bytes = np.frombuffer(joined, np.uint8)
    n_empty = np.count_nonzero((as_bytes[:-1] == COMMA) & (as_bytes[1:] == COMMA))
    empty = nulls if int(nulls.sum()) == n_empty else bounds.empty()
    shape = (n_records, width)
    raw = np.asarray(column.fill_null(np.nan).to_numpy()[1:-1], np.float64).reshape(shape)
    return SiteCells(date, hour, kind, raw, empty.reshape(shape), bounds.text(width))


class _CellBounds:
    """Where each cell of a joined line starts and ends, found only when first needed."""

    def __init__(self, joined: bytes) -> None:
        self.joined = joined
        self._commas: IntArray | None = None

    def commas(self) -> IntArray:
        if self._commas is None:  # the commas before and after each cell, sentinels included
            self._commas = np.flatnonzero(np.frombuffer(self.joined, np.uint8) == COMMA)
        return self._commas

    def empty(self) -> BoolArray:
        commas = self.commas()
        return np.asarray(np.diff(commas)[:-1] == 1, np.bool_)

    def text(self, width: int) -> Callable[[int, int], str]:
        def text(record: int, column: int) -> str:
            k = record * width + column
            commas = self.commas()
            return self.joined[commas[k] + 1 : commas[k + 1]].decode()

        return text


def _listed_cells(records: list[list[str]], n_fields: int) -> SiteCells:
    """The cells of records parsed one by one (quoted files, or the fast path failing)."""
    date, hour, kind = (pl.Series([r[i] for r in records], dtype=pl.String) for i in range(3))
    texts = pl.Series([c for r in records for c in r[3:]], dtype=pl.String)
    raw, empty = raw_numbers(texts)
    shape = (len(records), n_fields - len(KEYS))
    return SiteCells(
        date, hour, kind, raw.reshape(shape), empty.reshape(shape), lambda r, c: records[r][3 + c]
    )


def site_cells(table: Table) -> SiteCells:
    """The cells of the table, by the fast path when it can take them."""
    n_fields = len(table.header)
    cells = _flat_cells(table) if table.plain() and n_fields > len(KEYS) else None
    if cells is not None:
        return cells
    records = table.cells if table.cells is not None else table.frame().fill_null("").rows()
    return _listed_cells([list(r) for r in records], n_fields)


def _row_checks(
    file: str, cells: SiteCells, lines: IntArray
) -> tuple[IntArray, IntArray, list[Reject]]:
    """Slot and UTC hour of every record, and rejects for bad dates, hours and types."""
    hours = parse_site(cells.date, cells.hour)
    slots = np.array(slot_series(cells.type).fill_null(UNKNOWN).to_numpy(), np.int64)
    rejects = [
        Reject(file, int(lines[b]), reason, field)
        for b, reason, field in zip(hours.bad, hours.reasons, hours.fields, strict=True)
    ]
    for b in np.flatnonzero(slots == UNKNOWN):
        name = cells.type[int(b)] or ""
        reason = f"unknown type {shown(name)}" if name.strip() else "missing type"
        rejects.append(Reject(file, int(lines[b]), reason, "type"))
    slots[hours.bad] = UNKNOWN  # a record without an hour fills nothing
    return slots, hours.values, rejects


def _cell_rejects(
    file: str, bad: IntArray, reasons: list[str], lines: IntArray, codes: list[str]
) -> list[Reject]:
    """Rejects of refused cells, given as positions in the row-major [record, column] block."""
    width = len(codes)
    return [
        Reject(file, int(lines[k // width]), reason, codes[k % width])
        for k, reason in zip(bad, reasons, strict=True)
    ]


def read_site(file: str, table: Table, known: Collection[str] | None) -> HourlyGrid:
    """The grid of a site file already cut into records."""
    columns, rejects = site_columns(file, table.header, known)
    cells = site_cells(table)
    slots, hours, row_rejects = _row_checks(file, cells, table.lines)
    fills = np.flatnonzero(slots > SKIP_SLOT)
    first = int(hours[fills].min()) if fills.size else 0
    key = (hours[fills] - first) * (N_POLLUTANTS + 1) + slots[fills]
    kept, duplicates = duplicate_rejects(file, key, table.lines[fills], "date, hour and type")
    records = fills[kept]
    block = np.ix_(records, np.asarray(columns, np.int64))
    width = len(columns)

    def texts_at(positions: IntArray) -> list[str]:
        return [cells.text(int(records[k // width]), columns[k % width]) for k in positions]

    numbers = settle(cells.raw[block].ravel(), cells.empty[block].ravel(), texts_at)
    codes = [table.header[len(KEYS) + c] for c in columns]
    rejects += row_rejects + duplicates + table.rejects
    rejects += _cell_rejects(file, numbers.bad, numbers.reasons, table.lines[records], codes)
    refused = np.zeros(records.size * width, np.bool_)
    refused[numbers.bad] = True
    grid = _fill(
        file,
        codes,
        slots[records],
        hours[records],
        numbers.values.reshape(records.size, width),
        refused.reshape(records.size, width),
    )
    return finish(grid, table.rows, rejects)


def _fill(
    file: str,
    codes: list[str],
    slots: IntArray,
    hours: IntArray,
    values: FloatArray,
    refused: BoolArray,
) -> HourlyGrid:
    """A grid over the sorted codes holding ``values[record, column]`` of each record."""
    order = sorted(range(len(codes)), key=codes.__getitem__)
    grid = allocate(
        file, [codes[i] for i in order], hours, with_aqi=bool(np.any(slots == AQI_SLOT))
    )
    at = hour_index(grid, hours)
    values, refused = values[:, order], refused[:, order]
    for slot in np.unique(slots):
        mine = slots == slot
        target = grid.published_aqi if slot == AQI_SLOT else grid.values[slot]
        assert target is not None, "allocated with_aqi"
        target[:, at[mine]] = values[mine].T
        if slot != AQI_SLOT:
            assert grid.covered is not None
            grid.covered[slot][:, at[mine]] = ~refused[mine].T
    return grid
