"""Readers of air-quality input: hourly monitoring files in, an :class:`HourlyGrid` out.

Three layouts (:class:`~ecocredit.air.model.Layout`) are understood, told apart by the
header: the national daily site file, the wide CSV and the long CSV or JSON. A problem with
the whole file raises :class:`~ecocredit.errors.InvalidInput`; a bad row or cell never
does, it becomes a :class:`~ecocredit.air.model.Reject` and the good rows are still read.
Station lists are read by :func:`read_stations`.

::

    read_grid(path) ─ read_grid_bytes(data, name) ─┬─ site.py   (date,hour,type,<codes…>)
    read_grid_text(text, name) ────────────────────┼─ wide.py   (station,time,<pollutants…>)
                                                   └─ long.py   (station,time,pollutant,value)
                                                      jsonrows.py (JSON array / JSON Lines)
    shared: source.py (file checks) table.py (records and lines) cells.py times.py grid.py
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from ecocredit.air.model import HourlyGrid, Layout
from ecocredit.air.readers.jsonrows import in_array, json_rows
from ecocredit.air.readers.long import LongRows, read_long, read_long_rows
from ecocredit.air.readers.site import read_site
from ecocredit.air.readers.source import detect_layout, first_line, is_json, load, prepare
from ecocredit.air.readers.stations import read_stations, read_stations_bytes
from ecocredit.air.readers.table import split_table
from ecocredit.air.readers.wide import read_wide
from ecocredit.errors import InvalidInput

__all__ = [
    "detect_layout",
    "detect_layout_bytes",
    "load",
    "read_grid",
    "read_grid_bytes",
    "read_grid_text",
    "read_stations",
    "read_stations_bytes",
]


def detect_layout_bytes(data: bytes, name: str) -> Layout:
    """:func:`detect_layout` of a file's bytes (UTF-8, with or without a byte-order mark)."""
    data = prepare(data, name)
    return Layout.LONG if is_json(data) else detect_layout(first_line(data), name=name)


def read_grid(
    path: Path, *, layout: Layout | None = None, stations: Collection[str] | None = None
) -> HourlyGrid:
    """Read a monitoring file into an hourly grid.

    ``layout`` is detected from the header when not given. With ``stations`` (known codes),
    rows of other stations are rejected. Rejects name the file as ``str(path)``. A file
    without a usable row gives a grid without hours (``start`` is NaT) and its rejects.
    """
    return read_grid_bytes(load(path), str(path), layout=layout, stations=stations)


def read_grid_text(
    text: str, name: str, *, layout: Layout | None = None, stations: Collection[str] | None = None
) -> HourlyGrid:
    """:func:`read_grid` of text already in memory; ``name`` is what rejects call the file."""
    return read_grid_bytes(text.encode("utf-8"), name, layout=layout, stations=stations)


def read_grid_bytes(
    data: bytes, name: str, *, layout: Layout | None = None, stations: Collection[str] | None = None
) -> HourlyGrid:
    """:func:`read_grid` of bytes in memory (an uploaded body); ``name`` names the file."""
    data = prepare(data, name)
    known = stations if stations is None or isinstance(stations, set | frozenset) else set(stations)
    if is_json(data):
        if layout not in (None, Layout.LONG):
            raise InvalidInput(f"{name}: JSON input is read in the long layout, not {layout}")
        rows = json_rows(data.decode(), name)
        long_rows = LongRows(rows.frame(), rows.line_numbers(), rows.rows, rows.rejects)
        grid = read_long_rows(name, long_rows, known)
        if rows.array:
            grid.rejects = [in_array(r) for r in grid.rejects]
        return grid
    layout = layout or detect_layout(first_line(data), name=name)
    table = split_table(data, name)
    if layout is Layout.SITE:
        return read_site(name, table, known)
    if layout is Layout.WIDE:
        return read_wide(name, table, known)
    return read_long(name, table, known)
