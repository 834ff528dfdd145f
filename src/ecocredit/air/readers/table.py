"""A CSV file cut into its header and records, each record with its physical line number.

Rejects must name the line a person sees in an editor, so the records are found here
rather than by the CSV engine: blank lines are skipped, records with the wrong number of
fields are rejected, and what is left is handed to Polars as one clean body whose n-th
record is known to sit on ``lines[n]``. Files without any double quote (all the monitoring
exports) take a vectorised path over the raw bytes; a file that quotes fields is parsed by
the standard ``csv`` module, which can follow a quoted field across lines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from ecocredit.air.model import IntArray, Reject
from ecocredit.air.readers.source import header_fields
from ecocredit.errors import InvalidInput

NEWLINE, COMMA, CR, QUOTE = 10, 44, 13, b'"'
BLOCK = 1 << 23  # bytes of a file looked at together when counting fields


@dataclass
class Table:
    """The records below the header, kept either as clean CSV bytes or as parsed cells."""

    header: list[str]
    lines: IntArray  # 1-based physical line of each kept record
    rejects: list[Reject]  # records with the wrong number of fields
    rows: int  # records read, kept or not (blank lines are not records)
    body: bytes | None = None  # from ``start``: kept records, one a line, without quotes
    cells: list[list[str]] | None = None  # kept records when the file quotes fields
    start: int = 0  # offset of the first record in ``body``; before it is the header line

    def plain(self) -> bool:
        """Whether the records are in ``body`` (the fast path) and there are some."""
        return self.cells is None and self.body is not None and self.lines.size > 0

    def _read(self, **options: Any) -> pl.DataFrame:
        """Polars' reading of the body, starting below the header if the body still has it."""
        assert self.body is not None
        skip = 1 if self.start else 0
        return pl.read_csv(self.body, has_header=False, quote_char=None, skip_lines=skip, **options)

    def names(self) -> list[str]:
        """Positional column names (``c0``, ``c1`` …): the header may repeat or be odd."""
        return [f"c{i}" for i in range(len(self.header))]

    def frame(self, numeric: Collection[int] = ()) -> pl.DataFrame:
        """Every kept record as a row (null where a cell is empty).

        Columns are strings, except that the ``numeric`` ones are Float64 when every one of
        their cells parses as a number; the first unreadable cell makes them all strings, and
        :meth:`texts` gives a column's text when the numbers need a second look.
        """
        names = self.names()
        if not self.plain():
            columns = list(zip(*self.cells, strict=True)) if self.cells else [()] * len(names)
            data = {
                n: [c.strip() or None for c in col] for n, col in zip(names, columns, strict=True)
            }
            return pl.DataFrame(data, schema=dict.fromkeys(names, pl.String))
        schema = {n: pl.Float64 if i in numeric else pl.String for i, n in enumerate(names)}
        try:
            return self._read(schema=schema)
        except pl.exceptions.PolarsError:
            return self._read(new_columns=names, infer_schema=False)

    def texts(self, column: int) -> pl.Series:
        """The text of one column of every kept record."""
        if not self.plain():
            return pl.Series([r[column] for r in self.cells or []], dtype=pl.String)
        return self._read(columns=[column], infer_schema=False).to_series(0)


def split_table(data: bytes, name: str) -> Table:
    """Cut a UTF-8 CSV file (byte-order mark already removed) into header and records."""
    if QUOTE in data:
        return quoted_table(data.decode(), name)
    return _plain_table(data, name)


def _line_bounds(arr: npt.NDArray[np.uint8]) -> tuple[IntArray, IntArray]:
    """Start and end (newline and a CR before it excluded) of every physical line."""
    newlines = np.flatnonzero(arr == NEWLINE)
    starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
    ends = np.concatenate((newlines, [arr.size])).astype(np.int64)
    if starts[-1] == arr.size:  # the file ends with a newline: no line after it
        starts, ends = starts[:-1], ends[:-1]
    has_cr = (ends > starts) & (arr[np.maximum(ends - 1, 0)] == CR)
    return starts, ends - has_cr


def _field_counts(
    data: bytes, arr: npt.NDArray[np.uint8], starts: IntArray, ends: IntArray
) -> IntArray:
    """Fields on each line: its commas plus one.

    Counted per line without listing the comma positions (millions in a big file), a block
    of lines at a time so the temporary arrays stay small, and in 16 bits, which numpy sums
    far faster than 64; a line long enough to overflow that is recounted.
    """
    fields = np.empty(starts.size, np.int64)
    cuts = np.unique(np.searchsorted(starts, np.arange(0, arr.size, BLOCK)))
    for first, last in zip(cuts, np.append(cuts[1:], starts.size), strict=True):
        low, high = starts[first], starts[last] if last < starts.size else arr.size
        commas = (arr[low:high] == COMMA).view(np.uint8)
        fields[first:last] = np.add.reduceat(commas, starts[first:last] - low, dtype=np.uint16)
    fields += 1
    for i in np.flatnonzero(ends - starts >= np.iinfo(np.uint16).max):
        fields[i] = data.count(b",", int(starts[i]), int(ends[i])) + 1
    return fields


def _plain_table(data: bytes, name: str) -> Table:
    arr = np.frombuffer(data, np.uint8)
    starts, ends = _line_bounds(arr)
    fields = _field_counts(data, arr, starts, ends)
    header = header_fields(data[starts[0] : ends[0]].decode(), name)
    blank = ends == starts
    blank[0] = True  # the header is not a record
    # Only one-field lines can be blank after stripping; there are few of them.
    for i in np.flatnonzero((fields == 1) & ~blank):
        blank[i] = not data[starts[i] : ends[i]].strip()
    records = np.flatnonzero(~blank)
    good = fields[records] == len(header)
    rejects = [
        Reject(name, int(i) + 1, f"expected {len(header)} fields, found {int(fields[i])}")
        for i in records[~good]
    ]
    kept = records[good]
    body, start = _body(data, arr, starts, kept)
    return Table(header, kept + 1, rejects, int(records.size), body=body, start=start)


def _body(
    data: bytes, arr: npt.NDArray[np.uint8], starts: IntArray, kept: IntArray
) -> tuple[bytes, int]:
    """The kept lines as one CSV body, and the offset of its first record."""
    if kept.size == starts.size - 1:  # every line below the header is kept: no copy
        return data, int(starts[1]) if kept.size else len(data)
    keep_line = np.zeros(starts.size, bool)
    keep_line[kept] = True
    spans = np.diff(np.append(starts, arr.size))
    body = arr[np.repeat(keep_line, spans)].tobytes()
    return (body if body.endswith(b"\n") else body + b"\n"), 0


def quoted_table(text: str, name: str) -> Table:
    """Cut a file with the ``csv`` module (slower; follows quoted fields across lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = header_fields(text, name)
    next(reader)
    cells: list[list[str]] = []
    lines: list[int] = []
    rejects: list[Reject] = []
    rows, previous = 0, reader.line_num
    try:
        for record in reader:
            line, previous = previous + 1, reader.line_num
            if len(record) <= 1 and not "".join(record).strip():
                continue
            rows += 1
            if len(record) != len(header):
                rejects.append(
                    Reject(name, line, f"expected {len(header)} fields, found {len(record)}")
                )
                continue
            cells.append(record)
            lines.append(line)
    except csv.Error as exc:
        raise InvalidInput(f"{name}:{reader.line_num}: cannot read the CSV ({exc})") from None
    return Table(header, np.asarray(lines, np.int64), rejects, rows, cells=cells)
