"""What the reader tests share: writing a file, reading a value back, listing rejects."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import numpy as np

from ecocredit.air.model import HourlyGrid, Layout, Pollutant
from ecocredit.air.readers import read_grid

PM25, PM10, SO2, NO2, CO, O3 = Pollutant

BAD_CODE = "station code must be 1–16 ASCII letters, digits or '-' (not first): "


def read(
    tmp_path: Path,
    text: str,
    name: str = "in.csv",
    *,
    layout: Layout | None = None,
    stations: Collection[str] | None = None,
) -> HourlyGrid:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_grid(path, layout=layout, stations=stations)


def at(grid: HourlyGrid, pollutant: Pollutant | None, station: str, utc_hour: str) -> float:
    """The value at a UTC hour; pollutant None means the published AQI."""
    h = int((np.datetime64(utc_hour, "h") - grid.start) // np.timedelta64(1, "h"))
    s = grid.stations.index(station)
    if pollutant is None:
        assert grid.published_aqi is not None
        return float(grid.published_aqi[s, h])
    return float(grid.values[pollutant.index, s, h])


def rejects(grid: HourlyGrid) -> list[tuple[int, str, str]]:
    return [(r.line, r.field, r.reason) for r in grid.rejects]
