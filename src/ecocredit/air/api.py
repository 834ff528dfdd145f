"""HTTP API of air quality: public reads of stations, AQI, reports and evaluations; imports.

Reads need no key. Writes (stations, observations, targets) need an account with the role
``monitor``; each is one transaction with its log entry. ``POST /v1/air/observations`` takes
any of the three layouts as the request body (a site file, a wide CSV, a long CSV or JSON) and
answers with the import report: what was taken, what was rejected and why, by line.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ecocredit.accounts.model import Principal, Role
from ecocredit.air import service
from ecocredit.air.api_render import import_json, station_in
from ecocredit.air.evaluate import Target
from ecocredit.air.model import STATION_CODE_PATTERN, DataStatus, Layout, Pollutant
from ecocredit.api_deps import CSV_OR_JSON_BODY, ReadSession, RuntimeDep, read_body, require
from ecocredit.errors import InvalidParameter
from ecocredit.text import check_text

router = APIRouter(prefix="/v1/air", tags=["air"])
Monitor = Annotated[Principal, Depends(require(Role.MONITOR, Role.ADMIN))]
MAX_BODY = 64 * 1024 * 1024
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A parameter is invalid or unknown; the body names it."},
    404: {"description": "No such station or city."},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"description": "No valid API key."},
    403: {"description": "The caller's account may not change air-quality data."},
    409: {"description": "Clashes with a concurrent write; retry."},
    503: {"description": "The outcome of the commit is unknown or the database is not ready."},
}
Code = Annotated[
    str, Path(max_length=16, pattern=STATION_CODE_PATTERN, description="Station code, e.g. 1001A.")
]
City = Annotated[
    str, Path(max_length=50, pattern=r"^[^\x00-\x1f\x7f]+$", description="City name, e.g. 北京.")
]
Start = Annotated[dt.date, Query(description="First natural day (local time).")]
End = Annotated[dt.date, Query(description="Last natural day (local time), inclusive.")]
Year = Annotated[int, Query(ge=2000, le=2100, description="Calendar year to evaluate.")]
RuleSet = Annotated[
    str | None,
    Query(pattern="^HJ633-(2012|2026)$", description="Override the rule set chosen by date."),
]
Standard = Annotated[
    str | None,
    Query(
        pattern="^GB3095-(2012|2026-transitional|2026-final)$",
        description="GB 3095 version; by default the one in force at the end of the year.",
    ),
]


def known_only(*names: str) -> Any:
    """A dependency refusing query parameters the endpoint does not know, or repeated ones."""

    def check(request: Request) -> None:
        seen: set[str] = set()
        for key, _ in request.query_params.multi_items():
            if key not in names:
                raise InvalidParameter(f"unknown query parameter {key!r}", field=key)
            if key in seen:
                raise InvalidParameter(f"query parameter {key!r} is repeated", field=key)
            seen.add(key)

    return Depends(check)


@router.get("/stations", responses=ERRORS, dependencies=[known_only("city")])
def stations(
    session: ReadSession,
    city: Annotated[str | None, Query(max_length=50, pattern=r"^[^\x00-\x1f\x7f]+$")] = None,
) -> list[dict[str, Any]]:
    """Every station, or those of one city."""
    return service.station_rows(session, city)


@router.get("/stations/{code}", responses=ERRORS, dependencies=[known_only()])
def station(session: ReadSession, code: Code) -> dict[str, Any]:
    """One station."""
    return service.station(session, code)


@router.get("/latest", responses=ERRORS, dependencies=[known_only()])
def latest(session: ReadSession) -> list[dict[str, Any]]:
    """Every station's newest hour: AQI, level, category, colour, primary pollutants, IAQIs."""
    return service.latest(session)


@router.get("/cities", responses=ERRORS, dependencies=[known_only()])
def cities(session: ReadSession) -> list[dict[str, Any]]:
    """Every city's newest hour (the mean of its national stations) with its AQI."""
    return service.latest(session, city=True)


@router.get(
    "/stations/{code}/hours",
    responses=ERRORS,
    dependencies=[known_only("start", "end", "rule_set")],
)
def station_hours(
    session: ReadSession, code: Code, start: Start, end: End, rule_set: RuleSet = None
) -> dict[str, Any]:
    """A station's hourly history with the real-time AQI of every hour."""
    return service.history(session, code, start, end, rules=rule_set)


@router.get(
    "/cities/{city}/hours", responses=ERRORS, dependencies=[known_only("start", "end", "rule_set")]
)
def city_hours(
    session: ReadSession, city: City, start: Start, end: End, rule_set: RuleSet = None
) -> dict[str, Any]:
    """A city's hourly history (mean of its national stations) with the AQI of every hour."""
    return service.history(session, city, start, end, city=True, rules=rule_set)


@router.get(
    "/stations/{code}/days", responses=ERRORS, dependencies=[known_only("start", "end", "rule_set")]
)
def station_days(
    session: ReadSession, code: Code, start: Start, end: End, rule_set: RuleSet = None
) -> dict[str, Any]:
    """A station's daily report: daily values, IAQIs, AQI, primary pollutants, level."""
    return service.daily_report(session, code, start, end, rules=rule_set)


@router.get(
    "/cities/{city}/days", responses=ERRORS, dependencies=[known_only("start", "end", "rule_set")]
)
def city_days(
    session: ReadSession, city: City, start: Start, end: End, rule_set: RuleSet = None
) -> dict[str, Any]:
    """A city's daily report."""
    return service.daily_report(session, city, start, end, city=True, rules=rule_set)


@router.get(
    "/stations/{code}/evaluation", responses=ERRORS, dependencies=[known_only("year", "standard")]
)
def station_evaluation(
    session: ReadSession, code: Code, year: Year, standard: Standard = None
) -> dict[str, Any]:
    """A station's annual evaluation against GB 3095 Grade II."""
    service.station(session, code)
    found = service.evaluate_year(session, year, cities=False, subjects=[code], standard=standard)
    return service.evaluation_json(found[0], service.subject_targets(session, code))


@router.get(
    "/cities/{city}/evaluation", responses=ERRORS, dependencies=[known_only("year", "standard")]
)
def city_evaluation(
    session: ReadSession, city: City, year: Year, standard: Standard = None
) -> dict[str, Any]:
    """A city's annual evaluation, with its progress toward any target set for it."""
    service.city_members(session, city)
    found = service.evaluate_year(session, year, cities=True, subjects=[city], standard=standard)
    return service.evaluation_json(found[0], service.subject_targets(session, city))


@router.get("/cities/{city}/trend", responses=ERRORS, dependencies=[known_only()])
def city_trend(session: ReadSession, city: City) -> dict[str, Any]:
    """A city's annual PM2.5 by year (published and computed), its limits and targets."""
    service.city_members(session, city)
    return service.trend(session, city)


class StationIn(BaseModel):
    """A monitoring station."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=16)
    name: str = Field(max_length=100)
    city: str = Field(max_length=50)
    province: str = Field(default="", max_length=50)
    longitude: float = Field(ge=-180, le=180)
    latitude: float = Field(ge=-90, le=90)
    kind: str = Field(default="national", max_length=16)


class TargetIn(BaseModel):
    """A target for a subject's annual mean, with its baseline and source."""

    model_config = ConfigDict(extra="forbid")
    subject: str = Field(max_length=50)
    pollutant: Pollutant
    year: int = Field(ge=2000, le=2100)
    value: float = Field(ge=0, le=10_000)
    baseline_year: int = Field(ge=1990, le=2100)
    baseline: float = Field(ge=0, le=10_000)
    source: str = Field(max_length=500)


@router.post("/stations", responses=WRITE_ERRORS)
def add_stations(
    runtime: RuntimeDep, caller: Monitor, body: Annotated[list[StationIn], Field(max_length=5000)]
) -> dict[str, int]:
    """Register stations or change their description (role ``monitor``)."""
    items = [station_in(s.model_dump()) for s in body]
    done = runtime.db.write(lambda s: service.register_stations(s, items, caller))
    runtime.sign_checkpoint()
    return done


@router.post("/targets", responses=WRITE_ERRORS)
def add_target(runtime: RuntimeDep, caller: Monitor, body: TargetIn) -> dict[str, str]:
    """Set a city's or station's target (role ``monitor``)."""
    target = Target(**body.model_dump())
    runtime.db.write(lambda s: service.set_target(s, target, caller))
    runtime.sign_checkpoint()
    return {"subject": target.subject, "pollutant": target.pollutant.value}


@router.post(
    "/observations",
    responses=WRITE_ERRORS,
    openapi_extra=CSV_OR_JSON_BODY,
)
async def observations(
    request: Request,
    runtime: RuntimeDep,
    caller: Monitor,
    status: Annotated[DataStatus, Query()] = DataStatus.REALTIME,
    layout: Annotated[Layout | None, Query()] = None,
    name: Annotated[str, Query(max_length=255, pattern=r"^[^/\\]+$")] = "upload",
) -> dict[str, Any]:
    """Import observations in any layout; the report names every rejected line."""
    check_text(name, "name", 255)
    body = await read_body(request, MAX_BODY)
    source = service.SourceFile(name, body, layout)
    report = runtime.db.write(
        lambda s: service.import_files(s, [source], status=status, actor=caller)
    )
    runtime.sign_checkpoint()
    return import_json(report)
