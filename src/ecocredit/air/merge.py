"""Put the grids of several files into one grid over a span of hours (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ecocredit.air.model import HOUR, N_POLLUTANTS, HourlyGrid, Reject
from ecocredit.air.readers.grid import MAX_CELLS
from ecocredit.errors import InvalidInput

DAY_HOURS = 24


def merge(
    grids: Iterable[HourlyGrid],
    stations: Sequence[str],
    start: np.datetime64,
    hours: int,
    names: Sequence[str] | None = None,
    *,
    carry: bool = True,
) -> HourlyGrid:
    """One grid of ``stations`` × ``hours`` from ``start``; the first value of a cell wins.

    Values outside the span or of other stations are left out; rejects and row counts add up.
    With ``names`` (each grid's file), a value a later file gives again is reported there;
    ``carry=False`` leaves the grids' own rejects and rows to the caller.
    """
    out = np.full((N_POLLUTANTS, len(stations), hours), np.nan)
    index = {code: i for i, code in enumerate(stations)}
    merged = HourlyGrid(tuple(stations), start, out)
    for number, grid in enumerate(grids):
        if carry:
            merged.rejects += grid.rejects
            merged.rows += grid.rows
        if grid.n_hours == 0 or np.isnat(grid.start):
            continue  # a file with no usable row
        offset = int((grid.start - start) / HOUR)
        lo, hi = max(0, -offset), min(grid.n_hours, hours - offset)
        if hi <= lo:
            continue
        rows = [(i, index[c]) for i, c in enumerate(grid.stations) if c in index]
        if not rows:
            continue
        src = np.array([r[0] for r in rows])
        dst = np.array([r[1] for r in rows])
        target = out[:, dst, offset + lo : offset + hi]
        incoming = grid.values[:, src, lo:hi]
        clash = int(np.count_nonzero(~np.isnan(target) & ~np.isnan(incoming)))
        if clash and names is not None:
            merged.rejects.append(
                Reject(
                    names[number],
                    0,
                    f"{clash} values were already given by an earlier "
                    "file for the same station, hour and pollutant; the first are kept",
                )
            )
        out[:, dst, offset + lo : offset + hi] = np.where(np.isnan(target), incoming, target)
    return merged


def merge_runs(grids: Sequence[HourlyGrid], names: Sequence[str]) -> list[HourlyGrid]:
    """The grids in runs of files whose hours meet or lie within a day of each other.

    Each run is one grid, so a day's files give each other the trailing 24 hours of the
    HJ 633-2012 SO2 rule, while files years apart never make one huge grid. A run larger than
    one read may hold is refused, naming its first and last file. The grids' own rejects stay
    with them; a run's rejects are the values two of its files both give.
    """
    order = sorted(
        (i for i, g in enumerate(grids) if g.n_hours and not np.isnat(g.start)),
        key=lambda i: grids[i].start,
    )
    runs: list[list[int]] = []
    end = 0  # hours since 1970 where the current run ends
    for i in order:
        grid = grids[i]
        first = int(grid.start.astype(np.int64))
        if not runs or first > end + DAY_HOURS:
            runs.append([])
        runs[-1].append(i)
        end = max(end, first + grid.n_hours) if len(runs[-1]) > 1 else first + grid.n_hours
    return [_merge_run([grids[i] for i in run], [names[i] for i in run]) for run in runs]


def _merge_run(grids: list[HourlyGrid], names: list[str]) -> HourlyGrid:
    stations = sorted({c for g in grids for c in g.stations})
    start = min(g.start for g in grids)
    hours = int((max(g.start + g.n_hours * HOUR for g in grids) - start) / HOUR)
    if N_POLLUTANTS * len(stations) * hours > MAX_CELLS:
        raise InvalidInput(
            f"{names[0]} … {names[-1]}: {len(stations):,} stations over {hours:,} hours are more "
            "than one run may hold; give fewer files at a time"
        )
    return merge(grids, stations, start, hours, names, carry=False)
