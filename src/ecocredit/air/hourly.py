"""The real-time AQI of a whole station-hour grid, each hour under the rule set of its date.

A grid that spans 2026-03-01 is scored in two parts, HJ 633-2012 before and HJ 633-2026
from then on, unless the caller names one rule set for all of it. HJ 633-2012 needs the SO2
24-hour mean where a 1-hour value passes 800 µg/m³; it is computed here from the grid's own
hours (the trailing 24, at least 20 present), so callers that can should start the grid a
day early; without the mean such an hour has no AQI.
"""

from __future__ import annotations

import numpy as np

from ecocredit.air import averages
from ecocredit.air.aqi import AqiArrays, hourly_aqi
from ecocredit.air.model import HOUR, FloatArray, Pollutant, local_day
from ecocredit.air.rules import HJ633_2026_FROM, RuleSet, rule_set_for

_SO2 = Pollutant.SO2.index


def switch_hour(start: np.datetime64, n_hours: int) -> int:
    """Index of the first hour scored under HJ 633-2026 (``n_hours`` if none, 0 if all)."""
    days = local_day(start + np.arange(n_hours) * HOUR)
    return int(np.searchsorted(days, np.datetime64(HJ633_2026_FROM, "D")))


def grid_aqi(values: FloatArray, start: np.datetime64, rules: RuleSet | None = None) -> AqiArrays:
    """The hourly AQI of ``values[pollutant, station, hour]`` starting at UTC hour ``start``."""
    n = values.shape[-1]
    if n == 0:
        return hourly_aqi(values, rules or rule_set_for(HJ633_2026_FROM))
    so2_24h = None
    if (values[_SO2] > 800).any():
        so2_24h = averages.moving_mean(values[_SO2], 24, averages.MIN_HOURS_PER_DAY)
    if rules is not None:
        return hourly_aqi(values, rules, so2_24h=so2_24h)
    cut = switch_hour(start, n)
    parts = []
    for lo, hi in ((0, cut), (cut, n)):
        if hi <= lo:
            continue
        day = local_day(np.asarray([start + lo * HOUR]))[0].astype(object)
        mean = None if so2_24h is None else so2_24h[..., lo:hi]
        parts.append(hourly_aqi(values[..., lo:hi], rule_set_for(day), so2_24h=mean))
    if len(parts) == 1:
        return parts[0]
    return AqiArrays(
        iaqi=np.concatenate([p.iaqi for p in parts], axis=-1),
        aqi=np.concatenate([p.aqi for p in parts], axis=-1),
        primary=np.concatenate([p.primary for p in parts], axis=-1),
        level=np.concatenate([p.level for p in parts], axis=-1),
        beyond_table=np.concatenate([p.beyond_table for p in parts], axis=-1),
    )
