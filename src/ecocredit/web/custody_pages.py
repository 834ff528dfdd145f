"""Portal page of a marine-plastic product: what its QR code opens.

It shows the product, the pellets it was made of, the recycler, the transport and the stations
the plastic went through, every collector with the kilograms of the product each brought and
their share, the product's sales and the fund's payouts to those collectors. The QR code is an
inline SVG (segno) of this page's absolute URL, so a printed label leads back here. The reads
are the API's (:mod:`ecocredit.inclusion.ops.custody`, :mod:`ecocredit.inclusion.ops.fund`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from ecocredit.api_deps import ReadSession
from ecocredit.inclusion.custody import portal_path
from ecocredit.inclusion.custody_model import Stage
from ecocredit.inclusion.ops import custody, fund
from ecocredit.web.carbon_pages import number
from ecocredit.web.routes import WEB_DIR

router = APIRouter(include_in_schema=False)
Code = Annotated[str, Path(pattern=r"^[A-Z2-7]{16}$")]

_templates = Jinja2Templates(directory=WEB_DIR / "templates")
_templates.env.filters.update(
    {"kg": lambda grams: number(grams / 1000, 3), "yuan": lambda cents: number(cents / 100, 2)}
)


def qr_svg(url: str) -> Markup:
    """The QR code of ``url`` as inline SVG (error correction M: a label may get scuffed)."""
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=4, svgclass="custody-qr", title="QR code of this page")
    # Safe as markup: segno writes only its own elements and paths; the URL is encoded in
    # the modules, never written out as text.
    return Markup(svg)  # noqa: S704


def _holders(lots: Sequence[Mapping[str, Any]], stage: Stage) -> list[str]:
    return sorted({lot["holder"] for lot in lots if lot["stage"] == stage.value})


def _collectors(trace: Mapping[str, Any], paid: Sequence[Mapping[str, Any]]) -> list[Any]:
    """Each collector: grams of the product, share, lots brought and cents paid by the fund."""
    total = trace["grams"]
    lots: dict[str, int] = {}
    for lot in trace["lots"]:
        if "collector" in lot:
            lots[lot["collector"]] = lots.get(lot["collector"], 0) + 1
    cents: dict[str, int] = {}
    for payout in paid:
        cents[payout["collector"]] = cents.get(payout["collector"], 0) + payout["cents"]
    return [
        {"name": name, "grams": grams, "share": 100 * grams / total, "lots": lots.get(name, 0),
         "paid_cents": cents.get(name, 0)}
        for name, grams in trace["collectors"]
    ]  # fmt: skip


@router.get("/inclusion/products/{code}", response_class=HTMLResponse)
def product_page(request: Request, session: ReadSession, code: Code) -> HTMLResponse:
    """A product traced to every collector, with its sales, the fund's payouts and its QR."""
    trace = custody.trace(session, code)
    names = [name for name, _ in trace["collectors"]]
    paid = fund.payouts_to(session, names)
    lots = trace["lots"]
    url = str(request.base_url).rstrip("/") + portal_path(code)
    context = {
        "t": trace, "url": url, "qr": qr_svg(url),
        "collectors": _collectors(trace, paid), "payouts": paid,
        "sales": fund.sales_of(session, code),
        "pellets": [lot for lot in lots if lot["stage"] == Stage.PELLETS.value],
        "collected": [lot for lot in lots if lot["stage"] == Stage.COLLECTED.value],
        "recyclers": _holders(lots, Stage.RECYCLER),
        "transport": _holders(lots, Stage.TRANSPORT),
        "stations": _holders(lots, Stage.STATION),
    }  # fmt: skip
    return _templates.TemplateResponse(request, "custody_product.html", context)
