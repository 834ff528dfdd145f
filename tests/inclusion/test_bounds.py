"""Values at the edges of what Python and the database hold are refused, never a server error.

Python's dates end at years 1 and 9999: a time there overflows when it is moved to another
zone or a day is added to it. Days and times are therefore accepted from 1970-01-01 to
2200-12-31, by the API and by the service functions the CLI and the batch path call. A
redemption's points are stored in a 32-bit column, so its cost is bounded too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Role
from ecocredit.app import create_app
from ecocredit.errors import InvalidParameter
from ecocredit.inclusion.ops import actions, batch, programmes, redeem
from ecocredit.runtime import InitResult
from tests.inclusion.test_api import API, PLATES, PROGRAMME, Api
from tests.inclusion.test_service import NOW, PLATE, Programme, jpeg, plates

__all__ = ["plates"]  # the fixture, imported for the service tests below

OUT_OF_RANGE_TIMES = [
    "0001-01-01T00:00:00+01:00",  # year 0 once moved to UTC
    "0001-01-01T12:00:00+00:00",  # far too old; its China day starts in year 0
    "9999-12-31T23:59:59-01:00",  # year 10000 once moved to UTC
    "9999-12-31T20:00:00+00:00",  # year 10000 once moved to China time
    "1969-12-31T23:59:59+00:00",
    "2201-01-01T08:00:00+08:00",
    "1970-01-01T00:00:00+14:00",  # its own day is in range, but in UTC it is 1969
    "2200-12-31T20:00:00-08:00",  # and this one is 2201 in UTC
]


@pytest.fixture
def api(installed: InitResult) -> Iterator[Api]:
    """As ``test_api.api``, but a server error comes back as a 500 instead of being raised."""

    def setup(session: Any) -> dict[str, str]:
        made = accounts.create_account(session, "op", [Role.OPERATOR], "system")[1]
        return {"op": str(made)}

    keys = installed.runtime.db.write(setup)
    with TestClient(create_app(runtime=installed.runtime), raise_server_exceptions=False) as c:
        found = Api(c, keys)
        assert found("POST", f"{API}/programmes", json=PROGRAMME).status_code == 201
        reward = {"name": "Bamboo cup", "points": 10**9, "stock": 1000}
        assert found("PUT", f"{PLATES}/rewards/cup", json=reward).status_code == 200
        yield found


def _refused(response: Any, field: str) -> str:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["field"] == field
    assert "1970-01-01 to 2200-12-31" in error["message"]
    return str(error["message"])


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-01-01", "9999-12-31", "end"),
        ("0001-01-01", "2026-01-01", "start"),
        ("1969-12-31", "2026-01-01", "start"),
        ("2026-01-01", "2201-01-01", "end"),
    ],
)
def test_a_document_period_out_of_range_is_a_400(api: Api, start: str, end: str, field: str
                                                 ) -> None:  # fmt: skip
    found = api("GET", f"{PLATES}/credits/document", who=None, params={"start": start, "end": end})
    _refused(found, field)
    body = {"start": start, "end": end, "report": "R1"}
    _refused(api("POST", f"{PLATES}/credits", json=body), field)


@pytest.mark.parametrize("at", OUT_OF_RANGE_TIMES)
def test_an_action_dated_out_of_range_is_a_400(api: Api, at: str) -> None:
    assert "out of range" in _refused(api.act(f"k-{at}", 3, at=at), "at")


def test_the_edges_of_the_range_are_decided_not_refused(api: Api) -> None:
    old = api.act("k-old", 4, at="1970-01-01T00:00:00+00:00")
    assert old.status_code == 200, old.text
    assert old.json()["status"] == "rejected"
    assert "older than" in old.json()["reason"]
    future = api.act("k-future", 5, at="2201-01-01T07:59:59+08:00")
    assert future.status_code == 200 and "future" in future.json()["reason"]
    period = {"start": "1970-01-01", "end": "2200-12-31"}
    assert api("GET", f"{PLATES}/credits/document", who=None, params=period).status_code == 200


def test_a_redemption_costing_more_than_a_32_bit_column_holds_is_refused(api: Api) -> None:
    body = {"participant": "p1", "reward": "cup", "quantity": 3}  # 3 × 10⁹ points
    found = api("POST", f"{PLATES}/redemptions", json=body)
    assert found.status_code == 400, found.text
    error = found.json()["error"]
    assert error["field"] == "quantity" and "at most 2147483647" in error["message"]


# --- the service functions, which the CLI and the batch path call ----------------------------


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize("at", OUT_OF_RANGE_TIMES)
def test_submit_refuses_a_time_out_of_range(plates: Programme, at: str) -> None:
    action = actions.Action("p1", "k1", "clean-plate", _time(at), PLATE, jpeg(1))
    op = plates.op()
    with pytest.raises(InvalidParameter, match="out of range") as caught:
        plates.write(lambda s: actions.submit(s, "plates", action, op, now=NOW))
    assert caught.value.field == "at"


@pytest.mark.parametrize("at", OUT_OF_RANGE_TIMES)
def test_a_batch_refuses_a_time_out_of_range_naming_its_position(plates: Programme, at: str
                                                                 ) -> None:  # fmt: skip
    fine = actions.Action("p1", "k1", "clean-plate", NOW, PLATE, jpeg(1))
    bad = actions.Action("p1", "k2", "clean-plate", _time(at), PLATE, jpeg(2))
    with plates.runtime.db.read() as session, pytest.raises(InvalidParameter) as caught:
        batch.prepare(session, "plates", [fine, bad])
    assert caught.value.field == "at"
    assert caught.value.message.startswith("actions[1]: at:")


def test_submit_refuses_a_time_without_its_offset(plates: Programme) -> None:
    action = actions.Action("p1", "k1", "clean-plate", NOW.replace(tzinfo=None), PLATE, jpeg(1))
    op = plates.op()
    with pytest.raises(InvalidParameter, match="offset") as caught:
        plates.write(lambda s: actions.submit(s, "plates", action, op, now=NOW))
    assert caught.value.field == "at"


def test_redeem_refuses_a_cost_beyond_the_points_column(plates: Programme) -> None:
    op = plates.op()
    plates.write(lambda s: programmes.set_reward(s, "plates", "tv", "A television", 10**9, 9, op))
    with pytest.raises(InvalidParameter, match="costs 3000000000 points") as caught:
        plates.write(lambda s: redeem.redeem(s, "plates", "p1", "tv", 3, op, now=NOW))
    assert caught.value.field == "quantity"
