"""Portal pages of air quality: the station map, one station's hours and days, one city's years.

They read through :mod:`ecocredit.air.service`, the same reads the API serves, so a page and
the JSON it links to never disagree. What the map and the charts draw is embedded in the page
as JSON (``|tojson``), so a page needs no second request and works offline with the vendored
Leaflet and ECharts. Colours and names of the AQI categories come from the rule data (HJ 633
Table 2 and Annex A), never from literals here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from ecocredit.air import service
from ecocredit.air.model import POLLUTANTS, Pollutant
from ecocredit.air.rounding import round_concentration
from ecocredit.air.rules import categories, limits, standard_for
from ecocredit.api_deps import ReadSession
from ecocredit.errors import EcocreditError
from ecocredit.web.routes import WEB_DIR

router = APIRouter(include_in_schema=False)
HOURLY_DAYS = 7  # the hourly chart of a station covers the last week with data
CALENDAR_DAYS = 365  # the calendar of daily AQI covers at most a year back from the last day
NO_DATA = "#c8ced0"  # markers and cells without an AQI
HOUR = dt.timedelta(hours=1)


def ink(colour: str | None) -> str:
    """Black or white, whichever contrasts more with ``colour`` (a ``#RRGGBB`` background)."""
    if not colour or len(colour) != 7:
        return "#000"
    # WCAG 2 relative luminance; black wins when (L + 0.05)^2 > 1.05 * 0.05.
    linear = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in linear]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000" if (luminance + 0.05) ** 2 > 1.05 * 0.05 else "#fff"


def local(iso: str | None) -> str:
    """An ISO time with offset as the China-local label ``YYYY-MM-DD HH:MM`` (or a dash)."""
    if not iso:
        return "—"
    return dt.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")


def concentration(value: float | None, pollutant: str) -> str:
    """A concentration as published (GB/T 8170): integer µg/m³, CO to 0.1 mg/m³; or a dash."""
    if value is None:
        return "—"
    co = pollutant == Pollutant.CO.value
    shown = float(round_concentration(np.array([value]), co=co)[0])
    return f"{shown:.1f}" if co else f"{shown:.0f}"


def legend() -> list[dict[str, Any]]:
    """The six AQI categories with their Chinese and English names, range and colours."""
    return [
        {
            "level": c.level,
            "roman": c.roman,
            "zh": c.name_zh,
            "en": c.name_en,
            "colour": c.colour,
            "ink": ink(c.colour),
            "lower": c.lower,
            "upper": c.upper,
        }
        for c in categories()
    ]


_templates = Jinja2Templates(directory=WEB_DIR / "templates")
_templates.env.filters["ink"] = ink
_templates.env.filters["local"] = local
_templates.env.filters["concentration"] = concentration
_templates.env.filters["segment"] = lambda text: quote(str(text), safe="")  # one path segment


def marker(row: dict[str, Any]) -> dict[str, Any]:
    """What the map needs of one station's latest reading."""
    return {
        "code": row["code"],
        "name": row["name"],
        "city": row["city"],
        "kind": row["kind"],
        "lat": row["latitude"],
        "lon": row["longitude"],
        "time": local(row["time"]),
        "aqi": row["aqi"],
        "category": row["category"],
        "category_en": row.get("category_en"),
        "colour": row["colour"] or NO_DATA,
        "ink": ink(row["colour"] or NO_DATA),
        "primary": row["primary_pollutants"],
    }


def hourly_points(
    hours: list[dict[str, Any]], first: dt.date, last: dt.date
) -> list[dict[str, Any]]:
    """Every hour label from ``first`` 01:00 to ``last`` 24:00, with its AQI or a gap."""
    found = {local(h["time"]): h for h in hours}
    moment = dt.datetime.combine(first, dt.time(1))
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0))
    points = []
    while moment <= end:
        label = moment.strftime("%Y-%m-%d %H:%M")
        hour = found.get(label, {})
        points.append(
            {
                "t": label,
                "aqi": hour.get("aqi"),
                "colour": hour.get("colour"),
                "category": hour.get("category"),
                "category_en": hour.get("category_en"),
                "primary": hour.get("primary_pollutants", []),
            }
        )
        moment += HOUR
    return points


def calendar_cells(days: list[dict[str, Any]], last: dt.date) -> dict[str, Any]:
    """Cells of a week-by-weekday calendar from the first day with an AQI to ``last``.

    Column ``week`` counts weeks from the Monday on or before the first day; ``weekday`` is
    0 for Monday. Days without an AQI are kept (grey) so the calendar has no holes.
    """
    scored = {d["day"]: d for d in days if d["aqi"] is not None}
    if not scored:
        return {"cells": [], "weeks": 0, "months": []}
    first = dt.date.fromisoformat(min(scored))
    monday = first - dt.timedelta(days=first.weekday())
    cells: list[dict[str, Any]] = []
    months: list[dict[str, Any]] = []
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        week = (day - monday).days // 7
        # A month's label sits over its first week, unless the previous label is too close.
        if (day.day == 1 or offset == 0) and (not months or week - months[-1]["week"] >= 3):
            months.append({"week": week, "label": day.strftime("%Y-%m")})
        row = scored.get(day.isoformat(), {})
        cells.append(
            {
                "day": day.isoformat(),
                "week": week,
                "weekday": day.weekday(),
                "aqi": row.get("aqi"),
                "colour": row.get("colour") or NO_DATA,
                "category": row.get("category"),
                "category_en": row.get("category_en"),
                "primary": row.get("primary_pollutants", []),
            }
        )
    return {"cells": cells, "weeks": cells[-1]["week"] + 1, "months": months}


def annual_limit(year: int, pollutant: str) -> float | None:
    """The GB 3095 Grade II annual limit in force at the end of ``year``, if there is one."""
    found = limits(standard_for(dt.date(year, 12, 31))).get((Pollutant(pollutant), "annual"))
    return None if found is None else found.grade_ii


def trend_chart(trend: dict[str, Any]) -> dict[str, Any]:
    """A city's annual means, Grade II limits and targets on one axis of consecutive years.

    The limit of a year without a mean (a gap, or a target's year) is the one in force then.
    """
    series = {s["year"]: s for s in trend["series"]}
    known_limits = {int(y): v for y, v in trend["limits"].items()}
    goals = trend["targets"]
    known = set(series) | {t["year"] for t in goals}
    years = list(range(min(known), max(known) + 1)) if known else []
    return {
        "pollutant": trend["pollutant"],
        "unit": trend["unit"],
        "years": [str(y) for y in years],
        "values": [series[y]["value"] if y in series else None for y in years],
        "computed": [bool(series[y].get("computed")) if y in series else False for y in years],
        # A mean computed from too few days (a year just begun) is drawn, but marked as such.
        "valid": [bool(series[y].get("valid", True)) if y in series else True for y in years],
        "sources": [series[y].get("source") if y in series else None for y in years],
        "limits": [known_limits.get(y, annual_limit(y, trend["pollutant"])) for y in years],
        "targets": [
            {
                "year": str(t["year"]),
                "value": t["value"],
                "baseline": t["baseline"],
                "baseline_year": t["baseline_year"],
                "source": t["source"],
            }
            for t in goals
        ],
    }


def latest_evaluation(session: Session, city: str, day: dt.date | None) -> dict[str, Any] | None:
    """The evaluation of the latest complete year, else of the latest year with data, or None.

    The last day's year and the one before are tried; a year that cannot be evaluated (the
    year has not begun, say) is skipped.
    """
    if day is None:
        return None
    found = []
    for year in (day.year - 1, day.year):
        try:
            done = service.evaluate_year(session, year, cities=True, subjects=[city])
        except EcocreditError:
            continue
        if not done or not done[0].days_with_aqi:
            continue
        shown = service.evaluation_json(done[0], service.subject_targets(session, city))
        shown["year"] = year
        shown["complete"] = all(item["valid"] for item in shown["items"])
        found.append(shown)
    complete = [e for e in found if e["complete"]]
    chosen = complete or found
    return chosen[-1] if chosen else None


def level_days(evaluation: dict[str, Any]) -> list[dict[str, Any]]:
    """The days of each AQI category in an evaluated year, with their share of scored days."""
    total = evaluation["days_with_aqi"] or 1
    counts = evaluation["days_by_level"]
    return [
        c
        | {
            "days": counts.get(str(c["level"]), 0),
            "percent": round(100 * counts.get(str(c["level"]), 0) / total, 1),
        }
        for c in legend()
    ]


@router.get("/air", response_class=HTMLResponse)
def air_home(request: Request, session: ReadSession) -> HTMLResponse:
    """The map of every station coloured by its latest AQI, the cities and the stations."""
    stations = service.latest(session)
    context = {
        "stations": stations,
        "cities": service.latest(session, city=True),
        "legend": legend(),
        "last_day": service.last_day(session),
        "map": {"stations": [marker(s) for s in stations], "no_data": NO_DATA},
    }
    return _templates.TemplateResponse(request, "air.html", context)


@router.get("/air/stations/{code}", response_class=HTMLResponse)
def station_page(request: Request, session: ReadSession, code: str) -> HTMLResponse:
    """A station: facts, latest hour, a week of hourly AQI, a year of daily AQI, the days."""
    facts = service.station(session, code)
    latest = next((s for s in service.latest(session) if s["code"] == code), None)
    last = service.last_day(session)
    hours: list[dict[str, Any]] = []
    days: list[dict[str, Any]] = []
    if last is not None:
        first = last - dt.timedelta(days=HOURLY_DAYS - 1)
        hours = hourly_points(service.history(session, code, first, last)["hours"], first, last)
        start = last - dt.timedelta(days=CALENDAR_DAYS - 1)
        days = service.daily_report(session, code, start, last)["days"]
    scored = [d for d in days if d["aqi"] is not None]
    context = {
        "s": facts,
        "latest": latest,
        "pollutants": [p.value for p in POLLUTANTS],
        "legend": legend(),
        "last_day": last,
        "city_page": facts["city"] in service.cities(session),
        "days": list(reversed(scored)),
        "chart": {
            "hours": hours,
            "calendar": calendar_cells(scored, last) if last else None,
            "legend": legend(),
        },
    }
    return _templates.TemplateResponse(request, "air_station.html", context)


@router.get("/air/cities/{city}", response_class=HTMLResponse)
def city_page(request: Request, session: ReadSession, city: str) -> HTMLResponse:
    """A city: its latest AQI, the annual PM2.5 trend with limits and targets, its stations."""
    members = service.city_members(session, city)
    evaluation = latest_evaluation(session, city, service.last_day(session))
    context = {
        "city": city,
        "members": members,
        "latest": next((c for c in service.latest(session, city=True) if c["city"] == city), None),
        "stations": [s for s in service.latest(session) if s["city"] == city],
        "evaluation": evaluation,
        "levels": level_days(evaluation) if evaluation else [],
        "legend": legend(),
        "chart": trend_chart(service.trend(session, city)),
    }
    return _templates.TemplateResponse(request, "air_city.html", context)
