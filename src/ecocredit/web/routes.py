"""Portal pages. They read through the same services as the API, so the two never disagree."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ecocredit.api_deps import ReadSession, RuntimeDep
from ecocredit.ledger import checkpoints, store
from ecocredit.ledger import service as ledger

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
_templates = Jinja2Templates(directory=WEB_DIR / "templates")

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: ReadSession, runtime: RuntimeDep) -> HTMLResponse:
    """The home page: the log's size, latest checkpoint, public key and newest entries."""
    latest = checkpoints.latest(session)
    head = store.read_head(session)
    recent = [(e.index, e.decoded()) for e in ledger.latest_entries(session, 20)]
    base = str(request.base_url).rstrip("/")
    return _templates.TemplateResponse(
        request,
        "home.html",
        {
            "size": head.size,
            "checkpoint": latest,
            "public_key": checkpoints.public_key(session),
            "recent": recent,
            "origin": runtime.settings.log_origin,
            "base": base,
        },
    )
