"""The AQI of HJ 633-2012 and HJ 633-2026: breakpoints, rounding up, what tables leave open."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecocredit.air.aqi import hourly_aqi, primary_names, score
from ecocredit.air.model import POLLUTANTS, Pollutant
from ecocredit.air.rules import MISSING, category, rule_set

R2012 = rule_set("HJ633-2012")
R2026 = rule_set("HJ633-2026")
NAN = float("nan")


def one(rules, **conc: float):
    """The hourly AQI of one station-hour given by pollutant keyword (PM25, PM10, …)."""
    values = np.array([[conc.get(p.name, NAN)] for p in POLLUTANTS])
    result = hourly_aqi(values, rules)
    iaqi = {p.value: int(result.iaqi[p.index, 0]) for p in POLLUTANTS}
    return int(result.aqi[0]), primary_names(int(result.primary[0])), int(result.level[0]), iaqi


CLEAN = {"PM25": 10, "PM10": 20, "SO2": 5, "NO2": 10, "CO": 0.3, "O3": 20}


def test_rounding_up_not_to_nearest() -> None:
    # PM2.5 35.5 is IAQI 50.625: HJ 633 rounds every IAQI up (python-aqi gives 50).
    aqi, primary, level, iaqi = one(R2012, **{**CLEAN, "PM25": 35.5})
    assert (aqi, iaqi["PM2.5"], primary, level) == (51, 51, [Pollutant.PM25], 2)


def test_co_is_not_truncated() -> None:
    # CO 4.9 mg/m³ on the 1-hour table is IAQI 49 (python-aqi truncates to 4 and gives 40).
    assert one(R2012, **{**CLEAN, "CO": 4.9})[3]["CO"] == 49


@pytest.mark.parametrize(
    ("table", "bp", "expected"),
    [
        ("PM2.5_24h", [0, 35, 75, 115, 150, 250, 350, 500], [0, 50, 100, 150, 200, 300, 400, 500]),
        (
            "SO2_24h",
            [0, 50, 150, 475, 800, 1600, 2100, 2620],
            [0, 50, 100, 150, 200, 300, 400, 500],
        ),
        (
            "NO2_1h",
            [0, 100, 200, 700, 1200, 2340, 3090, 3840],
            [0, 50, 100, 150, 200, 300, 400, 500],
        ),
        ("O3_8h", [0, 100, 160, 215, 265, 800], [0, 50, 100, 150, 200, 300]),
    ],
)
def test_every_breakpoint_of_hj633_2012_table_1(
    table: str, bp: list[float], expected: list[int]
) -> None:
    got, _ = score(np.array(bp, dtype=float), R2012.table(table), round_first=False)
    assert got.tolist() == expected


def test_daily_so2_table_is_not_the_hourly_one() -> None:
    # SO2 24-hour 100 µg/m³ is IAQI 75 (aqi-hub's table, built from the 1-hour values, gives 34).
    assert score(np.array([100.0]), R2012.table("SO2_24h"), round_first=False)[0][0] == 75
    # CO 24-hour 3.5 mg/m³ is IAQI 88 (python-aqi gives 51).
    assert score(np.array([3.5]), R2012.table("CO_24h"), round_first=False)[0][0] == 88


def test_2026_lowers_the_particulate_breakpoints_at_iaqi_100() -> None:
    assert one(R2012, **{**CLEAN, "PM25": 61})[0] == 83
    assert one(R2026, **{**CLEAN, "PM25": 60})[0] == 100
    assert one(R2026, **{**CLEAN, "PM25": 61})[0] == 101
    assert one(R2026, **{**CLEAN, "PM10": 121})[3]["PM10"] == 101
    assert one(R2012, **{**CLEAN, "PM10": 121})[3]["PM10"] == 86


def test_2026_rounds_concentrations_half_to_even_first() -> None:
    # 60.5 rounds to 60 (even) → IAQI 100; 61.5 to 62 → 102; as measured 2012 scores 60.5.
    assert one(R2026, **{**CLEAN, "PM25": 60.5})[3]["PM2.5"] == 100
    assert one(R2026, **{**CLEAN, "PM25": 61.5})[3]["PM2.5"] == 102
    assert one(R2012, **{**CLEAN, "PM25": 60.5})[3]["PM2.5"] == 82
    # CO to 0.1 mg/m³: 10.05 → 10.0 (IAQI 100), 10.15 → 10.2 (IAQI 101).
    assert one(R2026, **{**CLEAN, "CO": 10.05})[3]["CO"] == 100
    assert one(R2026, **{**CLEAN, "CO": 10.15})[3]["CO"] == 101


def test_so2_above_800_each_version_as_written() -> None:
    values = np.array([[v] for v in (10, 20, 900, 10, 0.3, 20)], dtype=float)
    # 2012: no 1-hour IAQI; the 24-hour mean is scored instead (here 160 → IAQI 102).
    result = hourly_aqi(values, R2012, so2_24h=np.array([160.0]))
    assert result.iaqi[Pollutant.SO2.index, 0] == 102
    # Without a 24-hour mean, 2012 has no SO2 IAQI, and the hour no AQI: published from the
    # other pollutants it would read "excellent" in the middle of an SO2 episode.
    unknown = hourly_aqi(values, R2012)
    assert unknown.iaqi[Pollutant.SO2.index, 0] == MISSING
    assert (int(unknown.aqi[0]), int(unknown.level[0])) == (MISSING, 0)
    # 2026: a fixed IAQI of 200.
    assert hourly_aqi(values, R2026).iaqi[Pollutant.SO2.index, 0] == 200


def test_above_the_top_of_a_table_scores_500_and_says_so() -> None:
    values = np.array([[v] for v in (587, 20, 5, 10, 0.3, 20)], dtype=float)
    result = hourly_aqi(values, R2012)
    assert int(result.aqi[0]) == 500 and bool(result.beyond_table[0])
    assert category(500).name_zh == "严重污染"


def test_primary_pollutants_include_ties_and_only_above_50() -> None:
    aqi, primary, _, _ = one(R2012, PM25=75, PM10=150, SO2=5, NO2=10, CO=0.3, O3=20)
    assert (aqi, primary) == (100, [Pollutant.PM25, Pollutant.PM10])
    assert one(R2012, **CLEAN)[1] == []


def test_2026_publishes_an_incomplete_aqi_only_above_100() -> None:
    missing_o3 = {k: v for k, v in CLEAN.items() if k != "O3"}
    assert one(R2026, **missing_o3)[0] == MISSING
    assert one(R2026, **{**missing_o3, "PM25": 120})[0] == 158  # 157.14 up
    # 2012 publishes from the pollutants present.
    assert one(R2012, **missing_o3)[0] == 20


def test_missing_everything_is_no_aqi_and_level_zero() -> None:
    aqi, primary, level, iaqi = one(R2012)
    assert (aqi, primary, level) == (MISSING, [], 0)
    assert set(iaqi.values()) == {MISSING}


def test_categories_match_table_2() -> None:
    names = [category(a).name_zh for a in (0, 50, 51, 100, 101, 150, 151, 200, 201, 300, 301)]
    assert names == [
        "优",
        "优",
        "良",
        "良",
        "轻度污染",
        "轻度污染",
        "中度污染",
        "中度污染",
        "重度污染",
        "重度污染",
        "严重污染",
    ]
    assert category(120).colour == "#FF7E00"


def _exact(table, c: Fraction) -> int:
    bp = [Fraction(x).limit_denominator() for x in table.concentrations.tolist()]
    ia = [Fraction(x).limit_denominator() for x in table.iaqi.tolist()]
    if c >= bp[-1]:
        return int(ia[-1])
    i = next(k for k in range(1, len(bp)) if c <= bp[k])
    value = (ia[i] - ia[i - 1]) / (bp[i] - bp[i - 1]) * (c - bp[i - 1]) + ia[i - 1]
    return -((-value.numerator) // value.denominator)


@given(st.integers(0, 4_000_000), st.sampled_from(sorted(R2012.tables)))
def test_lookup_and_formula_agree_with_exact_arithmetic(millis: int, name: str) -> None:
    table = R2012.table(name)
    c = Fraction(millis, 1000)
    got = score(np.array([float(c)]), table, round_first=False)[0][0]
    assert got == _exact(table, c)
