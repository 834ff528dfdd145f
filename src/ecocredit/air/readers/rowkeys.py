"""The key of a row of the wide and long layouts: its station code and its hour.

A row whose station or time cannot be used is rejected whole (one reject per problem);
the others get a station position on the sorted station axis and a UTC hour.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import polars as pl

from ecocredit.air.model import IntArray, Reject
from ecocredit.air.readers.cells import check_codes, distinct, rejects_at, spread
from ecocredit.air.readers.times import parse_iso


@dataclass(frozen=True)
class RowKeys:
    """Rows with a usable key: their positions in the frame, station positions and hours."""

    rows: IntArray  # positions in the frame of the rows kept
    codes: list[str]  # sorted station axis
    station: IntArray  # per kept row, position in ``codes``
    hour: IntArray  # per kept row, UTC hour since 1970
    rejects: list[Reject]


def row_keys(
    file: str,
    station: pl.Series,
    time: pl.Series,
    lines: IntArray,
    known: Collection[str] | None,
) -> RowKeys:
    """Check the station and time columns (strings) of rows sitting on ``lines``."""
    codes, code_at = distinct(station.str.strip_chars())
    bad_code, code_reasons = spread(code_at, *check_codes(codes, known))
    labels, label_at = distinct(time)
    hours = parse_iso(labels)
    bad_time, time_reasons = spread(label_at, hours.bad, hours.reasons)
    rejects = rejects_at(file, lines, bad_code, code_reasons, "station")
    rejects += rejects_at(file, lines, bad_time, time_reasons, "time")
    keep = np.ones(station.len(), np.bool_)
    keep[bad_code] = False
    keep[bad_time] = False
    rows = np.flatnonzero(keep)
    # The axis holds the stations of rows kept, not those only seen in rejected rows.
    used, position = np.unique(code_at[rows], return_inverse=True)
    axis = [codes[int(i)] for i in used]
    return RowKeys(rows, axis, position.astype(np.int64), hours.values[label_at[rows]], rejects)
