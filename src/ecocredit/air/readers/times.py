"""Hour labels as UTC hours: ISO 8601 times of the wide and long layouts, site-file dates.

A label is the *end* of its hour in China local time unless it carries an offset (see
:mod:`ecocredit.air.model`); ``24:00`` is the next day's ``00:00``. The result is a count of
hours since 1970-01-01T00Z, the integer behind ``numpy.datetime64(n, "h")``. Everything is
computed for a whole column at once; only refused labels are worded one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ecocredit.air.model import IntArray
from ecocredit.air.readers.cells import BoolArray, shown

LOCAL_MINUTES = 8 * 60  # China local time, used when a label has no offset
ISO_TIME = (
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?"
    r"([Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
)
SITE_DATE = r"^([0-9]{4})([0-9]{2})([0-9]{2})$"
# Automatic monitoring in China reports hourly from the 2000s on; a year outside this span is a
# typo (2052 for 2025) that would otherwise pass for the newest data of the network.
FIRST_YEAR, LAST_YEAR = 2000, 2099
SITE_HOUR = r"^[0-9]{1,2}$"
_ISO_REASONS = (
    "",
    "not an ISO 8601 time such as 2026-03-01T13:00: {}",
    "impossible date: {}",
    "hour must be 00–24: {}",
    "minutes and seconds must be :00 (hourly data): {}",
    "impossible UTC offset: {}",
    "not on a whole UTC hour (offset with minutes): {}",
    f"year outside {FIRST_YEAR}–{LAST_YEAR}: {{}}",
)


@dataclass(frozen=True)
class Hours:
    """UTC hours of a column of labels; ``values`` is meaningless at refused positions."""

    values: IntArray
    bad: IntArray
    reasons: list[str]
    fields: list[str]  # the column to blame, one per position in ``bad``


def civil_hours(
    year: IntArray, month: IntArray, day: IntArray, hour: IntArray
) -> tuple[IntArray, BoolArray]:
    """Hours since the epoch of calendar dates and hours, and whether each date exists."""
    good_month = (month >= 1) & (month <= 12)
    months = (year - 1970) * 12 + np.where(good_month, month, 1) - 1
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    after = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    exists = good_month & (day >= 1) & (day <= after - first)
    return (first + day - 1) * 24 + hour, exists


def _groups(texts: pl.Series, pattern: str) -> pl.DataFrame:
    """The capture groups of ``pattern`` in each label, as columns ``1``, ``2`` … (null = none)."""
    frame = pl.DataFrame({"t": texts.str.strip_chars()})
    return frame.select(pl.col("t").str.extract_groups(pattern)).unnest("t")


def _ints(frame: pl.DataFrame, column: str, missing: int = 0) -> IntArray:
    return np.asarray(frame[column].cast(pl.Int64).fill_null(missing).to_numpy(), np.int64)


def _offset_minutes(offsets: pl.Series) -> tuple[IntArray, BoolArray]:
    """Minutes east of UTC of ``Z`` / ``+08:00`` / ``+0800`` / ``+08`` (none = China).

    Also whether each offset exists (at most 14 hours, minutes below 60).
    """
    digits = offsets.str.replace(":", "")
    hours = digits.str.slice(1, 2).cast(pl.Int64, strict=False).fill_null(0).to_numpy()
    minutes = digits.str.slice(3, 2).cast(pl.Int64, strict=False).fill_null(0).to_numpy()
    sign = np.where(offsets.str.starts_with("-").fill_null(value=False).to_numpy(), -1, 1)
    east = np.where(offsets.is_null().to_numpy(), LOCAL_MINUTES, sign * (hours * 60 + minutes))
    return np.asarray(east, np.int64), np.asarray((hours <= 14) & (minutes < 60), np.bool_)


def _explain(
    texts: pl.Series, codes: IntArray, templates: tuple[str, ...], field: str
) -> list[str]:
    """The reason of every refused label: ``templates[code]``, or "missing" for a blank one."""
    bad = np.flatnonzero(codes)
    cells = [c.strip() if c else "" for c in texts.gather(bad).to_list()]
    return [
        templates[codes[b]].format(shown(c)) if c else f"missing {field}"
        for b, c in zip(bad, cells, strict=True)
    ]


def parse_iso(texts: pl.Series) -> Hours:
    """UTC hours of ISO 8601 labels; naive labels are China local time."""
    groups = _groups(texts, ISO_TIME)
    year, month, day, hour = (_ints(groups, c) for c in "1234")
    minute, second = _ints(groups, "5"), _ints(groups, "6")
    east, offset_exists = _offset_minutes(groups["7"])
    local, exists = civil_hours(year, month, day, hour)
    codes = np.select(
        [
            groups["1"].is_null().to_numpy(),
            ~exists,
            hour > 24,
            (minute != 0) | (second != 0),
            ~offset_exists,
            east % 60 != 0,
            (year < FIRST_YEAR) | (year > LAST_YEAR),
        ],
        [1, 2, 3, 4, 5, 6, 7],
        0,
    ).astype(np.int64)
    bad = np.flatnonzero(codes)
    reasons = _explain(texts, codes, _ISO_REASONS, "time")
    return Hours(local - east // 60, bad, reasons, ["time"] * bad.size)


def parse_site(dates: pl.Series, hours: pl.Series) -> Hours:
    """UTC hours of a site file's ``date`` (YYYYMMDD) and ``hour`` (0–23) columns, China local."""
    groups = _groups(dates, SITE_DATE)
    hour_text = hours.str.strip_chars()
    hour = np.asarray(hour_text.cast(pl.Int64, strict=False).fill_null(-1).to_numpy(), np.int64)
    hour = np.where(hour_text.str.contains(SITE_HOUR).fill_null(value=False).to_numpy(), hour, -1)
    year, month, day = (_ints(groups, c) for c in "123")
    local, exists = civil_hours(year, month, day, np.maximum(hour, 0))
    date_code = np.where(exists & groups["1"].is_not_null().to_numpy(), 0, 1)
    date_code[(date_code == 0) & ((year < FIRST_YEAR) | (year > LAST_YEAR))] = 2
    hour_code = np.where((hour >= 0) & (hour <= 23), 0, 1)
    date_reasons = (
        "",
        "impossible date (expected YYYYMMDD): {}",
        f"year outside {FIRST_YEAR}–{LAST_YEAR}: {{}}",
    )
    reasons = _explain(dates, date_code, date_reasons, "date")
    reasons += _explain(hours, hour_code, ("", "hour must be 0–23: {}"), "hour")
    date_bad, hour_bad = np.flatnonzero(date_code), np.flatnonzero(hour_code)
    bad = np.concatenate((date_bad, hour_bad))
    fields = ["date"] * date_bad.size + ["hour"] * hour_bad.size
    return Hours(local - LOCAL_MINUTES // 60, bad, reasons, fields)
