"""Averages of hourly series over natural days: daily means, 8-hour means, daily maxima.

A series is an array ``[station, hour]`` of consecutive UTC hours; :func:`by_day` lays it out
as ``[station, day, 24]`` over local natural days (labels 01:00 … 24:00, see
:mod:`ecocredit.air.model`), padding with NaN. Validity follows GB 3095 Table 4: a daily mean
needs at least 20 hourly values and an 8-hour mean at least 6; the O3 daily maximum 8-hour
value takes the 17 windows labelled 08:00 … 24:00 and needs at least 14 of them valid, unless
fewer valid windows already exceed the limit (HJ 663 §6.1.2).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ecocredit.air.model import HOUR, LOCAL_OFFSET, FloatArray

# A mean of published decimals is kept to 1e-6: 61.5 must not become 61.49999999999999,
# which GB/T 8170 (HJ 633-2026) would then round down instead of to the even 62.
MEAN_DECIMALS = 6
MIN_HOURS_PER_DAY = 20
MIN_HOURS_PER_8H = 6
MIN_8H_WINDOWS = 14
O3_8H_LIMIT = 160.0  # GB 3095 Grade II O3 daily maximum 8-hour, the same in every version


def day_start_utc(day: dt.date) -> np.datetime64:
    """The UTC hour labelled 01:00 local on ``day``: the first hour of that natural day."""
    return np.datetime64(day, "h") - LOCAL_OFFSET + HOUR


def first_day(start_utc: np.datetime64) -> dt.date:
    """The natural day the hour labelled ``start_utc`` belongs to."""
    label = start_utc + LOCAL_OFFSET - HOUR
    return dt.date.fromisoformat(str(label.astype("datetime64[D]")))


def by_day(series: FloatArray, start_utc: np.datetime64) -> tuple[FloatArray, dt.date]:
    """``series[station, hour]`` as ``[station, day, 24]`` and the first day it covers."""
    day0 = first_day(start_utc)
    lead = int((start_utc - day_start_utc(day0)) / HOUR)
    hours = series.shape[-1]
    days = -(-(lead + hours) // 24)
    if lead == 0 and hours == days * 24:
        return series.reshape(*series.shape[:-1], days, 24), day0
    out = np.full((*series.shape[:-1], days * 24), np.nan)
    out[..., lead : lead + hours] = series
    return out.reshape(*series.shape[:-1], days, 24), day0


def daily_mean(cube: FloatArray) -> FloatArray:
    """Mean of each day's hourly values, NaN where fewer than 20 are present."""
    count = np.count_nonzero(~np.isnan(cube), axis=-1)
    total = np.nansum(cube, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.round(total / count, MEAN_DECIMALS)
    return np.where(count >= MIN_HOURS_PER_DAY, mean, np.nan)


def daily_max_1h(cube: FloatArray) -> FloatArray:
    """Each day's highest hourly value, NaN where fewer than 20 hours are present."""
    count = np.count_nonzero(~np.isnan(cube), axis=-1)
    filled = np.where(np.isnan(cube), -np.inf, cube)
    return np.where(count >= MIN_HOURS_PER_DAY, filled.max(axis=-1), np.nan)


def eight_hour_means(cube: FloatArray) -> FloatArray:
    """The 17 8-hour means labelled 08:00 … 24:00 of each day, NaN with under 6 values."""
    present = ~np.isnan(cube)
    sums = np.concatenate(
        [np.zeros((*cube.shape[:-1], 1)), np.cumsum(np.where(present, cube, 0.0), axis=-1)],
        axis=-1,
    )
    counts = np.concatenate([np.zeros((*cube.shape[:-1], 1)), np.cumsum(present, axis=-1)], axis=-1)
    window_sum = sums[..., 8:25] - sums[..., 0:17]
    window_count = counts[..., 8:25] - counts[..., 0:17]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.round(window_sum / window_count, MEAN_DECIMALS)
    return np.where(window_count >= MIN_HOURS_PER_8H, mean, np.nan)


def daily_max_8h(cube: FloatArray, limit: float = O3_8H_LIMIT) -> FloatArray:
    """O3 daily maximum 8-hour mean; valid with 14 of 17 windows, or fewer above ``limit``."""
    windows = eight_hour_means(cube)
    valid = np.count_nonzero(~np.isnan(windows), axis=-1)
    highest = np.where(np.isnan(windows), -np.inf, windows).max(axis=-1)
    keep = (valid >= MIN_8H_WINDOWS) | ((valid > 0) & (highest > limit))
    return np.where(keep, highest, np.nan)


def moving_mean(series: FloatArray, window: int, min_count: int) -> FloatArray:
    """Trailing mean over ``window`` hours ending at each hour, NaN with under ``min_count``."""
    present = ~np.isnan(series)
    pad = np.zeros((*series.shape[:-1], 1))
    sums = np.concatenate([pad, np.cumsum(np.where(present, series, 0.0), axis=-1)], axis=-1)
    counts = np.concatenate([pad, np.cumsum(present, axis=-1)], axis=-1)
    lo = np.maximum(np.arange(series.shape[-1]) + 1 - window, 0)
    hi = np.arange(series.shape[-1]) + 1
    window_sum = sums[..., hi] - sums[..., lo]
    window_count = counts[..., hi] - counts[..., lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.round(window_sum / window_count, MEAN_DECIMALS)
    return np.where(window_count >= min_count, mean, np.nan)


def city_mean(values: FloatArray) -> FloatArray:
    """Mean over stations (axis 1) of ``values[pollutant, station, …]``, ignoring gaps."""
    present = ~np.isnan(values)
    count = present.sum(axis=1)
    total = np.where(present, values, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.round(total / count, MEAN_DECIMALS)
    return np.where(count > 0, mean, np.nan)[:, None]
