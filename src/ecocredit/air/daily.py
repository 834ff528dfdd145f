"""Daily statistics and the daily AQI of HJ 633 for stations or cities.

The daily report scores each pollutant's daily value on its 24-hour table (O3 on the 8-hour
table with its daily maximum 8-hour mean); HJ 633-2012 adds the O3 daily maximum 1-hour value
on the 1-hour table, which HJ 633-2026 drops. Above 800 µg/m³ the O3 8-hour value is not
scored under 2012 (the 1-hour value stands for O3) and scores 300 under 2026.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ecocredit.air import averages
from ecocredit.air.aqi import AqiArrays, combine, score
from ecocredit.air.model import N_POLLUTANTS, POLLUTANTS, FloatArray, Pollutant
from ecocredit.air.rules import RuleSet

DAILY_TABLES: dict[Pollutant, str] = {
    Pollutant.PM25: "PM2.5_24h",
    Pollutant.PM10: "PM10_24h",
    Pollutant.SO2: "SO2_24h",
    Pollutant.NO2: "NO2_24h",
    Pollutant.CO: "CO_24h",
    Pollutant.O3: "O3_8h",
}


@dataclass(frozen=True)
class DailyValues:
    """Daily values ``[pollutant, …, day]`` (O3: daily maximum 8-hour) and O3's maximum 1-hour.

    NaN where the day is not valid. ``first_day`` is the natural day of index 0.
    """

    values: FloatArray
    o3_max_1h: FloatArray
    first_day: dt.date

    @property
    def days(self) -> list[dt.date]:
        """The natural day of every index along the last axis."""
        n = self.values.shape[-1]
        return [self.first_day + dt.timedelta(days=i) for i in range(n)]


def daily_values(hourly: FloatArray, start_utc: np.datetime64) -> DailyValues:
    """Daily values of ``hourly[pollutant, station, hour]`` over the natural days it covers."""
    out: list[FloatArray] = []
    first = averages.first_day(start_utc)
    o3_1h: FloatArray = np.empty(0)
    for p in POLLUTANTS:
        cube, first = averages.by_day(hourly[p.index], start_utc)
        if p is Pollutant.O3:
            out.append(averages.daily_max_8h(cube))
            o3_1h = averages.daily_max_1h(cube)
        else:
            out.append(averages.daily_mean(cube))
    return DailyValues(np.stack(out), o3_1h, first)


def daily_aqi(values: FloatArray, o3_max_1h: FloatArray, rules: RuleSet) -> AqiArrays:
    """The daily AQI of daily values ``[pollutant, …]`` under ``rules``."""
    iaqi = np.empty(values.shape, dtype=np.int16)
    for p in POLLUTANTS:
        table = rules.table(DAILY_TABLES[p])
        iaqi[p.index] = score(values[p.index], table, round_first=rules.round_concentrations)[0]
    _o3(iaqi, values[Pollutant.O3.index], o3_max_1h, rules)
    return combine(iaqi, rules)


def _o3(iaqi: npt.NDArray[np.int16], o3_8h: FloatArray, o3_1h: FloatArray, rules: RuleSet) -> None:
    o3 = Pollutant.O3.index
    over = o3_8h > 800
    if rules.o3_8h_above_800 != "1h":
        iaqi[o3][over] = int(rules.o3_8h_above_800.removeprefix("fixed:"))
    else:
        iaqi[o3][over] = -1
    if rules.daily_o3_1h:
        one_hour = score(o3_1h, rules.table("O3_1h"), round_first=rules.round_concentrations)[0]
        iaqi[o3] = np.maximum(iaqi[o3], one_hour)


def daily_aqi_by_date(daily: DailyValues, rule_for: dict[dt.date, RuleSet]) -> AqiArrays:
    """The daily AQI of every day, each under the rule set ``rule_for`` gives its date."""
    n_days = daily.values.shape[-1]
    shape = daily.values.shape[1:]
    result = {
        "iaqi": np.full((N_POLLUTANTS, *shape), -1, dtype=np.int16),
        "aqi": np.full(shape, -1, dtype=np.int16),
        "primary": np.zeros(shape, dtype=np.uint8),
        "level": np.zeros(shape, dtype=np.int8),
    }
    days = daily.days
    for rules in {id(r): r for r in rule_for.values()}.values():
        cols = np.array([i for i in range(n_days) if rule_for[days[i]] is rules], dtype=np.intp)
        if cols.size == 0:
            continue
        part = daily_aqi(daily.values[..., cols], daily.o3_max_1h[..., cols], rules)
        result["iaqi"][..., cols] = part.iaqi
        result["aqi"][..., cols] = part.aqi
        result["primary"][..., cols] = part.primary
        result["level"][..., cols] = part.level
    return AqiArrays(
        iaqi=result["iaqi"],
        aqi=result["aqi"],
        primary=result["primary"],
        level=result["level"],
        beyond_table=np.zeros(shape, np.bool_),
    )
