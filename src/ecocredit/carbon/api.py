"""HTTP API of carbon accounting: the factor library, organisations and their inventories.

Reads need no key: the factor library, organisations, inventory reports (JSON, the records CSV
whose SHA-256 is in the log, and the records with their results as CSV). Writes need an
account with the role ``reporter`` (or the admin), and only the organisation's own account
writes its inventories; each write is one transaction with its log entry. Product systems
are in :mod:`ecocredit.carbon.api_products`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ecocredit.accounts.model import Principal, Role
from ecocredit.api_deps import CSV_OR_JSON_BODY, ReadSession, RuntimeDep, read_body, require
from ecocredit.carbon import catalog, service
from ecocredit.carbon.model import CODE_PATTERN, FACTOR_ID_PATTERN, Intensity
from ecocredit.errors import InvalidParameter
from ecocredit.idempotency import run_once

router = APIRouter(prefix="/v1/carbon", tags=["carbon"])
Reporter = Annotated[Principal, Depends(require(Role.REPORTER, Role.ADMIN))]
MAX_BODY = 256 * 1024 * 1024
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A parameter, field or record is invalid; the body names it."},
    404: {"description": "No such organisation, inventory or factor."},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"description": "No valid API key."},
    403: {"description": "The caller may not write for this organisation."},
    409: {"description": "Clashes with the current state (a submitted version, a taken name)."},
    503: {"description": "The outcome of the commit is unknown or the database is not ready."},
}
Code = Annotated[str, Path(max_length=64, pattern=CODE_PATTERN, description="Organisation code.")]
Year = Annotated[int, Path(ge=1990, le=2100, description="Inventory year.")]
Version = Annotated[int | None, Query(ge=1, le=100_000, description="Version; latest if omitted.")]
Slug = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9][a-z0-9_.\-]*$")]
Series = Annotated[str | None, Query(max_length=32, pattern=r"^[A-Za-z0-9 /.\-]+$")]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]


@router.get("/factors", responses=ERRORS)
def factors(
    session: ReadSession,
    activity: Slug = None,
    series: Series = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> list[dict[str, Any]]:
    """Published and users' emission factors with their sources, filtered."""
    return service.factor_list(session, activity, series, year)


@router.get("/factors/{factor_id:path}", responses=ERRORS)
def factor(
    session: ReadSession,
    factor_id: Annotated[str, Path(max_length=128, pattern=FACTOR_ID_PATTERN)],
) -> dict[str, Any]:
    """One factor: kg of each gas per unit, its parameters and provenance."""
    return service.factor_detail(session, factor_id)


class FactorIn(BaseModel):
    """A user's own factor: kilograms of each gas per one unit of an activity."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}$")
    activity: str = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]{0,63}$")
    unit: str = Field(min_length=1, max_length=40)
    gases: dict[str, float] = Field(description="kg of each gas per unit, e.g. {'CO2': 2.1}")
    source: str = Field(min_length=1, max_length=500)
    method: str = Field(default="user", min_length=1, max_length=32)
    data_year: int | None = Field(default=None, ge=1990, le=2100)
    region: str = Field(default="", max_length=50)


@router.post("/factors", responses=WRITE_ERRORS, status_code=201)
def add_factor(runtime: RuntimeDep, caller: Reporter, body: FactorIn) -> dict[str, Any]:
    """Add your own factor; its id is ``<your account>/<name>`` and it is never changed."""
    new = service.NewFactor(**body.model_dump())
    factor_id = runtime.db.write(lambda s: service.add_factor(s, new, caller))
    runtime.sign_checkpoint()
    with runtime.db.read() as session:
        return service.factor_detail(session, factor_id)


@router.get("/gwp")
def gwp() -> dict[str, Any]:
    """The GWP100 sets a report may choose, by gas, with their sources."""
    return {"sets": catalog.gwp_sets(), "sources": catalog.gwp_sources()}


@router.get("/organisations")
def organisations(session: ReadSession) -> list[dict[str, Any]]:
    """Organisations that report inventories."""
    return service.organisation_list(session)


class OrganisationIn(BaseModel):
    """An organisation and the account that reports for it (yours unless you are admin)."""

    model_config = ConfigDict(extra="forbid")
    organisation: str = Field(pattern=CODE_PATTERN, max_length=64)
    name: Text200
    account: str | None = Field(default=None, max_length=64)
    industry: str = Field(default="", max_length=100)


@router.post("/organisations", responses=WRITE_ERRORS, status_code=201)
def add_organisation(runtime: RuntimeDep, caller: Reporter, body: OrganisationIn) -> dict[str, Any]:
    """Register an organisation."""
    account = body.account or caller.name
    runtime.db.write(
        lambda s: service.register_organisation(
            s, body.organisation, body.name, account, body.industry, caller
        )
    )
    runtime.sign_checkpoint()
    with runtime.db.read() as session:
        return service.organisation(session, body.organisation)


@router.get("/organisations/{code}", responses=ERRORS)
def organisation(session: ReadSession, code: Code) -> dict[str, Any]:
    """An organisation, its facilities and its inventory versions."""
    return service.organisation(session, code)


class FacilityIn(BaseModel):
    """A facility; its province chooses regional grid factors."""

    model_config = ConfigDict(extra="forbid")
    facility: str = Field(pattern=CODE_PATTERN, max_length=64)
    name: Text200
    province: str | None = Field(default=None, max_length=16)


@router.post("/organisations/{code}/facilities", responses=WRITE_ERRORS, status_code=201)
def add_facility(
    runtime: RuntimeDep, caller: Reporter, code: Code, body: FacilityIn
) -> dict[str, Any]:
    """Register or change a facility of the organisation."""
    runtime.db.write(
        lambda s: service.register_facility(
            s, code, body.facility, body.name, body.province, caller
        )
    )
    runtime.sign_checkpoint()
    with runtime.db.read() as session:
        return service.organisation(session, code)


@router.get("/organisations/{code}/inventories/{year}", responses=ERRORS)
def inventory_report(session: ReadSession, code: Code, year: Year, version: Version = None) -> Any:
    """A version's report: totals, factors, intensity, year-on-year change and its hashes."""
    return service.report(session, code, year, version)


@router.get(
    "/organisations/{code}/inventories/{year}/records.csv",
    responses={**ERRORS, 200: {"content": {"text/csv": {}}}},
    response_class=Response,
)
def records_csv(session: ReadSession, code: Code, year: Year, version: Version = None) -> Response:
    """The records as entered: the file whose SHA-256 is the report's ``records_sha256``."""
    return Response(service.records_frame(session, code, year, version), media_type="text/csv")


@router.get(
    "/organisations/{code}/inventories/{year}/results.csv",
    responses={**ERRORS, 200: {"content": {"text/csv": {}}}},
    response_class=Response,
)
def results_csv(session: ReadSession, code: Code, year: Year, version: Version = None) -> Response:
    """Every record with its factors and its emissions per gas and in CO2e."""
    frame = service.records_with_results(session, code, year, version)
    return Response(frame.write_csv(date_format="%Y-%m-%d"), media_type="text/csv")


@router.post(
    "/organisations/{code}/inventories/{year}/records",
    responses=WRITE_ERRORS,
    openapi_extra=CSV_OR_JSON_BODY,
)
async def add_records(
    request: Request,
    runtime: RuntimeDep,
    caller: Reporter,
    code: Code,
    year: Year,
    replace: Annotated[bool, Query(description="Replace the draft's records.")] = False,
    name: Annotated[str, Query(max_length=255, pattern=r"^[^/\\\x00-\x1f]+$")] = "upload.csv",
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> Any:
    """Add activity records (CSV, or a JSON array of objects) to the year's draft."""
    body = await read_body(request, MAX_BODY)
    frame = _frame(request, body, name, year)
    sha256 = hashlib.sha256(body).hexdigest()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    signature = {
        "code": code, "year": year, "replace": replace, "sha256": sha256, "name": name,
        "content_type": kind,
    }  # fmt: skip

    def work(session: Any) -> Any:
        def run() -> tuple[int, Any]:
            done = service.import_records(
                session, code, year, frame, (name, sha256), caller, replace=replace
            )
            return 200, done.__dict__

        return run_once(session, caller, key, signature, run)[1]

    result = runtime.db.write(work)
    runtime.sign_checkpoint()
    return result


def _frame(request: Request, body: bytes, name: str, year: int) -> Any:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            rows = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise InvalidParameter("the body is not valid JSON", field="body") from exc
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InvalidParameter("the body must be a JSON array of objects", field="body")
        return service.read_rows(rows, name, year)
    return service.read_csv(body, name, year)


class OptionsIn(BaseModel):
    """A draft's report choices."""

    model_config = ConfigDict(extra="forbid")
    gwp: str = Field(default="AR6", pattern="^(SAR|AR4|AR5|AR6)$")
    series: str | None = Field(default=None, max_length=32)
    output_quantity: float | None = Field(default=None, gt=0, lt=1e15)
    output_unit: str | None = Field(default=None, max_length=40)
    revenue_wan_cny: float | None = Field(default=None, gt=0, lt=1e15)


@router.put("/organisations/{code}/inventories/{year}/options", responses=WRITE_ERRORS)
def set_options(
    runtime: RuntimeDep, caller: Reporter, code: Code, year: Year, body: OptionsIn
) -> dict[str, Any]:
    """Choose the draft's GWP set, preferred factor series, output and revenue."""
    intensity = Intensity(body.output_quantity, body.output_unit, body.revenue_wan_cny)
    options = service.ReportOptions(year, body.gwp, body.series, intensity)
    runtime.db.write(lambda s: service.set_options(s, code, year, options, caller))
    return {"organisation": code, "year": year} | body.model_dump()


@router.post("/organisations/{code}/inventories/{year}/submit", responses=WRITE_ERRORS)
def submit(runtime: RuntimeDep, caller: Reporter, code: Code, year: Year) -> Any:
    """Compute the draft, freeze it and put its hashes and totals into the log."""
    report = runtime.db.write(lambda s: service.submit(s, code, year, caller))
    runtime.sign_checkpoint()
    return report


class CorrectionIn(BaseModel):
    """Why the submitted version is being corrected."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


@router.post(
    "/organisations/{code}/inventories/{year}/corrections", responses=WRITE_ERRORS, status_code=201
)
def correct(
    runtime: RuntimeDep, caller: Reporter, code: Code, year: Year, body: CorrectionIn
) -> dict[str, Any]:
    """Open the next version as a copy of the submitted one; the old one stays readable."""
    version = runtime.db.write(lambda s: service.correct(s, code, year, body.reason, caller))
    return {"organisation": code, "year": year, "version": version, "status": "draft"}
