"""The air-quality portal pages show what the air service reads: map, stations, cities, charts."""

from __future__ import annotations

import datetime as dt
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
from ecocredit.air import service
from ecocredit.air.evaluate import Target
from ecocredit.air.model import DataStatus, Pollutant, Station, StationKind
from ecocredit.app import create_app
from ecocredit.runtime import InitResult, Runtime
from ecocredit.web import air_pages
from ecocredit.web.air_pages import (
    calendar_cells,
    concentration,
    hourly_points,
    ink,
    legend,
    trend_chart,
)

CITY_A, CITY_B, CITY_MICRO = "甲市", "乙市", "丙市"
NASTY = '<script>alert("x")</script>&站'
# Constant hourly values; under HJ 633-2026 PM2.5 150 scores 200, 60 scores 100, 35 scores 50.
VALUES = {
    "T01": (150, 100, 10, 20, 0.5, 60),  # AQI 200, 中度污染, PM2.5 primary
    "T02": (35, 40, 10, 20, 0.5, 60),  # AQI 50, 优, no primary pollutant
    "T03": (60, 60, 10, 20, 0.5, 60),  # AQI 100, 良
}
STATIONS = [
    Station("T01", "甲一站", CITY_A, "甲省", 116.40, 39.90),
    Station("T02", NASTY, CITY_A, "甲省", 116.50, 39.95),
    Station("T03", "乙一站", CITY_B, "乙省", 121.47, 31.23),
    Station("T04", "乙微站", CITY_B, "乙省", 121.50, 31.25, StationKind.MICRO),
    Station("T05", "丙微站", CITY_MICRO, "丙省", 104.06, 30.66, StationKind.MICRO),
]
FIRST_DAY, DAYS = dt.date(2026, 11, 18), 3
LAST_DAY = FIRST_DAY + dt.timedelta(days=DAYS - 1)


def wide_csv() -> bytes:
    """Every hour labelled 01:00 of the first day to 24:00 of the last, for T01-T03."""
    lines = ["station,time,PM2.5,PM10,SO2,NO2,CO,O3"]
    start = dt.datetime.combine(FIRST_DAY, dt.time(1))
    for hour in range(DAYS * 24):
        label = (start + dt.timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M")
        for code, values in VALUES.items():
            lines.append(",".join([code, label, *(f"{v:g}" for v in values)]))
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Air:
    """A client of an installation with the air data above."""

    client: TestClient
    runtime: Runtime


def with_air_pages(app: FastAPI) -> FastAPI:
    """The app, with the air pages included unless the app factory already does so."""
    if not any(getattr(route, "path", None) == "/air" for route in app.routes):
        app.include_router(air_pages.router)
    return app


@pytest.fixture
def empty(installed: InitResult) -> Iterator[TestClient]:
    """A client of an installation without any station."""
    with TestClient(with_air_pages(create_app(runtime=installed.runtime))) as client:
        yield client


@pytest.fixture
def air(installed: InitResult) -> Iterator[Air]:
    """Stations in three cities, three days of hourly data, a published mean and a target."""
    runtime = installed.runtime
    runtime.db.write(lambda s: accounts.create_account(s, "centre", [Role.MONITOR], "admin"))
    with runtime.db.read() as session:
        actor = accounts.principal(session, "centre")
    runtime.db.write(lambda s: service.register_stations(s, STATIONS, actor))
    source = service.SourceFile("week.csv", wide_csv())
    report = runtime.db.write(
        lambda s: service.import_files(s, [source], status=DataStatus.REALTIME, actor=actor)
    )
    assert report.clean, [r.describe() for r in report.rejects]
    goal = Target(CITY_A, Pollutant.PM25, 2030, 25.0, 2020, 40.0, "city plan")
    runtime.db.write(lambda s: service.set_target(s, goal, actor))
    runtime.db.write(
        lambda s: service.record_annual_mean(s, CITY_A, 2024, "PM2.5", 41.5, "bulletin 2024")
    )
    with TestClient(with_air_pages(create_app(runtime=runtime))) as client:
        yield Air(client, runtime)


def embedded(html: str, element_id: str) -> Any:
    """The JSON of the ``<script type="application/json">`` element ``element_id``."""
    found = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert found is not None, f"no {element_id} in the page"
    return json.loads(found.group(1))


def test_the_map_page_embeds_every_station_with_its_latest_aqi_and_colour(air: Air) -> None:
    page = air.client.get("/air")
    assert page.status_code == 200
    html = page.text
    markers = {m["code"]: m for m in embedded(html, "air-map-data")["stations"]}
    assert set(markers) == {"T01", "T02", "T03", "T04", "T05"}
    assert markers["T01"]["aqi"] == 200
    assert markers["T01"]["category"] == "中度污染"
    assert markers["T01"]["colour"] == "#FF0000"
    assert markers["T01"]["primary"] == ["PM2.5"]
    assert markers["T01"]["time"] == "2026-11-21 00:00"  # 24:00 of the last day
    assert (markers["T02"]["aqi"], markers["T02"]["category_en"]) == (50, "Excellent")
    assert (markers["T03"]["aqi"], markers["T03"]["colour"]) == (100, "#FFFF00")
    assert markers["T04"]["aqi"] is None and markers["T04"]["colour"] == air_pages.NO_DATA
    assert markers["T02"]["name"] == NASTY  # the JSON keeps the name as it is …
    assert "<script>alert" not in html  # … and neither it nor the tables let it run
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;站" in html
    for name in ("甲一站", "乙一站", "乙微站"):
        assert name in html
    assert 'href="/air/stations/T01"' in html
    assert 'href="/air/cities/%E7%94%B2%E5%B8%82"' in html  # 甲市
    assert '<script src="/static/vendor/leaflet/leaflet.js">' in html
    assert "https://" not in html.split("<footer>")[0]  # no CDN, no online tiles


def test_the_legend_lists_the_six_categories_of_hj_633_with_their_colours(air: Air) -> None:
    html = air.client.get("/air").text
    legend_html = html[html.index('id="aqi-legend"') :]
    legend_html = legend_html[: legend_html.index("</ul>")]
    for zh, en, colour in [
        ("优", "Excellent", "#00E400"),
        ("良", "Good", "#FFFF00"),
        ("轻度污染", "Lightly polluted", "#FF7E00"),
        ("中度污染", "Moderately polluted", "#FF0000"),
        ("重度污染", "Heavily polluted", "#99004C"),
        ("严重污染", "Severely polluted", "#7E0023"),
    ]:
        assert f'{zh} <span class="en">{en}</span>' in legend_html
        assert f"background:{colour}" in legend_html


def test_the_cities_table_shows_each_city_mean(air: Air) -> None:
    html = air.client.get("/air").text
    table = html[html.index('id="air-cities"') : html.index('id="air-stations"')]
    assert CITY_A in table and CITY_B in table
    assert CITY_MICRO not in table  # a city without a national station has no figure
    assert ">100</span>" in table  # 乙市 is its one national station: AQI 100


def test_a_station_page_has_its_facts_hours_calendar_and_daily_report(air: Air) -> None:
    page = air.client.get("/air/stations/T01")
    assert page.status_code == 200
    html = page.text
    assert "甲一站" in html and 'href="/air/cities/%E7%94%B2%E5%B8%82"' in html
    chart = embedded(html, "air-chart-data")
    hours = chart["hours"]
    assert len(hours) == air_pages.HOURLY_DAYS * 24
    assert hours[-1]["t"] == "2026-11-21 00:00"
    scored = [h for h in hours if h["aqi"] is not None]
    assert len(scored) == DAYS * 24
    assert {h["aqi"] for h in scored} == {200}
    cells = chart["calendar"]["cells"]
    assert [c["day"] for c in cells] == ["2026-11-18", "2026-11-19", "2026-11-20"]
    assert {c["colour"] for c in cells} == {"#FF0000"}
    assert [c["weekday"] for c in cells] == [2, 3, 4]  # Wednesday to Friday
    assert [c["level"] for c in chart["legend"]] == [1, 2, 3, 4, 5, 6]
    days = html[html.index('id="air-days"') :]
    for day in ("2026-11-18", "2026-11-19", "2026-11-20"):
        assert f"<td>{day}</td>" in days
    assert days.index("2026-11-20") < days.index("2026-11-18")  # newest first
    assert "<td>150</td>" in days  # the PM2.5 daily mean, as published: an integer
    assert '<script src="/static/vendor/echarts/echarts.min.js">' in html


def test_a_station_with_a_dangerous_name_is_shown_as_text(air: Air) -> None:
    html = air.client.get("/air/stations/T02").text
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_a_micro_sensor_without_data_still_has_a_page(air: Air) -> None:
    page = air.client.get("/air/stations/T04")
    assert page.status_code == 200
    assert embedded(page.text, "air-chart-data")["calendar"]["cells"] == []
    assert "No day with a daily AQI yet." in page.text


def test_a_city_page_has_its_trend_evaluation_and_stations(air: Air) -> None:
    page = air.client.get("/air/cities/甲市")
    assert page.status_code == 200
    html = page.text
    assert "甲一站" in html and 'href="/air/stations/T01"' in html
    assert "乙一站" not in html
    trend = embedded(html, "air-chart-data")
    assert trend["pollutant"] == "PM2.5"
    years = trend["years"]
    assert years[0] == "2024" and years[-1] == "2030"
    assert trend["values"][0] == 41.5 and not trend["computed"][0]
    computed = trend["values"][years.index("2026")]
    assert computed == pytest.approx((150 + 35) / 2, abs=1)  # the mean of two stations
    assert trend["computed"][years.index("2026")] and not trend["valid"][years.index("2026")]
    assert trend["targets"] == [
        {
            "year": "2030",
            "value": 25.0,
            "baseline": 40.0,
            "baseline_year": 2020,
            "source": "city plan",
        }
    ]
    assert trend["limits"][years.index("2024")] == 35.0  # GB 3095-2012 Grade II
    assert trend["limits"][years.index("2030")] == 30.0  # GB 3095-2026, transitional limits
    assert "Evaluation 2026" in html and "not a complete year" in html
    assert 'id="air-evaluation-items"' in html and "city plan" in html


def test_unknown_stations_and_cities_answer_404(air: Air) -> None:
    assert air.client.get("/air/stations/NOPE").status_code == 404
    assert air.client.get("/air/cities/Nowhere").status_code == 404
    assert air.client.get(f"/air/cities/{CITY_MICRO}").status_code == 404  # micro sensors only


def test_the_pages_work_without_any_data(empty: TestClient) -> None:
    page = empty.get("/air")
    assert page.status_code == 200
    assert embedded(page.text, "air-map-data")["stations"] == []
    assert "No station has been registered yet." in page.text
    for path in (
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/air-map.js",
        "/static/air-charts.js",
    ):
        assert empty.get(path).status_code == 200, path


def test_ink_is_black_on_light_categories_and_white_on_dark_ones() -> None:
    inks = {c["en"]: c["ink"] for c in legend()}
    assert inks["Excellent"] == inks["Good"] == inks["Lightly polluted"] == "#000"
    assert inks["Heavily polluted"] == inks["Severely polluted"] == "#fff"
    assert ink(None) == "#000"


def test_concentrations_are_shown_as_published() -> None:
    assert concentration(32.5, "PM2.5") == "32"  # GB/T 8170: halves go to the even neighbour
    assert concentration(33.5, "PM2.5") == "34"
    assert concentration(0.85, "CO") == "0.8"
    assert concentration(None, "O3") == "—"


def test_hourly_points_keep_a_gap_for_an_hour_without_data() -> None:
    hours = [
        {
            "time": "2026-11-20T02:00:00+08:00",
            "aqi": 42,
            "colour": "#00E400",
            "category": "优",
            "category_en": "Excellent",
            "primary_pollutants": [],
        }
    ]
    points = hourly_points(hours, dt.date(2026, 11, 20), dt.date(2026, 11, 20))
    assert [p["t"] for p in points[:2]] == ["2026-11-20 01:00", "2026-11-20 02:00"]
    assert points[-1]["t"] == "2026-11-21 00:00"
    assert [p["aqi"] for p in points[:3]] == [None, 42, None]


def test_calendar_cells_count_weeks_from_the_monday_before_the_first_day() -> None:
    days = [
        {
            "day": "2026-11-29",
            "aqi": 60,
            "colour": "#FFFF00",
            "category": "良",
            "category_en": "Good",
            "primary_pollutants": ["PM2.5"],
        }
    ]
    calendar = calendar_cells(days, dt.date(2026, 12, 1))
    assert [(c["day"], c["week"], c["weekday"]) for c in calendar["cells"]] == [
        ("2026-11-29", 0, 6),
        ("2026-11-30", 1, 0),
        ("2026-12-01", 1, 1),
    ]
    assert calendar["cells"][1]["aqi"] is None and calendar["cells"][1]["colour"] == "#c8ced0"
    assert calendar["weeks"] == 2
    assert calendar["months"] == [{"week": 0, "label": "2026-11"}]  # December is too close


def test_the_trend_chart_puts_values_limits_and_targets_on_consecutive_years() -> None:
    trend = {
        "pollutant": "PM2.5",
        "unit": "µg/m3",
        "series": [{"year": 2021, "value": 33.0, "source": "b", "computed": False}],
        "limits": {2021: 35.0},
        "targets": [
            {"year": 2023, "value": 30.0, "baseline": 38.0, "baseline_year": 2020, "source": "plan"}
        ],
    }
    chart = trend_chart(trend)
    assert chart["years"] == ["2021", "2022", "2023"]
    assert chart["values"] == [33.0, None, None]
    assert chart["limits"] == [35.0, 35.0, 35.0]  # GB 3095-2012 Grade II, in force to 2025
    assert chart["targets"][0]["year"] == "2023"
