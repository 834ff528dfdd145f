"""The inclusion portal pages show the dashboard, programmes' rules and rewards, all escaped."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Role
from ecocredit.app import create_app
from ecocredit.inclusion import service
from ecocredit.inclusion.demo import plate
from ecocredit.runtime import InitResult

NASTY = '<script>alert("x")</script>&盘'
NOW = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)


def _load(session: Any) -> None:
    accounts.create_account(session, "op", [Role.OPERATOR], "system")
    op = accounts.principal(session, "op")
    rule = service.PointRule("clean-plate", points_per_action=5)
    spec = service.Programme("plates", NASTY, "operator", 30, [(rule, None)])
    service.create_programme(session, spec, op)
    service.set_reward(session, "plates", "cup", NASTY, 10, 7, op)
    for i in range(4):
        at = NOW + dt.timedelta(days=i // 2, minutes=i)
        action = service.Action(f"p{i}", f"k{i}", "clean-plate", at,
                                {"food_type": "rice", "portions": 2}, plate(i))  # fmt: skip
        service.submit(session, "plates", action, op, now=at)
    again = service.Action(
        "p9",
        "k9",
        "clean-plate",
        NOW + dt.timedelta(hours=3),
        {"food_type": "rice", "portions": 1},
        plate(0, side=48, quality=60),
    )
    service.submit(session, "plates", again, op, now=NOW + dt.timedelta(hours=3))


@pytest.fixture
def client(installed: InitResult) -> Iterator[TestClient]:
    """A client of an installation with one programme, four check-ins and one held."""
    installed.runtime.db.write(_load)
    with TestClient(create_app(runtime=installed.runtime)) as test_client:
        yield test_client


def _chart(page: str) -> dict[str, Any]:
    found = re.search(r'id="inclusion-chart-data" type="application/json">(.*?)</script>', page)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_the_overall_page_shows_the_headline_figures(client: TestClient) -> None:
    page = client.get("/inclusion")
    assert page.status_code == 200
    text = page.text
    headline = text[text.index('id="inclusion-headline"') :]
    assert ">5<" in headline  # participants: p0..p3 and p9
    food = 8 * 37.22 / 1e6 + 0  # four accepted check-ins of two portions, in tonnes
    assert f"{food:.3f}" in headline and "Food saved" in headline and "CO2e reduced" in headline
    assert ">20<" in headline  # points granted
    assert 'href="/inclusion"' in text  # the nav link
    chart = _chart(text)
    assert chart["days"] == ["2026-11-20", "2026-11-21"] and chart["accepted"] == [2, 2]
    assert chart["review"] == [1, 0]


def test_the_programme_page_shows_rules_rewards_and_the_queue(client: TestClient) -> None:
    page = client.get("/inclusion/programmes/plates")
    assert page.status_code == 200
    text = page.text
    assert "5 per action" in text and ">7<" in text  # the rule, the reward's stock
    assert re.search(r'id="inclusion-review">1 held for review', text)
    assert client.get("/inclusion/programmes/nope").status_code == 404
    assert client.get("/inclusion/programmes/a%20b").status_code in (400, 404)


def test_names_are_escaped_everywhere(client: TestClient) -> None:
    for path in ("/inclusion", "/inclusion/programmes/plates"):
        text = client.get(path).text
        assert NASTY not in text
        assert str(escape(NASTY)) in text
        data = text[text.index('id="inclusion-chart-data"') :]
        assert "<script>alert" not in data.split("</script>")[0]
