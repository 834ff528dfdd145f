"""Portal pages of carbon accounting: organisations, inventory years, reports, product footprints.

They read through :mod:`ecocredit.carbon.service`, the same reads the API serves, so a page
and the JSON it links to never disagree. What the charts draw is embedded in the page as JSON
(``|tojson``), so a page needs no second request and works offline with the vendored ECharts.
An unknown organisation, year, version or product raises the service's ``NotFound``, which the
app answers with 404, as it does for the API.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from ecocredit.api_deps import ReadSession
from ecocredit.carbon import catalog, service
from ecocredit.carbon.inventory import HASHED
from ecocredit.carbon.model import CODE_PATTERN
from ecocredit.errors import NotFound
from ecocredit.web.routes import WEB_DIR

router = APIRouter(include_in_schema=False)
SUBMITTED = "submitted"
TRUSTED = ("verified", "corroborated", "user")  # statuses shown without a warning
TOP_SOURCES = 12  # the by-source chart shows the largest sources only; the table has them all
TREE_DEPTH = 6  # levels of a product's tree drawn in the sunburst (the rest is summed in)
SCOPES = (
    ("scope1", "Scope 1"),
    ("scope2_location", "Scope 2 (location)"),
    ("scope2_market", "Scope 2 (market)"),
    ("scope3", "Scope 3"),
)
TOTALS = (("total_location", "Total (location-based)"), ("total_market", "Total (market-based)"))

Code = Annotated[str, Path(max_length=64, pattern=CODE_PATTERN, description="Organisation code.")]
YearPath = Annotated[int, Path(ge=1990, le=2100)]
YearQuery = Annotated[int | None, Query(ge=1990, le=2100)]
VersionQuery = Annotated[int | None, Query(ge=1, le=100_000)]
ProductCode = Annotated[str, Path(max_length=64, pattern=CODE_PATTERN, description="Product.")]
Amount = Annotated[float, Query(gt=0, lt=1e12)]
Gwp = Annotated[str | None, Query(pattern="^(SAR|AR4|AR5|AR6)$")]


def number(value: Any, digits: int = 3) -> str:
    """A number (or its decimal string) with thousands separators and ``digits`` decimals."""
    if value is None or value == "":
        return "—"
    try:
        shown = f"{Decimal(str(value)):,.{digits}f}"
    except (InvalidOperation, ValueError):
        return str(value)
    return shown.lstrip("-") if not shown.strip("-0.,") else shown  # never "-0.000"


def tonnes(value: Any) -> str:
    """Tonnes as reports give them (three decimals: kilogram resolution), with separators."""
    return number(value, 3)


def signed(value: Any, digits: int = 3) -> str:
    """A change with its sign: ``+1,234.500`` or ``-0.250``; a dash when unknown."""
    shown = number(value, digits)
    if shown.startswith("-") or not any(c in "123456789" for c in shown):
        return shown
    return "+" + shown


def significant(value: Any) -> str:
    """A factor value with six significant digits and thousands separators."""
    if value is None:
        return "—"
    return f"{Decimal(f'{float(value):.6g}'):,f}"  # 6e-05 as 0.00006, 1.23457e+06 as 1,234,570


def percent(part: float, whole: float) -> str:
    """``part`` as a percentage of ``whole`` with one decimal, or a dash."""
    return f"{100.0 * part / whole:.1f}" if whole else "—"


def label(text: Any) -> str:
    """A code such as ``stationary_combustion`` as words."""
    return str(text).replace("_", " ")


_templates = Jinja2Templates(directory=WEB_DIR / "templates")
_filters: Mapping[str, Callable[..., str]] = {
    "tonnes": tonnes,
    "number": number,
    "signed": signed,
    "significant": significant,
    "words": label,
    "segment": lambda text: quote(str(text), safe=""),  # one path segment
    "factor_path": lambda text: quote(str(text), safe="/"),  # factor ids keep their slash
    "short": lambda text: f"{str(text)[:12]}…" if text else "—",
}
_templates.env.filters.update(_filters)


def _float(value: Any) -> float:
    return float(value) if value not in (None, "") else 0.0


def _factor_rows(factors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Factors as the tables show them: gases per unit, and whether the value is trusted."""
    return [
        f
        | {
            "values": [
                {"gas": gas, "kg": significant(kg)} for gas, kg in f.get("kg_per_unit", {}).items()
            ],
            "trusted": f.get("status") in TRUSTED,
        }
        for f in factors
    ]


def gas_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Tonnes of each gas (location-based), its GWP100 and the CO2e it makes."""
    rows = []
    for gas, t in summary["gases_t"].items():
        gwp = summary.get("gwp", {}).get(gas)
        co2e = None if gwp is None else Decimal(str(t)) * Decimal(str(gwp))
        rows.append({"gas": gas, "t": t, "gwp": gwp, "t_co2e": co2e})
    return rows


def inventory_chart(report: Mapping[str, Any]) -> dict[str, Any]:
    """What the four charts of an inventory year draw, as numbers (tonnes CO2e)."""
    summary = report["summary"]
    totals = summary["totals_t"]
    sources = summary["by_source"][:TOP_SOURCES]
    return {
        "scopes": [{"key": k, "label": name, "t": _float(totals[k])} for k, name in SCOPES],
        "sources": [
            {
                "label": f"S{s['scope']} · {label(s['category'])} · {label(s['activity'])}",
                "location": _float(s["t_co2e_location"]),
                "market": _float(s["t_co2e_market"]),
            }
            for s in reversed(sources)  # the largest on top of a horizontal bar chart
        ],
        "more_sources": max(0, len(summary["by_source"]) - TOP_SOURCES),
        "facilities": [
            {"label": f"{f['facility']} · {f['name']}"} | {k: _float(f[k]) for k, _ in SCOPES}
            for f in summary["by_facility"]
        ],
        "scope_names": dict(SCOPES),
        "months": [
            {
                "month": m["month"],
                "location": _float(m["t_co2e_location"]),
                "market": _float(m["t_co2e_market"]),
            }
            for m in summary["by_month"]
        ],
    }


def _chosen_version(listed: list[dict[str, Any]], version: int | None) -> dict[str, Any]:
    """The version the service reports: the given one, else the latest submitted, else draft."""
    if version is not None:
        found = [v for v in listed if v["version"] == version]
    else:
        found = sorted(listed, key=lambda v: (v["status"] == SUBMITTED, v["version"]))
    if not found:
        raise NotFound(f"no version {version} of this inventory", field="version")
    return found[-1]


def _default_year(inventories: list[dict[str, Any]]) -> int | None:
    """The latest year with a version that has records (else the latest year), or None."""
    with_records = [v["year"] for v in inventories if v["records"]]
    years = with_records or [v["year"] for v in inventories]
    return max(years) if years else None


def _inventory(
    session: Session, code: str, year: int, version: int | None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]], dict[str, Any]]:
    """The report of a version, the year's versions and the chosen version's row.

    The report is None for a draft without records (there is nothing to compute). A year or
    version that does not exist raises NotFound.
    """
    listed = service.versions(session, code, year)
    if not listed:
        raise NotFound(f"no inventory of {code} for {year}", field="year")
    chosen = _chosen_version(listed, version)
    if chosen["status"] != SUBMITTED and not chosen["records"]:
        return None, listed, chosen  # nothing to compute yet
    return service.report(session, code, year, chosen["version"]), listed, chosen


def _links(code: str, year: int, version: int) -> dict[str, str]:
    base = f"/v1/carbon/organisations/{quote(code, safe='')}/inventories/{year}"
    query = f"?version={version}"
    return {
        "json": base + query,
        "records": f"{base}/records.csv{query}",
        "results": f"{base}/results.csv{query}",
        "report": f"/carbon/organisations/{quote(code, safe='')}/inventories/{year}/report{query}",
    }


def ledger_entry(index: int | None) -> str | None:
    """The API address of one log entry (the log serves entries as ranges)."""
    return None if index is None else f"/v1/ledger/entries?start={index}&end={index + 1}"


def _inputs(value: Any) -> str:
    """A product's inputs, whatever their shape: a count, codes, or objects with codes."""
    if isinstance(value, list | tuple):
        names = [
            str(v.get("code") or v.get("name") or "") if isinstance(v, dict) else str(v)
            for v in value
        ]
        return ", ".join(n for n in names if n) or str(len(value))
    return "—" if value is None else str(value)


def _factor_library(session: Session) -> list[dict[str, Any]]:
    """Counts of the library's factors by series and status."""
    counts = Counter((f["series"], f["status"]) for f in service.factor_list(session))
    series = sorted({s for s, _ in counts})
    statuses = ("verified", "corroborated", "secondary", "unverified", "user")
    return [
        {"series": s, "counts": {st: counts.get((s, st), 0) for st in statuses}} for s in series
    ]


@router.get("/carbon", response_class=HTMLResponse)
def carbon_home(request: Request, session: ReadSession) -> HTMLResponse:
    """Organisations that report inventories, product systems, and the factor library."""
    listing = getattr(service, "product_list", None)
    found = listing(session) if listing is not None else []
    products = [p | {"inputs_text": _inputs(p.get("inputs"))} for p in found]
    context = {
        "organisations": service.organisation_list(session),
        "products": products,
        "products_available": listing is not None,
        "library": _factor_library(session),
        "gwp_sets": list(catalog.gwp_sets()),
        "defaults": catalog.defaults(),
    }
    return _templates.TemplateResponse(request, "carbon.html", context)


@router.get("/carbon/organisations/{code}", response_class=HTMLResponse)
def organisation_page(
    request: Request,
    session: ReadSession,
    code: Code,
    year: YearQuery = None,
    version: VersionQuery = None,
) -> HTMLResponse:
    """An organisation's inventory year: totals, charts, versions, factors and notes."""
    org = service.organisation(session, code)
    years = sorted({v["year"] for v in org["inventories"]}, reverse=True)
    shown = year if year is not None else _default_year(org["inventories"])
    if shown is None and version is not None:
        raise NotFound(f"{code} has no inventory", field="version")
    report, listed, chosen = (
        _inventory(session, code, shown, version) if shown is not None else (None, [], {})
    )
    context = {
        "org": org,
        "years": years,
        "year": shown,
        "r": report,
        "s": report["summary"] if report else None,
        "chosen": chosen,
        "versions": listed,
        "scopes": SCOPES,
        "totals": TOTALS,
        "factors": _factor_rows(report["factors"]) if report else [],
        "gases": gas_rows(report["summary"]) if report else [],
        "links": _links(code, shown, chosen["version"]) if shown is not None and chosen else {},
        "entry": ledger_entry(report.get("ledger_index")) if report else None,
        "chart": inventory_chart(report) if report else None,
    }
    return _templates.TemplateResponse(request, "carbon_organisation.html", context)


@router.get("/carbon/organisations/{code}/inventories/{year}/report", response_class=HTMLResponse)
def report_page(
    request: Request, session: ReadSession, code: Code, year: YearPath, version: VersionQuery = None
) -> HTMLResponse:
    """A printable report of one version, with its hashes and how to check them."""
    org = service.organisation(session, code)
    report, _, chosen = _inventory(session, code, year, version)
    if report is None:
        raise NotFound(
            f"version {chosen['version']} of {code} {year} is a draft without records",
            field="version",
        )
    base = str(request.base_url).rstrip("/")
    context = {
        "org": org,
        "r": report,
        "s": report["summary"],
        "scopes": SCOPES,
        "totals": TOTALS,
        "factors": _factor_rows(report["factors"]),
        "gases": gas_rows(report["summary"]),
        "links": _links(code, year, chosen["version"]),
        "entry": ledger_entry(report.get("ledger_index")),
        "hashed": list(HASHED),
        "base": base,
    }
    return _templates.TemplateResponse(request, "carbon_report.html", context)


def _sunburst(node: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    """A product tree as sunburst data.

    Values below zero are drawn as zero, and levels deeper than ``TREE_DEPTH`` are summed
    into their ancestor.
    """
    kg = _float(node.get("kg_co2e"))
    shown: dict[str, Any] = {
        "name": str(node.get("name") or node.get("code") or ""),
        "code": str(node.get("code") or ""),
        "amount": node.get("amount"),
        "unit": str(node.get("unit") or ""),
        "kg": kg,
        "value": max(kg, 0.0),
    }
    children = node.get("children") or []
    if children and depth + 1 < TREE_DEPTH:
        kids = [_sunburst(c, depth + 1) for c in children]
        # A parent's value is at least the sum of its children, or the rings would overflow.
        shown["value"] = max(shown["value"], sum(k["value"] for k in kids))
        shown["children"] = kids
    return shown


@router.get("/carbon/products/{code}", response_class=HTMLResponse)
def product_page(
    request: Request,
    session: ReadSession,
    code: ProductCode,
    amount: Amount = 1.0,
    gwp: Gwp = None,
) -> HTMLResponse:
    """A product's cradle-to-gate footprint: its tree, top processes, materials, sensitivity."""
    footprint = getattr(service, "product_footprint", None)
    if footprint is None:
        raise NotFound("product footprints are not available", field="product")
    chosen = gwp or str(catalog.defaults()["gwp"])
    found = footprint(session, code, amount, chosen)
    total = _float(found.get("kg_co2e"))

    def shared(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r | {"percent": percent(_float(r.get("kg_co2e")), total)} for r in rows]

    weights = catalog.gwp_sets().get(str(found.get("gwp_set") or chosen), {})
    gases = []
    for gas, kg in (found.get("gases_kg") or {}).items():
        gwp_value = weights.get(gas)
        co2e = None if gwp_value is None else _float(kg) * float(gwp_value)
        share = percent(co2e, total) if co2e is not None else "—"
        gases.append({"gas": gas, "kg": kg, "gwp": gwp_value, "kg_co2e": co2e, "percent": share})
    gases.sort(key=lambda g: -(g["kg_co2e"] or 0.0))
    context = {
        "p": found,
        "code": code,
        "amount": amount,
        "total": total,
        "gwp_sets": list(catalog.gwp_sets()),
        "gwp": found.get("gwp_set") or chosen,
        "gases": gases,
        "processes": shared(found.get("top_processes") or []),
        "materials": shared(found.get("materials") or []),
        "sensitivity": [
            r | {"percent": percent(_float(r.get("change_kg_co2e_per_10_percent")), total)}
            for r in found.get("sensitivity") or []
        ],
        "chart": {"tree": _sunburst(found["tree"]) if found.get("tree") else None},
    }
    return _templates.TemplateResponse(request, "carbon_product.html", context)
