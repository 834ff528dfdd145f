"""The database-free commands' work: hourly AQI rows and annual evaluations of files.

``ecocredit air aqi`` and ``ecocredit air evaluate`` read monitoring files, compute with the
pure modules and write CSV; nothing here opens a database. Rows are built column-wise with
Polars, so a national year is written in seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl

from ecocredit.air import averages
from ecocredit.air.aqi import AqiArrays
from ecocredit.air.averages import day_start_utc
from ecocredit.air.daily import daily_values
from ecocredit.air.evaluate import Evaluation, evaluate, item_json
from ecocredit.air.hourly import grid_aqi
from ecocredit.air.merge import merge
from ecocredit.air.model import (
    HOUR,
    LOCAL_OFFSET,
    POLLUTANTS,
    HourlyGrid,
    StandardVersion,
    Station,
    StationKind,
)
from ecocredit.air.rules import RuleSet, categories

AQI_COLUMNS = ["station", "time", "aqi", "primary_pollutants", "category"] + [
    f"iaqi_{p.value}" for p in POLLUTANTS
]


def aqi_frame(grid: HourlyGrid, rules: RuleSet | None = None) -> pl.DataFrame:
    """One row per station-hour of ``grid`` that has any value, with its real-time AQI."""
    result = grid_aqi(grid.values, grid.start, rules)
    station_idx, hour_idx = np.nonzero(grid.present())
    return _rows(grid, result, station_idx, hour_idx)


def _rows(grid: HourlyGrid, result: AqiArrays, s: np.ndarray, h: np.ndarray) -> pl.DataFrame:
    local = (grid.start + LOCAL_OFFSET + h.astype(np.int64) * HOUR).astype("datetime64[ms]")
    times = pl.Series(local).dt.strftime("%Y-%m-%dT%H:%M+08:00")
    names = [categories()[i].name_zh for i in range(6)]
    level = result.level[s, h]
    category = pl.Series([None, *names], dtype=pl.String)[pl.Series(level.astype(np.int64))]
    masks = result.primary[s, h]
    table = {
        m: ";".join(p.value for i, p in enumerate(POLLUTANTS) if m >> i & 1) for m in range(64)
    }
    names_of = pl.Series([table[m] or None for m in range(64)], dtype=pl.String)
    primary = names_of[pl.Series(masks.astype(np.int64))]
    aqi = result.aqi[s, h]
    columns: dict[str, pl.Series] = {
        "station": pl.Series(grid.stations)[pl.Series(s.astype(np.int64))],
        "time": times,
        "aqi": pl.Series(np.where(aqi >= 0, aqi, 0)).cast(pl.Int32).set(pl.Series(aqi < 0), None),
        "primary_pollutants": primary,
        "category": category,
    }
    for p in POLLUTANTS:
        values = result.iaqi[p.index, s, h]
        columns[f"iaqi_{p.value}"] = (
            pl.Series(np.where(values >= 0, values, 0))
            .cast(pl.Int32)
            .set(pl.Series(values < 0), None)
        )
    return pl.DataFrame(columns).sort(["station", "time"])


def write_aqi(grids: Sequence[HourlyGrid], output: Path, rules: RuleSet | None = None) -> int:
    """Write the hourly AQI of every station-hour of ``grids`` to ``output``; return rows."""
    frames = [aqi_frame(g, rules) for g in grids if g.n_hours and g.stations]
    if frames:
        frame = pl.concat(frames).sort(["station", "time"])
    else:
        frame = pl.DataFrame(schema=dict.fromkeys(AQI_COLUMNS, pl.String))
    frame.write_csv(output, null_value="")
    return frame.height


def year_grid(grids: Sequence[HourlyGrid], year: int, names: Sequence[str]) -> HourlyGrid:
    """The natural days of ``year`` of every station in ``grids``, as one grid."""
    codes = sorted({c for g in grids for c in g.stations})
    start = day_start_utc(dt.date(year, 1, 1))
    hours = int((day_start_utc(dt.date(year + 1, 1, 1)) - start) / HOUR)
    return merge(grids, codes, start, hours, names)


def evaluate_files(
    grid: HourlyGrid,
    version: StandardVersion,
    *,
    stations: Sequence[Station] | None = None,
    cities: bool = False,
) -> list[Evaluation]:
    """Evaluate every station of ``grid`` (or, with ``cities``, every city of ``stations``)."""
    if not cities:
        return evaluate(list(grid.stations), daily_values(grid.values, grid.start), version)
    index = {c: i for i, c in enumerate(grid.stations)}
    members: dict[str, list[int]] = {}
    for st in stations or ():
        if st.kind is StationKind.NATIONAL and st.code in index:
            members.setdefault(st.city, []).append(index[st.code])
    names = sorted(members)
    if not names:
        return []
    values = np.concatenate(
        [averages.city_mean(grid.values[:, members[n], :]) for n in names], axis=1
    )
    return evaluate(names, daily_values(values, grid.start), version)


def evaluation_frame(found: Sequence[Evaluation]) -> pl.DataFrame:
    """One row per subject and statistic of an evaluation."""
    rows = []
    for ev in found:
        for it in ev.items:
            rows.append(
                {
                    "subject": ev.subject,
                    "year": ev.start.year,
                    "standard": ev.standard.value,
                    **item_json(it),
                    "compliant": ev.compliant,
                    "good_day_share_percent": ev.good_day_share,
                }
            )
    return pl.DataFrame(rows, infer_schema_length=None)
