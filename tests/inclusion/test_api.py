"""The inclusion API as an operator's app uses it: programmes, actions, points, review, totals."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Role
from ecocredit.app import create_app
from ecocredit.inclusion.demo import plate
from ecocredit.runtime import InitResult

API = "/v1/inclusion"
PLATES = f"{API}/programmes/plates"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
PROGRAMME = {
    "code": "plates", "name": "光盘打卡 <b>", "ownership": "operator", "validity_days": 30,
    "rules": [{"methodology": "clean-plate", "points_per_action": 5, "max_actions_per_day": 3}],
    "limits": {"velocity_max": 10},
}  # fmt: skip


class Api:
    """Requests as one of the accounts."""

    def __init__(self, client: TestClient, keys: dict[str, str]) -> None:
        self.client, self.keys = client, keys

    def __call__(self, method: str, path: str, who: str | None = "op", **kw: Any) -> Any:
        headers = kw.pop("headers", {})
        if who is not None:
            headers["Authorization"] = f"Bearer {self.keys[who]}"
        return self.client.request(method, path, headers=headers, **kw)

    def act(self, key: str, seed: int, who: str = "p1", minutes: int = 0, **kw: Any) -> Any:
        body = {
            "participant": who, "key": key, "methodology": "clean-plate",
            "at": (NOW - dt.timedelta(minutes=minutes)).astimezone(
                dt.timezone(dt.timedelta(hours=8))).isoformat(),
            "inputs": {"food_type": "rice", "portions": 2},
            "evidence": base64.b64encode(plate(seed)).decode(),
        } | kw  # fmt: skip
        return self("POST", f"{PLATES}/actions", json=body)


@pytest.fixture
def api(installed: InitResult) -> Iterator[Api]:
    """An app with operators op and rival, a holder, and op's programme with one reward."""

    def setup(session: Any) -> dict[str, str]:
        roles = {"op": Role.OPERATOR, "rival": Role.OPERATOR, "holder": Role.HOLDER}
        made = {n: accounts.create_account(session, n, [r], "system")[1] for n, r in roles.items()}
        return {n: str(k) for n, k in made.items()}

    keys = installed.runtime.db.write(setup)
    with TestClient(create_app(runtime=installed.runtime)) as client:
        found = Api(client, keys)
        assert found("POST", f"{API}/programmes", json=PROGRAMME).status_code == 201
        reward = {"name": "Bamboo cup", "points": 10, "stock": 1}
        assert found("PUT", f"{PLATES}/rewards/cup", json=reward).status_code == 200
        yield found


def test_a_check_in_earns_points_a_retry_does_not_and_a_redemption_spends(api: Api) -> None:
    first = api.act("k1", 1, minutes=30)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "accepted" and first.json()["points"] == 5
    assert api.act("k1", 1, minutes=30).json() == first.json()
    assert api.act("k2", 2, minutes=20).json()["points"] == 5
    spent = api("POST", f"{PLATES}/redemptions", json={"participant": "p1", "reward": "cup"})
    assert spent.status_code == 200 and spent.json()["points"] == 10
    again = api("POST", f"{PLATES}/redemptions", json={"participant": "p1", "reward": "cup"})
    assert again.status_code == 409 and again.json()["error"]["field"] == "quantity"
    me = api("GET", f"{PLATES}/participants/p1", who=None).json()
    assert me["balance"] == 0 and len(me["actions"]) == 2 and len(me["redemptions"]) == 1
    detail = api("GET", PLATES, who=None).json()
    assert detail["rewards"] == [{"code": "cup", "name": "Bamboo cup", "points": 10, "stock": 0}]
    assert detail["rules"][0]["points_per_action"] == 5 and detail["limits"]["velocity_max"] == 10


def test_the_idempotency_key_header_is_the_actions_key(api: Api) -> None:
    headers = {"Idempotency-Key": "h1"}
    body = {"participant": "p1", "methodology": "clean-plate", "at": NOW.isoformat(),
            "inputs": {"food_type": "rice", "portions": 1},
            "evidence": base64.b64encode(plate(5)).decode()}  # fmt: skip
    first = api("POST", f"{PLATES}/actions", json=body, headers=dict(headers))
    assert first.status_code == 200, first.text
    assert api("POST", f"{PLATES}/actions", json=body, headers=dict(headers)).json() == first.json()
    clash = api("POST", f"{PLATES}/actions", json=body | {"key": "other"}, headers=dict(headers))
    assert clash.status_code == 400 and clash.json()["error"]["field"] == "Idempotency-Key"
    none = api("POST", f"{PLATES}/actions", json=body)
    assert none.status_code == 400 and none.json()["error"]["field"] == "key"


def test_a_resaved_photo_is_held_and_the_operator_decides(api: Api) -> None:
    api.act("k1", 9, minutes=30)
    assert api.act("k2", 9, minutes=25).json()["status"] == "rejected"  # the very same file
    resaved = base64.b64encode(plate(9, side=48, quality=60)).decode()
    held = api.act("k3", 0, minutes=20, evidence=resaved).json()
    assert held["status"] == "review"
    assert api("GET", f"{PLATES}/review", who="rival").status_code == 403
    queue = api("GET", f"{PLATES}/review").json()
    assert [a["id"] for a in queue] == [held["action"]]
    decided = api("POST", f"{PLATES}/review/{held['action']}",
                  json={"decision": "accept", "note": "two plates"})  # fmt: skip
    assert decided.status_code == 200 and decided.json()["points"] == 5
    twice = api(
        "POST", f"{PLATES}/review/{held['action']}", json={"decision": "reject", "note": "x"}
    )
    assert twice.status_code == 409


def test_the_dashboard_adds_up_food_co2e_points_and_days(api: Api) -> None:
    for i in range(3):
        assert api.act(f"k{i}", 20 + i, who=f"p{i}", minutes=10 * i).status_code == 200
    board = api("GET", f"{PLATES}/dashboard", who=None).json()
    totals = board["totals"]
    assert totals["participants"] == 3 and totals["actions"]["accepted"] == 3
    assert totals["food_saved_t"] == pytest.approx(6 * 37.22 / 1e6, abs=1e-6)  # to the gram
    assert totals["grams_co2e"] == 3 * int(2 * 37.22 * 4.45)  # rice, two portions, floored
    assert totals["points_granted"] == 15 and totals["credited_t"] == "0"
    assert sum(d["actions"]["accepted"] for d in board["daily"]) == 3
    overall = api("GET", f"{API}/dashboard", who=None).json()
    assert overall["totals"]["grams_co2e"] == totals["grams_co2e"]
    assert [p["code"] for p in overall["programmes"]] == ["plates"]
    document = api(
        "GET",
        f"{PLATES}/credits/document",
        params={"start": "2000-01-01", "end": "2100-01-01"},
        who=None,
    ).json()
    assert document["grams_co2e"] == totals["grams_co2e"] and len(document["sha256"]) == 64


def test_reads_need_no_key_and_writes_need_the_programmes_operator(api: Api) -> None:
    assert api("GET", f"{API}/programmes", who=None).json()[0]["code"] == "plates"
    catalogue = api("GET", f"{API}/methodologies", who=None).json()
    plate_method = next(m for m in catalogue if m["id"] == "clean-plate")
    assert plate_method["sources"] and "food_type" in plate_method["choices"]
    assert api("POST", f"{PLATES}/expiry", who=None).status_code == 401
    assert api("POST", f"{PLATES}/expiry", who="holder").status_code == 403
    assert api("POST", f"{PLATES}/expiry", who="rival").status_code == 403
    assert api("POST", f"{PLATES}/expiry").json() == {"programme": "plates", "expired_points": 0}
    reward = {"name": "x", "points": 1, "stock": 1}
    assert api("PUT", f"{PLATES}/rewards/cup", who="rival", json=reward).status_code == 403
    assert api("GET", f"{API}/programmes/nope", who=None).status_code == 404
    assert api("GET", f"{PLATES}/participants/nobody", who=None).status_code == 404
    assert api("POST", f"{API}/programmes/nope/expiry").status_code == 404
    assert api("POST", f"{API}/programmes", json=PROGRAMME).status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"evidence": "not base64!"}, "evidence"),
        ({"evidence": ""}, "evidence"),
        ({"evidence": base64.b64encode(b"not a picture").decode()}, "evidence"),
        ({"at": "2026-11-20T12:00:00"}, "at"),
        ({"at": "yesterday"}, "at"),
        ({"participant": "a b"}, "participant"),
        ({"methodology": "unknown"}, "methodology"),
        ({"inputs": {"food_type": "rice", "portions": 99}}, "portions"),
        ({"evidence_kind": "video"}, "evidence_kind"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_actions_are_400_naming_the_field(api: Api, change: dict[str, Any], field: str) -> None:
    answer = api.act("bad", 1, **change)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["field"] == field


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"[]", b"null", b'{"participant": 1}', b"\xff\xfe", b'{"inputs": []}'],
)
def test_no_body_makes_the_action_route_fail(api: Api, body: bytes) -> None:
    answer = api("POST", f"{PLATES}/actions", content=body,
                 headers={"Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 400, answer.text


def test_huge_evidence_is_refused_before_it_is_decoded(api: Api) -> None:
    huge = "A" * (28 * 1024 * 1024)
    answer = api.act("big", 1, evidence=huge)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "entry_too_large"


def test_bad_programmes_are_400_naming_the_field(api: Api) -> None:
    bad = PROGRAMME | {"code": "other", "rules": [{"methodology": "clean-plate"}]}
    answer = api("POST", f"{API}/programmes", json=bad)
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "rule"
    unknown = PROGRAMME | {"code": "other", "rules": [{"methodology": "x", "grams_per_point": 1}]}
    assert api("POST", f"{API}/programmes", json=unknown).json()["error"]["field"] == "methodology"
    limits = PROGRAMME | {"code": "other", "limits": {"velocity_max": 0}}
    assert api("POST", f"{API}/programmes", json=limits).json()["error"]["field"] == (
        "limits.velocity_max"
    )
    period = api("GET", f"{PLATES}/credits/document", params={"start": "x", "end": "y"}, who=None)
    assert period.status_code == 400 and period.json()["error"]["field"] == "start"
    credits = api(
        "POST",
        f"{PLATES}/credits",
        json={"start": "2026-01-01", "end": "2026-01-31", "report": "R-none"},
    )
    assert credits.status_code == 404 and credits.json()["error"]["field"] == "report"
