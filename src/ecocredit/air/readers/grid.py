"""Building an :class:`HourlyGrid` from checked records: the axes, duplicates, the filling.

The station axis is sorted; the hour axis runs from the first hour of the file to its
last, one UTC hour apart. A stray date far from the rest would stretch that axis, so the
size of the grid is checked before any memory is taken for it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ecocredit.air.model import N_POLLUTANTS, FloatArray, HourlyGrid, IntArray, Reject
from ecocredit.air.readers.cells import AQI_SLOT
from ecocredit.errors import InvalidInput

MAX_CELLS = 1 << 28  # 2 GiB of float64: a year of 2,000 stations is 105 million cells
NO_HOUR = np.datetime64("NaT", "h")  # start of a grid without any hour


def repeats(keys: IntArray) -> tuple[IntArray, IntArray]:
    """Positions whose key was seen before, and for each the position where it was first seen."""
    order = np.argsort(keys, kind="stable")  # stable: the first of equal keys is the earliest
    ordered = keys[order]
    new = np.ones(keys.size, np.bool_)
    new[1:] = ordered[1:] != ordered[:-1]
    group_start = np.maximum.accumulate(np.where(new, np.arange(keys.size), 0))
    first = order[group_start]
    return order[~new], first[~new]


def duplicate_rejects(
    file: str, keys: IntArray, lines: IntArray, what: str
) -> tuple[IntArray, list[Reject]]:
    """Drop later rows repeating a key; returns the positions kept and the rejects.

    ``what`` says what the key is ("station and hour" …) in the reason.
    """
    later, first = repeats(keys)
    rejects = [
        Reject(file, int(lines[i]), f"duplicate of line {int(lines[f])} (same {what})")
        for i, f in zip(later, first, strict=True)
    ]
    keep = np.ones(keys.size, np.bool_)
    keep[later] = False
    return np.flatnonzero(keep), rejects


def allocate(file: str, codes: Sequence[str], hours: IntArray, *, with_aqi: bool) -> HourlyGrid:
    """An all-NaN grid over ``codes`` (sorted) and the hours from ``min(hours)`` to the max."""
    n_hours = int(hours.max() - hours.min() + 1) if hours.size else 0
    cells = N_POLLUTANTS * len(codes) * n_hours
    if cells > MAX_CELLS:
        raise InvalidInput(
            f"{file}: the rows span {n_hours:,} hours for {len(codes):,} stations, "
            f"{cells:,} values, more than the {MAX_CELLS:,} one read may hold; "
            "look for a wrong date or split the file"
        )
    start = np.datetime64(int(hours.min()), "h") if hours.size else NO_HOUR
    values = np.full((N_POLLUTANTS, len(codes), n_hours), np.nan)
    aqi = np.full((len(codes), n_hours), np.nan) if with_aqi else None
    covered = np.zeros(values.shape, np.bool_)
    return HourlyGrid(
        stations=tuple(codes), start=start, values=values, published_aqi=aqi, covered=covered
    )


def hour_index(grid: HourlyGrid, hours: IntArray) -> IntArray:
    """Position along the hour axis of UTC hours (counted from 1970)."""
    return np.asarray(hours - int(grid.start.astype(np.int64)), np.int64)


def put(
    grid: HourlyGrid,
    slot: int,
    station: IntArray,
    hour: IntArray,
    values: FloatArray,
    refused: npt.NDArray[np.bool_] | None = None,
) -> None:
    """Write values of one pollutant (or of the published AQI) at station and hour positions.

    Every position not ``refused`` counts as covered by the file, blanks included.
    """
    if slot == AQI_SLOT:
        assert grid.published_aqi is not None, "allocate the grid with_aqi"
        grid.published_aqi[station, hour] = values
        return
    grid.values[slot, station, hour] = values
    assert grid.covered is not None
    grid.covered[slot, station, hour] = True if refused is None else ~refused


def finish(grid: HourlyGrid, rows: int, rejects: list[Reject]) -> HourlyGrid:
    """Record the rows read and the rejects, in line order."""
    grid.rows = rows
    grid.rejects = sorted(rejects, key=lambda r: r.line)
    return grid
