"""Reads of air quality: stations, latest AQI, hourly history and daily reports.

Every read loads the station-day blocks it needs (:mod:`ecocredit.air.store`), scores them
with the pure modules and returns plain dicts the API, CLI and portal render as they are.
A city's value of an hour is the mean of its national stations' values of that hour (micro
sensors and provincial stations are shown but never enter a city's figure).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecocredit.air import averages, store
from ecocredit.air.aqi import AqiArrays, primary_names
from ecocredit.air.daily import daily_aqi_by_date, daily_values
from ecocredit.air.hourly import grid_aqi
from ecocredit.air.model import (
    HOUR,
    POLLUTANTS,
    FloatArray,
    StationKind,
    local_day,
    local_label,
)
from ecocredit.air.rules import categories, rule_set, rule_set_for
from ecocredit.air.tables import station_days, stations
from ecocredit.errors import InvalidParameter, NotFound

MAX_DAYS = 400  # the longest span one read covers


def station_rows(session: Session, city: str | None = None) -> list[dict[str, Any]]:
    """Every station (of one city), as the API lists them."""
    query = select(stations).order_by(stations.c.code)
    if city is not None:
        query = query.where(stations.c.city == city)
    return [
        {
            k: getattr(r, k)
            for k in ("code", "name", "city", "province", "longitude", "latitude", "kind")
        }
        for r in session.execute(query)
    ]


def station(session: Session, code: str) -> dict[str, Any]:
    """One station, or NotFound."""
    row = session.execute(select(stations).where(stations.c.code == code)).first()
    if row is None:
        raise NotFound(f"no station {code!r}")
    return dict(row._mapping)


def city_members(session: Session, city: str) -> list[str]:
    """The national stations of a city, or NotFound."""
    codes = list(
        session.scalars(
            select(stations.c.code)
            .where(stations.c.city == city, stations.c.kind == StationKind.NATIONAL.value)
            .order_by(stations.c.code)
        )
    )
    if not codes:
        raise NotFound(f"no city {city!r} with national stations")
    return codes


def cities(session: Session) -> list[str]:
    """Every city with a national station."""
    query = (
        select(stations.c.city)
        .where(stations.c.kind == StationKind.NATIONAL.value)
        .group_by(stations.c.city)
        .order_by(stations.c.city)
    )
    return list(session.scalars(query))


def last_day(session: Session) -> dt.date | None:
    """The latest natural day with any stored value."""
    day: dt.date | None = session.scalar(select(func.max(station_days.c.day)))
    return day


def check_span(start: dt.date, end: dt.date) -> None:
    """Refuse a reversed or overlong span, naming the parameter."""
    if end < start:
        raise InvalidParameter(f"end {end} is before start {start}", field="end")
    if (end - start).days >= MAX_DAYS:
        raise InvalidParameter(f"at most {MAX_DAYS} days at a time", field="end")


def describe(aqi: AqiArrays, index: tuple[int, ...]) -> dict[str, Any]:
    """The AQI, level, category and primary pollutants at one position, as JSON."""
    value = int(aqi.aqi[index])
    level = int(aqi.level[index])
    cat = categories()[level - 1] if level else None
    return {
        "aqi": value if value >= 0 else None,
        "level": level or None,
        "category": cat.name_zh if cat else None,
        "category_en": cat.name_en if cat else None,
        "colour": cat.colour if cat else None,
        "primary_pollutants": [p.value for p in primary_names(int(aqi.primary[index]))],
        "iaqi": {p.value: _int(aqi.iaqi[(p.index, *index)]) for p in POLLUTANTS},
        "beyond_table": bool(aqi.beyond_table[index]),
    }


def _int(value: Any) -> int | None:
    return int(value) if value >= 0 else None


def _number(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 3)


def subject_codes(
    session: Session, subject: str, start: dt.date, end: dt.date, *, city: bool
) -> list[str]:
    """The stations a read of ``subject`` covers (a station, or a city's national ones).

    Checks the span first, so a bad request costs no lookup.
    """
    check_span(start, end)
    return city_members(session, subject) if city else [station(session, subject)["code"]]


def hourly(
    session: Session,
    codes: list[str],
    start: dt.date,
    end: dt.date,
    *,
    city: bool = False,
    rules: str | None = None,
) -> tuple[FloatArray, AqiArrays, np.datetime64, store.Loaded]:
    """Hourly values and AQI of stations (or their city mean) over natural days.

    The day before ``start`` is read too, so that every hour has the trailing 24 hours
    HJ 633-2012 needs when SO2 passes 800 µg/m³; it is dropped from what is returned.
    """
    before = start - dt.timedelta(days=1)
    loaded = store.load(session, before, end, codes, sources=True)
    values, first = loaded.hourly()
    if city:
        values = averages.city_mean(values)
    chosen = rule_set(rules) if rules else None
    aqi = grid_aqi(values, first, chosen)
    keep = slice(24, None)
    aqi = AqiArrays(
        iaqi=aqi.iaqi[..., keep],
        aqi=aqi.aqi[..., keep],
        primary=aqi.primary[..., keep],
        level=aqi.level[..., keep],
        beyond_table=aqi.beyond_table[..., keep],
    )
    return values[..., keep], aqi, first + 24 * HOUR, loaded.days_from(start)


def history(
    session: Session,
    subject: str,
    start: dt.date,
    end: dt.date,
    *,
    city: bool = False,
    rules: str | None = None,
) -> dict[str, Any]:
    """Every hour of a station (or city) from ``start`` to ``end``, with its AQI."""
    codes = subject_codes(session, subject, start, end, city=city)
    values, aqi, first, loaded = hourly(session, codes, start, end, city=city, rules=rules)
    hours = []
    for h in range(values.shape[-1]):
        if np.isnan(values[:, 0, h]).all():
            continue
        label = local_label(first + h * HOUR)
        row = {"time": label.isoformat(), **describe(aqi, (0, h))}
        row["concentrations"] = {p.value: _number(values[p.index, 0, h]) for p in POLLUTANTS}
        row["rule_set"] = rules or rule_set_for((label - dt.timedelta(hours=1)).date()).name.value
        hours.append(row)
    counts = store.statuses(loaded)
    return {
        "subject": subject,
        "kind": "city" if city else "station",
        "hours": hours,
        "data_status": store.data_status(counts),
        "values_by_status": counts,
    }


def newest_days(session: Session) -> dict[str, dt.date]:
    """Each station's newest natural day with a stored value."""
    query = select(station_days.c.station, func.max(station_days.c.day)).group_by(
        station_days.c.station
    )
    return {code: day for code, day in session.execute(query)}


def latest(session: Session, *, city: bool = False) -> list[dict[str, Any]]:
    """The newest hour with a value of every station (or city), with its AQI.

    Each station is read up to its own newest day, so one station that stopped reporting (or
    one that reported far ahead) does not blank the others.
    """
    newest = newest_days(session)
    if city:
        out = []
        for name in cities(session):
            members = city_members(session, name)
            days = [newest[c] for c in members if c in newest]
            found = _NOTHING if not days else _newest(session, members, max(days), city=True)
            out.append({"city": name, "stations": len(members), **found})
        return out
    rows = station_rows(session)
    by_day: dict[dt.date, list[int]] = {}
    for i, row in enumerate(rows):
        if row["code"] in newest:
            by_day.setdefault(newest[row["code"]], []).append(i)
    found_for: dict[int, dict[str, Any]] = {}
    for day, indexes in by_day.items():
        codes = [rows[i]["code"] for i in indexes]
        values, aqi, first, _ = hourly(session, codes, day - dt.timedelta(days=1), day)
        for k, i in enumerate(indexes):
            found_for[i] = _at_newest(values, aqi, first, k)
    return [{**row, **found_for.get(i, _NOTHING)} for i, row in enumerate(rows)]


def _newest(session: Session, codes: list[str], day: dt.date, *, city: bool) -> dict[str, Any]:
    values, aqi, first, _ = hourly(session, codes, day - dt.timedelta(days=1), day, city=city)
    return _at_newest(values, aqi, first, 0)


_NOTHING: dict[str, Any] = {
    "time": None,
    "aqi": None,
    "level": None,
    "category": None,
    "category_en": None,
    "colour": None,
    "primary_pollutants": [],
    "iaqi": {},
    "concentrations": {},
}


def _at_newest(
    values: FloatArray, aqi: AqiArrays, first: np.datetime64, row: int
) -> dict[str, Any]:
    has = np.nonzero(~np.isnan(values[:, row, :]).all(axis=0))[0]
    if has.size == 0:
        return dict(_NOTHING)
    h = int(has[-1])
    return {
        "time": local_label(first + h * HOUR).isoformat(),
        **describe(aqi, (row, h)),
        "concentrations": {p.value: _number(values[p.index, row, h]) for p in POLLUTANTS},
    }


def daily_report(
    session: Session,
    subject: str,
    start: dt.date,
    end: dt.date,
    *,
    city: bool = False,
    rules: str | None = None,
) -> dict[str, Any]:
    """The daily values and daily AQI of a station (or city) for each day of a span."""
    codes = subject_codes(session, subject, start, end, city=city)
    loaded = store.load(session, start, end, codes, sources=True)
    values, first = loaded.hourly()
    if city:
        values = averages.city_mean(values)
    daily = daily_values(values, first)
    chosen = {d: (rule_set(rules) if rules else rule_set_for(d)) for d in daily.days}
    aqi = daily_aqi_by_date(daily, chosen)
    days = []
    for j, day in enumerate(daily.days):
        if not start <= day <= end:
            continue
        row: dict[str, Any] = {"day": day.isoformat(), "rule_set": chosen[day].name.value}
        row.update(describe(aqi, (0, j)))
        row["values"] = {p.value: _number(daily.values[p.index, 0, j]) for p in POLLUTANTS}
        row["values"]["O3_max_1h"] = _number(daily.o3_max_1h[0, j])
        days.append(row)
    counts = store.statuses(loaded)
    return {
        "subject": subject,
        "kind": "city" if city else "station",
        "days": days,
        "data_status": store.data_status(counts),
        "values_by_status": counts,
        "day_convention": "hour labels 01:00-24:00 local time",
    }


def day_of(moment: dt.datetime) -> dt.date:
    """The natural day an hour label belongs to."""
    hour = np.datetime64(int(moment.timestamp()) // 3600, "h")
    day: dt.date = local_day(np.asarray([hour]))[0].astype(dt.date)
    return day
