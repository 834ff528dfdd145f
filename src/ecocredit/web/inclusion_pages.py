"""Portal pages of carbon inclusion: every programme with the overall dashboard, and one programme.

They read through :mod:`ecocredit.inclusion.service`, the same reads the API serves. The
headline figures are the ones the brief quotes for the clean-plate app (participants, food
saved, CO2 reduced), with plastic recovered and points beside them; the daily series are
embedded as JSON (``|tojson``) and drawn by the vendored ECharts, offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from ecocredit.api_deps import ReadSession
from ecocredit.inclusion import service
from ecocredit.inclusion.custody_tables import lots
from ecocredit.web.carbon_pages import number, tonnes
from ecocredit.web.routes import WEB_DIR

router = APIRouter(include_in_schema=False)
Code = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]

_templates = Jinja2Templates(directory=WEB_DIR / "templates")
_templates.env.filters.update(
    {
        "number": number,
        "tonnes": tonnes,
        "whole": lambda value: number(value, 0),
        "segment": lambda text: quote(str(text), safe=""),
    }
)


def daily_chart(dashboard: Mapping[str, Any]) -> dict[str, Any]:
    """The daily series the charts draw, as plain numbers."""
    days = dashboard["daily"]

    def series(key: str) -> list[float]:
        return [float(d[key]) for d in days]

    return {
        "days": [d["day"] for d in days],
        "participants": series("participants"),
        "accepted": [d["actions"]["accepted"] for d in days],
        "rejected": [d["actions"]["rejected"] for d in days],
        "review": [d["actions"]["review"] for d in days],
        "co2e_t": series("co2e_t"),
        "food_saved_t": series("food_saved_t"),
        "plastic_recovered_t": series("plastic_recovered_t"),
        "recycled_t": series("recycled_t"),
        "points_granted": series("points_granted"),
        "points_redeemed": series("points_redeemed"),
        "programmes": [
            {"name": f"{p['code']} · {p['name']}", "co2e_t": float(p["co2e_t"])}
            for p in dashboard.get("programmes", [])
        ],
    }


@router.get("/inclusion", response_class=HTMLResponse)
def inclusion_home(request: Request, session: ReadSession) -> HTMLResponse:
    """Every programme, and what they achieved together: headline figures and daily charts."""
    found = service.dashboard(session)
    listed = {p["code"]: p for p in service.programme_list(session)}
    rows = [p | {"info": listed.get(p["code"], {})} for p in found["programmes"]]
    products = session.execute(
        select(lots.c.id, lots.c.product_code, lots.c.holder, lots.c.mass)
        .where(lots.c.product_code.is_not(None)).order_by(lots.c.id).limit(200)
    ).mappings().all()  # fmt: skip
    context = {"d": found, "t": found["totals"], "programmes": rows, "chart": daily_chart(found),
               "products": products}  # fmt: skip
    return _templates.TemplateResponse(request, "inclusion.html", context)


@router.get("/inclusion/programmes/{code}", response_class=HTMLResponse)
def programme_page(request: Request, session: ReadSession, code: Code) -> HTMLResponse:
    """One programme: its rules, rewards with stock, dashboard charts and review queue."""
    found = service.programme(session, code)
    board = service.dashboard(session, code)
    context = {"p": found, "d": board, "t": board["totals"], "chart": daily_chart(board)}
    return _templates.TemplateResponse(request, "inclusion_programme.html", context)
