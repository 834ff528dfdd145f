"""Published national values are reproduced exactly (AQI, primary pollutants, category).

The vectors in ``data/`` are excerpts of what the national real-time platform published
(sources in ``data/README.md``): a 2017 site file hour (HJ 633-2012) and live-feed records of
2022 (2012 rules) and of 2026-03-01, the first day of HJ 633-2026.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from ecocredit.air import readers
from ecocredit.air.aqi import primary_names
from ecocredit.air.hourly import grid_aqi
from ecocredit.air.model import POLLUTANT_ZH, POLLUTANTS, to_utc_hour

DATA = Path(__file__).parent / "data"


def test_the_2017_site_file_hour_reproduces_every_published_aqi() -> None:
    grid = readers.read_grid(DATA / "published_sites_20170101_h00.csv")
    assert grid.published_aqi is not None
    result = grid_aqi(grid.values, grid.start)
    published = grid.published_aqi[:, 0]
    has = ~np.isnan(published)
    assert has.sum() >= 25
    assert result.aqi[has, 0].tolist() == published[has].astype(int).tolist()


def _feed(year: str) -> list[dict[str, str]]:
    with (DATA / "published_primary.csv").open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["time"].startswith(year)]


def _number(cell: str) -> float:
    return float(cell) if cell not in ("", "NA", "/", "—") else np.nan


@pytest.mark.parametrize("year", ["2022", "2026"])
def test_live_feed_records_reproduce_aqi_and_primary_pollutant(year: str) -> None:
    rows = [r for r in _feed(year) if r["aqi"] not in ("", "NA", "/", "—")]
    assert rows
    values = np.array([[_number(r[p.value]) for r in rows] for p in POLLUTANTS])[:, None, :]
    # Each record is its own column; they all share the hour, so any start on that day works.
    start = to_utc_hour(dt.datetime.fromisoformat(rows[0]["time"]))
    result = grid_aqi(values, start)
    complete = ~np.isnan(values[:, 0, :]).any(axis=0)
    for i, row in enumerate(rows):
        if not complete[i] and int(row["aqi"]) <= 100:
            continue  # see test_incomplete_2026_hours_at_or_below_100_get_no_aqi
        assert int(result.aqi[0, i]) == int(row["aqi"]), row
        names = [POLLUTANT_ZH[p] for p in primary_names(int(result.primary[0, i]))]
        published = [
            n
            for n in row["primary_pollutant"].replace("，", ",").split(",")
            if n and n not in ("—", "-", "NA", "/")
        ]
        assert sorted(n.removesuffix("1小时") for n in names) == sorted(
            n.removesuffix("1小时") for n in published
        ), row


def test_incomplete_2026_hours_at_or_below_100_get_no_aqi() -> None:
    """HJ 633-2026 §5.3.1: with a pollutant missing, publish the AQI only above 100.

    On its first day under the new rules the platform still published an AQI for seven such
    station-hours (and NA for others, e.g. 1337A); §5.3.2 exempts a pollutant a station does
    not monitor, which the feed does not say. We follow the text and publish none: this test
    records the disagreement, so a change of either side is noticed.
    """
    rows = [r for r in _feed("2026") if r["aqi"] not in ("", "NA", "/", "—")]
    values = np.array([[_number(r[p.value]) for r in rows] for p in POLLUTANTS])[:, None, :]
    start = to_utc_hour(dt.datetime.fromisoformat(rows[0]["time"]))
    result = grid_aqi(values, start)
    incomplete = np.isnan(values[:, 0, :]).any(axis=0)
    low = [i for i, r in enumerate(rows) if incomplete[i] and int(r["aqi"]) <= 100]
    assert sorted(rows[i]["station"] for i in low) == sorted(
        ["3125A", "3141A", "1957A", "2235A", "2513A", "4263A", "2845A"]
    )
    assert all(int(result.aqi[0, i]) == -1 for i in low)
