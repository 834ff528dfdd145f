"""The demo stations and the synthetic hourly series: what a user of the demo would notice."""

from __future__ import annotations

import csv
import datetime as dt
import time
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecocredit.air.demo_series import demo_stations, generate
from ecocredit.air.model import (
    POLLUTANTS,
    HourlyGrid,
    Pollutant,
    Station,
    StationKind,
    to_utc_hour,
)
from ecocredit.errors import InvalidParameter

PM25, PM10, SO2, NO2, CO, O3 = (p.index for p in Pollutant)
CITIES = ("北京", "上海", "成都")
YEAR_START = dt.datetime(2024, 1, 1, 1)  # label 01:00 of 1 January: the first hour of 2024


def _data(name: str) -> list[dict[str, str]]:
    text = resources.files("ecocredit.air").joinpath(f"data/{name}").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def _rows(grid: HourlyGrid, city: str, kind: StationKind = StationKind.NATIONAL) -> list[int]:
    by_code = {s.code: s for s in demo_stations()}
    return [
        i
        for i, code in enumerate(grid.stations)
        if by_code[code].city == city and by_code[code].kind is kind
    ]


def _label_hours(grid: HourlyGrid) -> np.ndarray:
    """The local label hour 0–23 of each column (0 is 24:00 of the day before)."""
    return np.asarray((grid.hours.astype(np.int64) + 8) % 24)


@pytest.fixture(scope="module")
def year() -> HourlyGrid:
    """A whole leap year (8784 hours) for every demo station."""
    return generate(demo_stations(), YEAR_START, 8784)


# --- the reference data ------------------------------------------------------------------


def test_each_city_has_twelve_national_stations_and_a_few_micro_sensors() -> None:
    stations = demo_stations()
    assert len({s.code for s in stations}) == len(stations)
    for city in CITIES:
        national = [s for s in stations if s.city == city and s.kind is StationKind.NATIONAL]
        micro = [s for s in stations if s.city == city and s.kind is StationKind.MICRO]
        assert len(national) == 12
        assert 2 <= len(micro) <= 3
    beijing = {s.code: s.name for s in stations if s.city == "北京"}
    assert beijing["1001A"] == "万寿西宫"
    assert beijing["1012A"] == "古城"


def test_stations_lie_inside_their_city() -> None:
    boxes = {"北京": (115.4, 117.5, 39.4, 41.1), "上海": (120.8, 122.1, 30.6, 31.9)}
    boxes["成都"] = (102.9, 105.0, 30.0, 31.5)
    for s in demo_stations():
        west, east, south, north = boxes[s.city]
        assert west < s.longitude < east and south < s.latitude < north, s


def test_every_station_row_says_where_it_comes_from() -> None:
    rows = _data("demo_stations.csv")
    assert list(rows[0]) == [
        "code", "name", "city", "province", "longitude", "latitude", "kind", "source"
    ]  # fmt: skip
    for row in rows:
        assert row["source"].strip(), row
        if row["kind"] == "national":
            assert "NewSiteList.csv" in row["source"]
        else:
            assert row["source"].startswith("demo micro sensor")


def test_city_history_parses_and_every_row_has_a_source() -> None:
    rows = _data("city_history.csv")
    assert list(rows[0]) == ["city", "year", "pollutant", "annual_mean", "source"]
    seen = {}
    for row in rows:
        assert row["city"] in CITIES
        assert Pollutant(row["pollutant"]) is Pollutant.PM25
        assert 2013 <= int(row["year"]) <= 2025
        assert 0 < float(row["annual_mean"]) < 150
        assert row["source"].strip(), row
        seen[(row["city"], int(row["year"]))] = float(row["annual_mean"])
    assert len(seen) == len(rows), "one row per city and year"
    brief = {2013: 89.5, 2017: 58, 2021: 33, 2022: 30, 2023: 32}
    assert {year: seen[("北京", year)] for year in brief} == brief


# --- shape, order, determinism -----------------------------------------------------------


def test_grid_is_sorted_by_code_and_starts_at_the_utc_hour_of_the_first_label() -> None:
    stations = demo_stations()
    grid = generate(list(reversed(stations)), dt.datetime(2025, 11, 20, 1), 48)
    assert grid.stations == tuple(sorted(s.code for s in stations))
    assert grid.values.shape == (6, len(stations), 48)
    assert grid.start == to_utc_hour(dt.datetime(2025, 11, 20, 1))
    assert grid.start == np.datetime64("2025-11-19T17", "h")


def test_same_seed_same_values_other_seed_other_values() -> None:
    stations = demo_stations()[:5]
    start = dt.datetime(2025, 3, 1, 1)
    first, again = generate(stations, start, 200), generate(stations, start, 200)
    assert np.array_equal(first.values, again.values, equal_nan=True)
    other = generate(stations, start, 200, seed=7)
    assert not np.array_equal(first.values, other.values, equal_nan=True)


def test_a_station_does_not_depend_on_the_others_generated_with_it() -> None:
    stations = demo_stations()
    start = dt.datetime(2025, 6, 1, 1)
    everyone = generate(stations, start, 100)
    alone = generate([s for s in stations if s.code == "3357A"], start, 100)
    row = everyone.stations.index("3357A")
    assert np.array_equal(everyone.values[:, row], alone.values[:, 0], equal_nan=True)


@settings(max_examples=25, deadline=None)
@given(
    start=st.datetimes(dt.datetime(2005, 1, 1), dt.datetime(2040, 1, 1)),
    offset=st.integers(0, 900),
    hours=st.integers(1, 120),
    seed=st.integers(0, 2**31),
)
def test_an_hour_has_the_same_value_in_every_window(
    start: dt.datetime, offset: int, hours: int, seed: int
) -> None:
    stations = [s for s in demo_stations() if s.code in {"1001A", "SH-M02", "1433A"}]
    start = start.replace(minute=0, second=0, microsecond=0)
    wide = generate(stations, start, offset + hours, seed=seed)
    narrow = generate(stations, start + dt.timedelta(hours=offset), hours, seed=seed)
    assert np.array_equal(wide.values[:, :, offset:], narrow.values, equal_nan=True)


def test_bad_arguments_are_refused() -> None:
    stations = demo_stations()
    with pytest.raises(InvalidParameter) as error:
        generate(stations, dt.datetime(2025, 1, 1, 1), 0)
    assert error.value.field == "hours"
    with pytest.raises(InvalidParameter) as error:
        generate([stations[0], stations[0]], dt.datetime(2025, 1, 1, 1), 10)
    assert error.value.field == "stations"


def test_a_city_without_a_climate_still_gets_plausible_air() -> None:
    lhasa = Station("1456A", "八廓街", "拉萨", "西藏自治区", 91.1319, 29.6514)
    grid = generate([lhasa], dt.datetime(2025, 5, 1, 1), 24 * 14)
    assert 5 < np.nanmean(grid.values[PM25]) < 60


# --- what the values look like -----------------------------------------------------------


def test_values_are_published_integers_and_co_has_one_decimal(year: HourlyGrid) -> None:
    v = year.values
    for p in (PM25, PM10, SO2, NO2, O3):
        present = v[p][~np.isnan(v[p])]
        assert np.array_equal(present, np.round(present)), POLLUTANTS[p]
        assert present.min() >= 0
    co = v[CO][~np.isnan(v[CO])]
    assert np.allclose(co * 10, np.round(co * 10))
    assert co.min() >= 0.2 and co.max() <= 2.5
    so2 = v[SO2][~np.isnan(v[SO2])]
    assert so2.min() >= 3 and so2.max() <= 20


def test_pm10_is_one_point_three_to_two_times_pm25(year: HourlyGrid) -> None:
    pm25, pm10 = year.values[PM25], year.values[PM10]
    both = ~np.isnan(pm25) & ~np.isnan(pm10) & (pm25 >= 20)
    ratio = pm10[both] / pm25[both]
    assert ratio.min() >= 1.3 - 0.05 and ratio.max() <= 2.0 + 0.05  # rounding slack
    assert 1.4 < np.median(ratio) < 1.8
    assert np.all(pm10[both] >= pm25[both])


def test_about_one_value_in_a_hundred_and_fifty_is_missing(year: HourlyGrid) -> None:
    missing = np.isnan(year.values)
    assert 0.005 <= missing.mean() <= 0.01
    silent = missing.all(axis=0)  # whole station-hours
    assert 0.001 < silent.mean() < missing.mean()
    assert (missing.any(axis=0) & ~silent).any(), "single values go missing too"


def test_annual_pm25_means_are_those_of_recent_years(year: HourlyGrid) -> None:
    expected = {"北京": (30, 35), "上海": (28, 32), "成都": (38, 42)}
    for city, (low, high) in expected.items():
        mean = np.nanmean(year.values[PM25][_rows(year, city)])
        assert low <= mean <= high, (city, mean)


def test_winter_is_dirtier_than_summer(year: HourlyGrid) -> None:
    days = (year.hours.astype(np.int64) + 8 - 1) // 24  # local day of each labelled hour
    month = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1
    winter, summer = np.isin(month, (1, 12)), np.isin(month, (7, 8))
    for city in CITIES:
        pm = year.values[PM25][_rows(year, city)]
        assert np.nanmean(pm[:, winter]) > 1.4 * np.nanmean(pm[:, summer]), city
        o3 = year.values[O3][_rows(year, city)]
        assert np.nanmean(o3[:, summer]) > 2 * np.nanmean(o3[:, winter]), city


def test_ozone_peaks_in_the_afternoon_and_is_low_at_night(year: HourlyGrid) -> None:
    o3 = np.nanmean(year.values[O3], axis=0)
    hour = _label_hours(year)
    afternoon, night = o3[np.isin(hour, (14, 15, 16, 17))], o3[np.isin(hour, (2, 3, 4, 5))]
    assert afternoon.mean() > 2.5 * night.mean()
    profile = [o3[hour == h].mean() for h in range(24)]
    assert int(np.argmax(profile)) in (15, 16, 17)


def test_no2_peaks_in_the_rush_hours(year: HourlyGrid) -> None:
    no2 = np.nanmean(year.values[NO2], axis=0)
    hour = _label_hours(year)
    profile = np.array([no2[hour == h].mean() for h in range(24)])
    assert profile[8:10].mean() > 1.3 * profile[14:16].mean()
    assert profile[20:23].mean() > 1.3 * profile[14:16].mean()


def test_some_summer_hours_are_ozone_primary(year: HourlyGrid) -> None:
    july = slice((31 + 29 + 31 + 30 + 31 + 30) * 24, (31 + 29 + 31 + 30 + 31 + 30 + 31) * 24)
    v = year.values[:, :, july]
    # O3 1 h above 160 gives an IAQI above 50, while PM2.5 < 35 and PM10 < 50 stay below it.
    ozone_primary = (v[O3] > 160) & (v[PM25] < 35) & (v[PM10] < 50)
    assert ozone_primary.mean() > 0.03


def test_beijing_heating_season_builds_up_and_a_front_clears_it() -> None:
    stations = [s for s in demo_stations() if s.city == "北京"]
    grid = generate(stations, dt.datetime(2025, 11, 15, 1), 24 * 47)
    pm = np.nanmean(grid.values[PM25][_rows(grid, "北京")], axis=0)
    assert pm.max() >= 115, "AQI 150 or more at the top of a build-up"
    assert pm.max() <= 250
    peaks = [i for i in range(len(pm) - 8) if pm[i] >= 100 and pm[i + 1 : i + 9].min() < 35]
    assert peaks, "a cold front takes heavy haze down to AQI < 50 within 8 hours"
    start = peaks[0]
    assert pm[max(start - 48, 0) : start].min() < 0.5 * pm[start], "after a build-up of days"


def test_stations_of_a_city_move_together_and_cities_do_not(year: HourlyGrid) -> None:
    pm = year.values[PM25]
    beijing, shanghai = _rows(year, "北京"), _rows(year, "上海")

    def corr(a: int, b: int) -> float:
        ok = ~np.isnan(pm[a]) & ~np.isnan(pm[b])
        return float(np.corrcoef(pm[a][ok], pm[b][ok])[0, 1])

    assert corr(beijing[0], beijing[5]) > 0.9
    assert corr(beijing[0], shanghai[0]) < 0.6


def test_micro_sensors_are_noisier_than_national_stations(year: HourlyGrid) -> None:
    pm = year.values[PM25]
    for city in CITIES:
        city_mean = np.nanmean(pm[_rows(year, city)], axis=0)

        def scatter(rows: list[int], mean: np.ndarray = city_mean) -> float:
            return float(np.nanstd(np.log(pm[rows] / mean)))

        assert scatter(_rows(year, city, StationKind.MICRO)) > 1.5 * scatter(_rows(year, city))


def test_a_year_for_every_demo_station_takes_under_two_seconds() -> None:
    began = time.perf_counter()
    generate(demo_stations(), YEAR_START, 8784)
    assert time.perf_counter() - began < 2.0
