"""Put the grids of several files into one grid over a span of hours (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ecocredit.air.model import HOUR, N_POLLUTANTS, HourlyGrid, Reject


def merge(
    grids: Iterable[HourlyGrid],
    stations: Sequence[str],
    start: np.datetime64,
    hours: int,
    names: Sequence[str] | None = None,
) -> HourlyGrid:
    """One grid of ``stations`` × ``hours`` from ``start``; the first value of a cell wins.

    Values outside the span or of other stations are left out; rejects and row counts add up.
    With ``names`` (each grid's file), a value a later file gives again is reported there.
    """
    out = np.full((N_POLLUTANTS, len(stations), hours), np.nan)
    index = {code: i for i, code in enumerate(stations)}
    merged = HourlyGrid(tuple(stations), start, out)
    for number, grid in enumerate(grids):
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


def merge_all(grids: Sequence[HourlyGrid], names: Sequence[str]) -> HourlyGrid:
    """Every grid's stations and hours in one grid, so that moving means span files."""
    used = [g for g in grids if g.n_hours and not np.isnat(g.start)]
    stations = sorted({c for g in used for c in g.stations})
    if not used:
        empty = HourlyGrid((), np.datetime64("NaT", "h"), np.full((N_POLLUTANTS, 0, 0), np.nan))
        empty.rejects = [r for g in grids for r in g.rejects]
        empty.rows = sum(g.rows for g in grids)
        return empty
    start = min(g.start for g in used)
    end = max(g.start + g.n_hours * HOUR for g in used)
    return merge(grids, stations, start, int((end - start) / HOUR), names)
