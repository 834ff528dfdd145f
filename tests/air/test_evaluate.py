"""Daily values, daily AQI and the annual evaluation (HJ 663 statistics, GB 3095 limits)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecocredit.air import averages
from ecocredit.air.daily import daily_aqi, daily_values
from ecocredit.air.evaluate import Target, evaluate, percentile, progress, statistic, validity
from ecocredit.air.model import N_POLLUTANTS, Pollutant, StandardVersion, to_utc_hour
from ecocredit.air.rules import rule_set


def test_a_day_is_the_labels_01_to_24() -> None:
    start = to_utc_hour(dt.datetime(2025, 6, 1, 0))  # label 00:00 belongs to 31 May
    cube, first = averages.by_day(np.arange(25.0)[None, :], start)
    assert first == dt.date(2025, 5, 31)
    assert cube[0, 0, 23] == 0.0 and cube[0, 1, 0] == 1.0 and cube[0, 1, 23] == 24.0


def test_daily_mean_needs_20_hours() -> None:
    day = np.full((1, 1, 24), 10.0)
    day[0, 0, :4] = np.nan
    assert averages.daily_mean(day)[0, 0] == 10.0
    day[0, 0, 4] = np.nan
    assert np.isnan(averages.daily_mean(day)[0, 0])


def test_o3_daily_max_8h_takes_windows_08_to_24_and_needs_14() -> None:
    day = np.full((1, 1, 24), 100.0)
    day[0, 0, 16:24] = 200.0  # labels 17-24: the window labelled 24 averages 200
    assert averages.daily_max_8h(day)[0, 0] == 200.0
    sparse = np.full((1, 1, 24), np.nan)
    sparse[0, 0, 8:16] = 120.0  # only windows labelled 14-21 have 6+ values
    assert np.isnan(averages.daily_max_8h(sparse)[0, 0])
    sparse[0, 0, 8:16] = 170.0  # fewer than 14 windows, but above the 160 limit: valid
    assert averages.daily_max_8h(sparse)[0, 0] == 170.0


def test_daily_aqi_2012_counts_o3_one_hour_and_2026_does_not() -> None:
    values = np.array([[20.0], [30.0], [10.0], [20.0], [0.5], [150.0]])  # O3 max 8h 150
    o3_1h = np.array([350.0])  # 1-hour IAQI 175
    assert int(daily_aqi(values, o3_1h, rule_set("HJ633-2012")).aqi[0]) == 175
    assert int(daily_aqi(values, o3_1h, rule_set("HJ633-2026")).aqi[0]) == 92


def test_o3_8h_above_800() -> None:
    values = np.array([[20.0], [30.0], [10.0], [20.0], [0.5], [850.0]])
    assert int(daily_aqi(values, np.array([900.0]), rule_set("HJ633-2012")).aqi[0]) == 350
    assert int(daily_aqi(values, np.array([900.0]), rule_set("HJ633-2026")).aqi[0]) == 300


def test_percentile_method_of_hj663() -> None:
    # k = 1 + (n-1)p% = 5.5: the 90th percentile of {3, 4, 8, 2, 5, 4} is 5 + (8-5)·0.5 = 6.5,
    # which GB/T 8170 reports as 6 (half to even).
    values = np.array([3.0, 4.0, 8.0, 2.0, 5.0, 4.0])
    assert percentile(values, 90) == 6.5
    assert statistic(values, 90, co=False) == 6.0
    assert statistic(np.append(values, np.nan), None, co=False) == 4.0  # mean 4.33
    assert statistic(np.array([1.25, 1.35]), None, co=True) == 1.3  # 1.30 exactly


@given(
    st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=400),
    st.sampled_from([90.0, 95.0, 98.0]),
)
def test_hj663_percentile_is_numpys_linear_method(values: list[float], p: float) -> None:
    got = percentile(np.array(values), p)
    assert got == pytest.approx(float(np.percentile(values, p)), rel=1e-12, abs=1e-9)


def test_annual_validity_324_days_27_a_month_25_in_february() -> None:
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    values = np.ones(365)
    assert validity(days, values) == (True, "")
    values[31:35] = np.nan  # February down to 24
    assert validity(days, values)[0] is False
    assert "month 2" in validity(days, values)[1]
    values = np.ones(365)
    values[::9] = np.nan
    assert "valid days" in validity(days, values)[1]


def _year(pm25: float) -> np.ndarray:
    hourly = np.full((N_POLLUTANTS, 1, 8760), 10.0)
    hourly[Pollutant.CO.index] = 0.5
    hourly[Pollutant.PM25.index] = pm25
    return hourly


def test_the_brief_beijing_from_89_5_to_58_to_32_against_its_target() -> None:
    target = Target("北京", Pollutant.PM25, 2017, 60.0, 2013, 89.5, "brief")
    start = to_utc_hour(dt.datetime(2025, 1, 1, 1))
    results = {}
    for year, pm25 in ((2013, 89.5), (2017, 58.0), (2023, 32.0)):
        ev = evaluate(["北京"], daily_values(_year(pm25), start), StandardVersion.GB3095_2012)[0]
        item = ev.item(Pollutant.PM25, "annual_mean")
        results[year] = (item.value, item.meets, item.exceedance, progress(target, item.value))
    # 89.5 is reported as 90 (GB/T 8170: half to even), 1.57 times over 35 (exceedance 1.57).
    assert results[2013][:3] == (90.0, False, 1.57)
    assert results[2013][3]["met"] is False
    assert results[2017][3] == {"met": True, "progress_percent": 106.8, "remaining": 0.0}
    assert results[2017][1] is False  # met the 2017 goal, still above the 35 standard
    assert results[2023][:2] == (32.0, True)


def test_2026_final_limits_are_stricter() -> None:
    start = to_utc_hour(dt.datetime(2025, 1, 1, 1))
    daily = daily_values(_year(28.0), start)
    transitional = evaluate(["x"], daily, StandardVersion.GB3095_2026_TRANSITIONAL)[0]
    final = evaluate(["x"], daily, StandardVersion.GB3095_2026_FINAL)[0]
    assert transitional.item(Pollutant.PM25, "annual_mean").meets is True
    assert final.item(Pollutant.PM25, "annual_mean").meets is False
    assert final.item(Pollutant.PM25, "annual_mean").exceedance == 0.12
    assert transitional.compliant is True and final.compliant is False
    assert transitional.days_by_level == {1: 365}


def test_a_mean_ending_in_half_rounds_to_even_under_2026() -> None:
    # These 24 values average exactly 61.5, which a float sum makes 61.49999999999999.
    hours = np.array(
        [
            65.7,
            58.9,
            55.7,
            67.6,
            55.2,
            60.4,
            61.6,
            67.8,
            59.6,
            58.1,
            58.7,
            59.9,
            56.9,
            66.7,
            61.7,
            64.5,
            58.6,
            63.7,
            66.9,
            58.0,
            67.4,
            58.7,
            64.3,
            59.4,
        ]
    )
    assert np.nansum(hours) / 24 != 61.5  # the trap
    mean = averages.daily_mean(hours[None, None, :])
    assert mean[0, 0] == 61.5
    values = np.array([[61.5], [30.0], [10.0], [20.0], [0.5], [80.0]])
    result = daily_aqi(values, np.array([100.0]), rule_set("HJ633-2026"))
    assert int(result.iaqi[Pollutant.PM25.index, 0]) == 102  # 61.5 → 62 (even) → 101.8 → 102


def test_the_exceedance_multiple_is_rounded_per_gbt_8170() -> None:
    # NO2 annual 43 against 40: (43 - 40) / 40 = 0.075 exactly, reported as 0.08 (half to
    # even), not the 0.07 a binary float's round() gives.
    hourly = np.full((N_POLLUTANTS, 1, 8760), 10.0)
    hourly[Pollutant.NO2.index] = 43.0
    hourly[Pollutant.CO.index] = 0.5
    start = to_utc_hour(dt.datetime(2025, 1, 1, 1))
    ev = evaluate(["x"], daily_values(hourly, start), StandardVersion.GB3095_2012)[0]
    assert ev.item(Pollutant.NO2, "annual_mean").exceedance == 0.08
