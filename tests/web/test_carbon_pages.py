"""The carbon portal pages show what the carbon service reads: organisations, an inventory year,
its printable report and product footprints."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Role
from ecocredit.app import create_app
from ecocredit.carbon import service
from ecocredit.carbon.model import Intensity
from ecocredit.runtime import InitResult, Runtime
from ecocredit.web import carbon_pages
from ecocredit.web.carbon_pages import number, signed, tonnes

ORG = "ACME"
NASTY = '<script>alert("x")</script>&厂'
YEARS = (2023, 2024)


def activity_csv(year: int, gas: float) -> bytes:
    """Twelve months of natural gas at two facilities and grid power at one; scope 3 steel."""
    lines = ["facility,period_start,period_end,scope,category,activity,quantity,unit,factor_id"]
    for month in range(1, 13):
        start, end = f"{year}-{month:02d}-01", f"{year}-{month:02d}-28"
        lines.append(f"F1,{start},{end},1,stationary_combustion,natural_gas,{gas},10^4 Nm^3,")
        lines.append(f"F2,{start},{end},1,stationary_combustion,natural_gas,{gas / 2},10^4 Nm^3,")
        lines.append(f"F1,{start},{end},2,purchased_electricity,electricity,100000,kWh,")
        lines.append(f"F1,{start},{end},3,cat01_purchased_goods,steel,2,t,acme/steel")
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Carbon:
    """A client of an installation with one organisation's inventories."""

    client: TestClient
    runtime: Runtime
    reports: dict[int, dict[str, Any]]


def with_carbon_pages(app: FastAPI) -> FastAPI:
    """The app, with the carbon pages included unless the app factory already does so."""
    if not any(getattr(route, "path", None) == "/carbon" for route in app.routes):
        app.include_router(carbon_pages.router)
    return app


@pytest.fixture
def carbon(installed: InitResult) -> Iterator[Carbon]:
    """An organisation with a nasty name, two facilities, 2023 and 2024 submitted, and a
    correction of 2024 opened as a draft."""
    runtime = installed.runtime
    runtime.db.write(lambda s: accounts.create_account(s, "acme", [Role.REPORTER], "admin"))
    with runtime.db.read() as session:
        actor = accounts.principal(session, "acme")
    runtime.db.write(lambda s: service.register_organisation(s, ORG, NASTY, "acme", "steel", actor))
    runtime.db.write(lambda s: service.register_facility(s, ORG, "F1", NASTY, "河北", actor))
    runtime.db.write(lambda s: service.register_facility(s, ORG, "F2", "二号厂", "广东", actor))
    steel = service.NewFactor("steel", "steel", "t", {"CO2": 1850.0}, "supplier EPD <b>2024</b>")
    runtime.db.write(lambda s: service.add_factor(s, steel, actor))
    reports = {}
    for year, gas in zip(YEARS, (10.0, 12.0), strict=True):
        body = activity_csv(year, gas)
        frame = service.read_csv(body, "activity.csv", year)
        source = ("activity.csv", hashlib.sha256(body).hexdigest())
        runtime.db.write(lambda s: service.import_records(s, ORG, year, frame, source, actor))  # noqa: B023
        options = service.ReportOptions(year, "AR6", None, Intensity(1000.0, "t", None))
        runtime.db.write(lambda s: service.set_options(s, ORG, year, options, actor))  # noqa: B023
        reports[year] = runtime.db.write(lambda s: service.submit(s, ORG, year, actor))  # noqa: B023
    runtime.db.write(lambda s: service.correct(s, ORG, 2024, "fix the gas meter", actor))
    with TestClient(with_carbon_pages(create_app(runtime=runtime))) as client:
        yield Carbon(client, runtime, reports)


def embedded(html: str, element_id: str) -> Any:
    """The JSON of the ``<script type="application/json">`` element ``element_id``."""
    found = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert found is not None, f"no {element_id} in the page"
    return json.loads(found.group(1))


def assert_escaped(html: str) -> None:
    """The nasty name appears only escaped: no script element is opened by the data."""
    assert NASTY not in html
    assert "&lt;script&gt;alert(" in html
    assert html.count("<script") == html.count("</script>")
    assert '<script>alert("x")' not in html


def test_numbers_are_shown_with_separators_and_signs() -> None:
    assert tonnes("13086.841") == "13,086.841"
    assert tonnes("-0.000") == "0.000"
    assert number(None) == "—"
    assert signed("188.064") == "+188.064"
    assert signed("-383.457") == "-383.457"
    assert signed("0.000") == "0.000"


def test_the_carbon_home_lists_organisations_and_explains_the_factor_library(
    carbon: Carbon,
) -> None:
    page = carbon.client.get("/carbon")
    assert page.status_code == 200
    html = page.text
    assert f'href="/carbon/organisations/{ORG}"' in html
    assert 'href="/v1/carbon/factors"' in html
    assert 'id="carbon-library"' in html and "MEE-NBS" in html
    assert_escaped(html)


def test_the_organisation_page_shows_the_latest_year_with_totals_and_charts(
    carbon: Carbon,
) -> None:
    page = carbon.client.get(f"/carbon/organisations/{ORG}")
    assert page.status_code == 200
    html = page.text
    report = carbon.reports[2024]  # the latest submitted version of the latest year
    totals = report["summary"]["totals_t"]
    for key in ("scope1", "scope2_location", "scope2_market", "scope3", "total_location"):
        assert tonnes(totals[key]) in html
    assert "," in tonnes(totals["total_location"])  # thousands separators
    assert "vs 2023" in html  # year-on-year change
    assert "t CO2e/t" in html  # intensity per output
    chart = embedded(html, "carbon-chart-data")
    assert [s["key"] for s in chart["scopes"]] == [
        "scope1", "scope2_location", "scope2_market", "scope3",
    ]  # fmt: skip
    assert sum(s["t"] for s in chart["scopes"] if s["key"] != "scope2_market") == pytest.approx(
        float(totals["total_location"]), abs=0.01
    )
    assert len(chart["months"]) == 12
    assert {f["label"].split(" · ")[0] for f in chart["facilities"]} == {"F1", "F2"}
    assert NASTY in [f["label"].split(" · ", 1)[1] for f in chart["facilities"]]  # as JSON data
    assert chart["sources"]
    # Versions: the draft correction and the submitted one, with its log entry.
    index = report["ledger_index"]
    assert f"/v1/ledger/entries?start={index}&amp;end={index + 1}" in html
    assert "fix the gas meter" in html and report["sha256"][:12] in html
    # The factors used, with the unverified and secondary ones marked.
    assert "acme/steel" in html and "status-unverified" in html and "status-secondary" in html
    links = (
        f"/v1/carbon/organisations/{ORG}/inventories/2024?version=1",
        f"/v1/carbon/organisations/{ORG}/inventories/2024/records.csv?version=1",
        f"/v1/carbon/organisations/{ORG}/inventories/2024/results.csv?version=1",
        f"/carbon/organisations/{ORG}/inventories/2024/report?version=1",
    )
    for link in links:
        assert f'href="{link}"' in html
    assert '<script src="/static/vendor/echarts/echarts.min.js">' in html
    assert_escaped(html)


def test_an_earlier_year_and_a_draft_version_can_be_shown(carbon: Carbon) -> None:
    earlier = carbon.client.get(f"/carbon/organisations/{ORG}?year=2023")
    assert earlier.status_code == 200
    assert tonnes(carbon.reports[2023]["summary"]["totals_t"]["total_market"]) in earlier.text
    assert "No submitted inventory of 2022" in earlier.text
    draft = carbon.client.get(f"/carbon/organisations/{ORG}?year=2024&version=2")
    assert draft.status_code == 200
    assert "not in the log" in draft.text
    assert embedded(draft.text, "carbon-chart-data")["scopes"]


def test_the_printable_report_has_the_tables_and_how_to_verify_the_hashes(
    carbon: Carbon,
) -> None:
    report = carbon.reports[2024]
    page = carbon.client.get(f"/carbon/organisations/{ORG}/inventories/2024/report")
    assert page.status_code == 200
    html = page.text
    for table in ("report-totals", "report-gases", "report-by-facility", "report-by-source",
                  "report-factors", "report-intensity", "report-facilities"):  # fmt: skip
        assert f'id="{table}"' in html
    assert report["sha256"] in html and report["records_sha256"] in html
    assert f"ledger entry {report['ledger_index']}" in html
    assert "RFC 8785" in html and "@media print" not in html  # the CSS is a separate file
    assert "supplier EPD &lt;b&gt;2024&lt;/b&gt;" in html  # a factor's source, escaped
    assert_escaped(html)
    # The hashes the report says to check are the ones the files give.
    records = carbon.client.get(f"/v1/carbon/organisations/{ORG}/inventories/2024/records.csv")
    assert hashlib.sha256(records.content).hexdigest() == report["records_sha256"]
    css = carbon.client.get("/static/carbon.css")
    assert css.status_code == 200 and "@media print" in css.text and "A4" in css.text


def test_the_chart_script_escapes_what_it_puts_into_tooltips(carbon: Carbon) -> None:
    script = carbon.client.get("/static/carbon-charts.js")
    assert script.status_code == 200
    assert "encodeHTML" in script.text
    assert "innerHTML" not in script.text


def test_unknown_organisations_years_and_versions_answer_404(carbon: Carbon) -> None:
    client = carbon.client
    assert client.get("/carbon/organisations/NOPE").status_code == 404
    assert client.get(f"/carbon/organisations/{ORG}?year=2019").status_code == 404
    assert client.get(f"/carbon/organisations/{ORG}?year=2024&version=9").status_code == 404
    assert client.get(f"/carbon/organisations/{ORG}/inventories/2019/report").status_code == 404
    assert client.get("/carbon/organisations/NOPE/inventories/2024/report").status_code == 404
    assert client.get(f"/carbon/organisations/{ORG}?year=1").status_code == 400
    assert client.get("/carbon/products/NOPE").status_code == 404


def test_an_organisation_without_inventories_and_an_empty_draft_do_not_fail(
    carbon: Carbon,
) -> None:
    runtime = carbon.runtime
    with runtime.db.read() as session:
        actor = accounts.principal(session, "acme")
    runtime.db.write(lambda s: service.register_organisation(s, "NEW", "New Co", "acme", "", actor))
    page = carbon.client.get("/carbon/organisations/NEW")
    assert page.status_code == 200 and "No inventory has been started" in page.text
    # Setting options opens a draft without records; the year is shown, with nothing to report.
    options = service.ReportOptions(2025)
    runtime.db.write(lambda s: service.set_options(s, "NEW", 2025, options, actor))
    page = carbon.client.get("/carbon/organisations/NEW?year=2025")
    assert page.status_code == 200 and "draft without records" in page.text
    assert carbon.client.get("/carbon/organisations/NEW/inventories/2025/report").status_code == 404


def test_the_product_page_draws_the_tree_and_lists_processes(carbon: Carbon) -> None:
    if not hasattr(service, "product_footprint") or not hasattr(service, "product_list"):
        pytest.skip("product footprints are not in the carbon service yet")
    processes = pytest.importorskip("ecocredit.carbon.ops.processes")
    flow, definition = processes.Flow, processes.Definition
    copper = definition("copper", "Copper", "kg", emissions=(flow(3.5, "kg", gas="CO2"),))
    board = definition(
        "board", NASTY, "piece", kind="product",
        inputs=(flow(200.0, "g", supplier="copper"),),
        emissions=(flow(0.5, "kg", gas="CO2"), flow(1.0, "g", gas="CH4")),
    )  # fmt: skip
    runtime = carbon.runtime
    with runtime.db.read() as session:
        actor = accounts.principal(session, "acme")
    runtime.db.write(lambda s: processes.define(s, [copper, board], actor))
    page = carbon.client.get("/carbon/products/board?amount=2&gwp=AR5")
    assert page.status_code == 200
    html = page.text
    chart = embedded(html, "carbon-chart-data")
    assert chart["tree"]["code"] == "board"
    assert chart["tree"]["name"] == NASTY  # as JSON data, drawn as SVG text
    # 2 boards: 2 x (0.5 kg CO2 + 1 g CH4 x 28 + 0.2 kg copper x 3.5 kg CO2/kg)
    assert chart["tree"]["kg"] == pytest.approx(2 * (0.5 + 0.028 + 0.7))
    assert 'id="carbon-top-processes"' in html and 'id="carbon-materials"' in html
    assert 'id="carbon-sensitivity"' in html and "copper" in html
    assert '<option value="AR5" selected>' in html
    assert_escaped(html)
    home = carbon.client.get("/carbon")
    assert 'href="/carbon/products/board"' in home.text and 'id="carbon-products"' in home.text
    assert carbon.client.get("/carbon/products/nothing-here").status_code == 404
    assert carbon.client.get("/carbon/products/board?amount=0").status_code == 400
