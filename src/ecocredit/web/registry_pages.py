"""Portal pages of the registry: supply at a glance, a batch, and retirement certificates.

They read through the registry's queries, the same ones the API serves, so a page and the
JSON it links to can never disagree.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecocredit.api_deps import ReadSession
from ecocredit.errors import NotFound
from ecocredit.registry import queries, queries_credits
from ecocredit.registry.filters import (
    BatchFilter,
    ClassFilter,
    Page,
    ProjectFilter,
    RetirementFilter,
)
from ecocredit.registry.queries_certificate import certificate
from ecocredit.registry.tables import retirements
from ecocredit.web.routes import WEB_DIR

_templates = Jinja2Templates(directory=WEB_DIR / "templates")
router = APIRouter(include_in_schema=False)
STATES = ("tradable", "retired", "cancelled", "buffer")
_ALL = Page(limit=1000)


def _everything(session: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    batches = queries.batch_list(session, BatchFilter.parse({}), _ALL)["items"]
    projects = queries.project_list(session, ProjectFilter.parse({}), _ALL)["items"]
    return batches, projects


def _charts(batches: list[dict[str, Any]], projects: list[dict[str, Any]]) -> dict[str, Any]:
    """Data for the two charts: supply by batch, and supply by province (jurisdiction)."""
    where = {p["project"]: p["jurisdiction"] for p in projects}
    by_place: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for b in batches:
        for state in STATES:
            by_place[where.get(b["project"], "?")][state] += Decimal(b[state])
    places = sorted(by_place)
    return {
        "states": list(STATES),
        "batches": [b["batch"] for b in batches],
        "by_batch": {s: [float(b[s]) for b in batches] for s in STATES},
        "places": places,
        "by_place": {s: [float(by_place[p][s]) for p in places] for s in STATES},
    }


def _totals(batches: list[dict[str, Any]]) -> dict[str, str]:
    names = ("issued", *STATES)
    sums = {n: sum((Decimal(b[n]) for b in batches), Decimal(0)) for n in names}
    return {n: f"{v.normalize():,f}" for n, v in sums.items()}


@router.get("/registry", response_class=HTMLResponse)
def registry_home(request: Request, session: ReadSession) -> HTMLResponse:
    """Supply by batch and by province, the classes, projects, batches and latest retirements."""
    batches, projects = _everything(session)
    classes = queries.class_list(session, ClassFilter.parse({}), _ALL)["items"]
    count = session.execute(select(func.count()).select_from(retirements)).scalar_one()
    newest = Page(limit=20, offset=max(0, int(count) - 20))
    latest = queries_credits.retirement_list(session, RetirementFilter.parse({}), newest)["items"]
    context = {
        "totals": _totals(batches),
        "classes": classes,
        "projects": projects,
        "batches": batches,
        "retirements": list(reversed(latest)),
        # "<" escaped so no text in the data can close the script element it sits in.
        "chart": json.dumps(_charts(batches, projects)).replace("<", "\\u003c"),
    }
    return _templates.TemplateResponse(request, "registry.html", context)


@router.get("/registry/batches/{batch}", response_class=HTMLResponse)
def batch_page(request: Request, session: ReadSession, batch: str) -> HTMLResponse:
    """One batch: its supply, project, report and retirements."""
    detail = queries.batch_detail(session, batch)
    project = queries.project_detail(session, detail["project"])
    retired = queries_credits.retirement_list(
        session, RetirementFilter.parse({"batch": batch}), _ALL
    )["items"]
    context = {"b": detail, "project": project, "retirements": retired, "states": STATES}
    return _templates.TemplateResponse(request, "registry_batch.html", context)


@router.get("/registry/retirements/{index}", response_class=HTMLResponse)
def certificate_page(request: Request, session: ReadSession, index: int) -> HTMLResponse:
    """The retirement certificate, with what a reader needs to verify it."""
    if not 0 <= index < 2**63:
        raise NotFound(f"no retirement at ledger index {index}", field="index")
    cert = certificate(session, index)
    base = str(request.base_url).rstrip("/")
    context = {"c": cert, "base": base}
    return _templates.TemplateResponse(request, "registry_certificate.html", context)
