"""Annual evaluations read from the store, targets, and a city's trend of annual means.

The pure rules are in :mod:`ecocredit.air.evaluate`; this module loads a year of a station or
a city, hands it over and adds what the database knows: the targets set for the subject, and
the published annual means of past years (which the store may not hold hourly data for).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecocredit.air import averages, store
from ecocredit.air.daily import daily_values
from ecocredit.air.evaluate import Evaluation, Target, evaluate, item_json, progress
from ecocredit.air.model import Pollutant, StandardVersion, StationKind
from ecocredit.air.rules import limits, parse_standard, standard_for
from ecocredit.air.tables import annual_means, station_days, stations, targets
from ecocredit.errors import InvalidParameter

FIRST_YEAR = 2000


def check_year(year: int) -> None:
    """Refuse a year outside what monitoring data can cover."""
    if not FIRST_YEAR <= year <= dt.date.today().year:
        raise InvalidParameter(
            f"year {year} is outside {FIRST_YEAR}-{dt.date.today().year}", field="year"
        )


def year_standard(year: int, standard: str | None) -> StandardVersion:
    """The GB 3095 version named, or the one in force at the end of ``year``."""
    return parse_standard(standard) if standard else standard_for(dt.date(year, 12, 31))


def evaluate_year(
    session: Session,
    year: int,
    *,
    cities: bool,
    subjects: list[str] | None = None,
    standard: str | None = None,
) -> list[Evaluation]:
    """Evaluate every station (or city) — or the ``subjects`` named — over ``year``."""
    check_year(year)
    version = year_standard(year, standard)
    members = _national_members(session) if cities else {}
    if cities:
        names = sorted(members) if subjects is None else subjects
        codes = sorted({c for n in names for c in members.get(n, [])})
    else:
        every = session.scalars(select(stations.c.code).order_by(stations.c.code))
        names = list(every) if subjects is None else subjects
        codes = names
    loaded = store.load(session, dt.date(year, 1, 1), dt.date(year, 12, 31), codes)
    values, start = loaded.hourly()
    del loaded  # a national year is a gigabyte: keep one copy
    if cities:
        index = {c: i for i, c in enumerate(codes)}
        columns = [[index[c] for c in members.get(n, [])] for n in names]
        values = (
            np.concatenate([averages.city_mean(values[:, cols, :]) for cols in columns], axis=1)
            if names
            else values[:, :0]
        )
    return evaluate(list(names), daily_values(values, start), version)


def _national_members(session: Session) -> dict[str, list[str]]:
    """Each city's national stations, the ones a city's figure is made of."""
    query = select(stations.c.city, stations.c.code).where(
        stations.c.kind == StationKind.NATIONAL.value
    )
    members: dict[str, list[str]] = {}
    for city, code in session.execute(query):
        members.setdefault(city, []).append(code)
    return members


def subject_targets(session: Session, subject: str) -> list[Target]:
    """The targets set for a city or station."""
    query = select(targets).where(targets.c.subject == subject).order_by(targets.c.year)
    return [
        Target(
            r.subject,
            Pollutant(r.pollutant),
            r.year,
            r.value,
            r.baseline_year,
            r.baseline,
            r.source,
        )
        for r in session.execute(query)
    ]


def evaluation_json(evaluation: Evaluation, goals: list[Target]) -> dict[str, Any]:
    """An evaluation as the API shows it, with progress toward each target."""
    items = [item_json(it) for it in evaluation.items]
    return {
        "subject": evaluation.subject,
        "start": evaluation.start.isoformat(),
        "end": evaluation.end.isoformat(),
        "standard": evaluation.standard.value,
        "compliant": evaluation.compliant,
        "items": items,
        "days_by_level": {str(k): v for k, v in evaluation.days_by_level.items()},
        "days_with_aqi": evaluation.days_with_aqi,
        "good_day_share_percent": evaluation.good_day_share,
        "targets": _reached(evaluation, goals),
    }


def _reached(evaluation: Evaluation, goals: list[Target]) -> list[dict[str, Any]]:
    """Where the evaluated annual mean stands against each target of the subject."""
    out = []
    for goal in goals:
        value = evaluation.item(goal.pollutant, "annual_mean").value
        if value is None:
            continue
        out.append(
            {
                "pollutant": goal.pollutant.value,
                "target_year": goal.year,
                "target": goal.value,
                "baseline_year": goal.baseline_year,
                "baseline": goal.baseline,
                "source": goal.source,
                "current": value,
                **progress(goal, value),
            }
        )
    return out


def trend(session: Session, city: str, pollutant: Pollutant = Pollutant.PM25) -> dict[str, Any]:
    """A city's annual means by year: published ones, and those computed from stored data."""
    published = {
        r.year: {"year": r.year, "value": r.value, "source": r.source, "computed": False}
        for r in session.execute(
            select(annual_means).where(
                annual_means.c.city == city, annual_means.c.pollutant == pollutant.value
            )
        )
    }
    computed = _computed_means(session, city, pollutant)
    years = sorted(set(published) | set(computed))
    # A published mean is the official figure; a computed one fills the years without it.
    series = [published.get(y) or computed[y] for y in years]
    limits = {y: _annual_limit(y, pollutant) for y in years}
    return {
        "city": city,
        "pollutant": pollutant.value,
        "unit": pollutant.unit,
        "series": series,
        "limits": limits,
        "targets": [
            t.__dict__ | {"pollutant": t.pollutant.value}
            for t in subject_targets(session, city)
            if t.pollutant is pollutant
        ],
    }


def _computed_means(session: Session, city: str, pollutant: Pollutant) -> dict[int, Any]:
    """The city's annual mean of every year the store holds data of, with its validity."""
    computed = {}
    for year in _stored_years(session):
        item = evaluate_year(session, year, cities=True, subjects=[city])[0].item(
            pollutant, "annual_mean"
        )
        if item.value is not None:
            computed[year] = {
                "year": year,
                "value": item.value,
                "computed": True,
                "valid": item.valid,
                "source": "computed from stored data",
            }
    return computed


def _stored_years(session: Session) -> list[int]:
    low, high = session.execute(
        select(func.min(station_days.c.day), func.max(station_days.c.day))
    ).one()
    if low is None:
        return []
    # Imports refuse other years; the bound keeps a trend drawable whatever the table holds.
    return list(range(max(low.year, FIRST_YEAR), min(high.year, dt.date.today().year) + 1))


def _annual_limit(year: int, pollutant: Pollutant) -> float | None:
    found = limits(standard_for(dt.date(year, 12, 31))).get((pollutant, "annual"))
    return None if found is None else found.grade_ii
