"""Annual evaluation of a station or a city against GB 3095 (HJ 663 statistics).

For every pollutant the evaluation gives the statistics HJ 663 judges a year by — the annual
mean of SO2, NO2, PM10 and PM2.5; the 98th percentile of daily means of SO2 and NO2, the 95th
of PM10, PM2.5 and CO, and the 90th percentile of the O3 daily maximum 8-hour mean — each
rounded per GB/T 8170 (integers in µg/m³, CO to 0.1 mg/m³), compared with the Grade II limit
of the chosen GB 3095 version, with the exceedance multiple ``(C − S) / S`` where it exceeds.
A statistic is valid only with at least 324 valid days in the year and at least 27 in every
month (25 in February); the days per AQI level come from the daily AQI of each day under the
HJ 633 version of its date.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ecocredit.air.daily import DailyValues, daily_aqi_by_date
from ecocredit.air.model import FloatArray, Pollutant, StandardVersion
from ecocredit.air.rounding import round_half_even
from ecocredit.air.rules import limits, rule_set_for

MIN_DAYS_PER_YEAR = 324
MIN_DAYS_PER_MONTH = 27
MIN_DAYS_FEBRUARY = 25

# (pollutant, statistic, percentile or None for the mean, averaging time of the limit)
ITEMS: tuple[tuple[Pollutant, str, float | None, str], ...] = (
    (Pollutant.SO2, "annual_mean", None, "annual"),
    (Pollutant.SO2, "p98_24h", 98.0, "24h"),
    (Pollutant.NO2, "annual_mean", None, "annual"),
    (Pollutant.NO2, "p98_24h", 98.0, "24h"),
    (Pollutant.PM10, "annual_mean", None, "annual"),
    (Pollutant.PM10, "p95_24h", 95.0, "24h"),
    (Pollutant.PM25, "annual_mean", None, "annual"),
    (Pollutant.PM25, "p95_24h", 95.0, "24h"),
    (Pollutant.CO, "p95_24h", 95.0, "24h"),
    (Pollutant.O3, "p90_max8h", 90.0, "8h"),
)


@dataclass(frozen=True)
class Item:
    """One statistic of one pollutant and how it stands against its limit."""

    pollutant: Pollutant
    statistic: str
    value: float | None
    limit: float
    meets: bool | None  # None when the statistic is not valid
    exceedance: float | None  # (C − S) / S, rounded to 0.01, where C > S
    days: int
    valid: bool
    note: str


@dataclass(frozen=True)
class Evaluation:
    """A subject's (station or city) evaluation over a period, normally a calendar year."""

    subject: str
    start: dt.date
    end: dt.date
    standard: StandardVersion
    items: tuple[Item, ...]
    days_by_level: dict[int, int]
    days_with_aqi: int

    @property
    def compliant(self) -> bool | None:
        """True when every item is valid and meets its limit; None when any is not valid."""
        if any(not item.valid for item in self.items):
            return None
        return all(item.meets for item in self.items)

    @property
    def good_day_share(self) -> float | None:
        """Share of days with an AQI at level I or II (优良天数比例), in percent."""
        if not self.days_with_aqi:
            return None
        good = self.days_by_level.get(1, 0) + self.days_by_level.get(2, 0)
        return round(100.0 * good / self.days_with_aqi, 1)

    def item(self, pollutant: Pollutant, statistic: str) -> Item:
        """The item for ``pollutant`` and ``statistic`` (``annual_mean``, ``p95_24h`` …)."""
        for it in self.items:
            if it.pollutant is pollutant and it.statistic == statistic:
                return it
        raise KeyError((pollutant, statistic))


def item_json(item: Item) -> dict[str, object]:
    """One statistic as the API and the CSV of ``air evaluate`` show it."""
    return {
        "pollutant": item.pollutant.value,
        "statistic": item.statistic,
        "value": item.value,
        "unit": item.pollutant.unit,
        "limit": item.limit,
        "meets": item.meets,
        "exceedance_multiple": item.exceedance,
        "valid_days": item.days,
        "valid": item.valid,
        "note": item.note,
    }


def validity(days: list[dt.date], values: FloatArray) -> tuple[bool, str]:
    """Whether daily values cover a year: 324 valid days, 27 a month (25 in February)."""
    valid_days = [d for d, v in zip(days, values, strict=True) if not np.isnan(v)]
    if len(valid_days) < MIN_DAYS_PER_YEAR:
        return False, f"{len(valid_days)} valid days, at least {MIN_DAYS_PER_YEAR} needed"
    per_month = Counter(d.month for d in valid_days)
    for month in range(1, 13):
        need = MIN_DAYS_FEBRUARY if month == 2 else MIN_DAYS_PER_MONTH
        if per_month.get(month, 0) < need:
            return False, f"{per_month.get(month, 0)} valid days in month {month}, {need} needed"
    return True, ""


def percentile(values: FloatArray, p: float) -> float:
    """The ``p``-th percentile by the HJ 663 method.

    Sort ascending; k = 1 + (n − 1)·p%, s = ⌊k⌋, m = X(s) + (X(s+1) − X(s))·(k − s), with
    1-based order statistics (numpy's "linear" method gives the same).
    """
    ordered = np.sort(values)
    k = 1 + (ordered.size - 1) * p / 100.0
    s = int(np.floor(k))
    low = float(ordered[s - 1])
    high = float(ordered[min(s, ordered.size - 1)])
    return low + (high - low) * (k - s)


def statistic(values: FloatArray, p: float | None, *, co: bool) -> float | None:
    """The annual mean (``p`` None) or ``p``-th percentile of valid daily values.

    Reported per GB/T 8170: integer µg/m³, CO to 0.1 mg/m³; None without any valid value.
    """
    present = values[~np.isnan(values)]
    if present.size == 0:
        return None
    raw = float(present.mean()) if p is None else percentile(present, p)
    return float(round_half_even(np.asarray([raw]), 1 if co else 0)[0])


def _item(
    spec: tuple[Pollutant, str, float | None, str],
    daily: DailyValues,
    row: int,
    standard: StandardVersion,
) -> Item:
    pollutant, name, p, averaging = spec
    values = daily.values[pollutant.index, row]
    limit = limits(standard)[pollutant, averaging].grade_ii
    value = statistic(values, p, co=pollutant is Pollutant.CO)
    valid, note = validity(daily.days, values)
    meets = None if value is None or not valid else value <= limit
    exceedance = None
    if value is not None and value > limit:
        multiple = round_half_even(np.asarray([(value - limit) / limit]), 2)
        exceedance = float(multiple[0])
    count = int(np.count_nonzero(~np.isnan(values)))
    return Item(pollutant, name, value, limit, meets, exceedance, count, valid, note)


def evaluate(
    subjects: list[str], daily: DailyValues, standard: StandardVersion
) -> list[Evaluation]:
    """Evaluate every subject (row ``i`` of ``daily.values[:, i, :]``) over its days."""
    days = daily.days
    rules = {d: rule_set_for(d) for d in days}
    aqi = daily_aqi_by_date(daily, rules)
    out = []
    for row, subject in enumerate(subjects):
        items = tuple(_item(spec, daily, row, standard) for spec in ITEMS)
        levels = aqi.level[row]
        counted = Counter(int(v) for v in levels[levels > 0])
        out.append(
            Evaluation(
                subject=subject,
                start=days[0],
                end=days[-1],
                standard=standard,
                items=items,
                days_by_level=dict(sorted(counted.items())),
                days_with_aqi=int(np.count_nonzero(levels > 0)),
            )
        )
    return out


@dataclass(frozen=True)
class Target:
    """A goal for a subject's annual mean, e.g. Beijing's PM2.5 of 60 µg/m³ by 2017."""

    subject: str
    pollutant: Pollutant
    year: int
    value: float
    baseline_year: int
    baseline: float
    source: str


def progress(target: Target, current: float) -> dict[str, float | bool]:
    """How far ``current`` has come from the baseline toward the target, in percent."""
    span = target.baseline - target.value
    done = 100.0 if span == 0 else 100.0 * (target.baseline - current) / span
    return {
        "met": current <= target.value,
        "progress_percent": round(done, 1),
        "remaining": round(max(current - target.value, 0.0), 1),
    }
