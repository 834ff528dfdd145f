"""Put the grids of several files into one grid over a span of hours (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ecocredit.air.model import HOUR, N_POLLUTANTS, HourlyGrid


def merge(
    grids: Iterable[HourlyGrid], stations: Sequence[str], start: np.datetime64, hours: int
) -> HourlyGrid:
    """One grid of ``stations`` × ``hours`` from ``start``; the first value of a cell wins.

    Values outside the span or of other stations are left out; rejects and row counts add up.
    """
    out = np.full((N_POLLUTANTS, len(stations), hours), np.nan)
    index = {code: i for i, code in enumerate(stations)}
    merged = HourlyGrid(tuple(stations), start, out)
    for grid in grids:
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
        out[:, dst, offset + lo : offset + hi] = np.where(np.isnan(target), incoming, target)
    return merged
