"""A programme through its service: actions decided, points granted, redeemed and expired."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Principal, Role
from ecocredit.errors import Conflict, InsufficientBalance, InvalidParameter, PermissionDenied
from ecocredit.inclusion.decisions import Limits
from ecocredit.inclusion.ops import actions, programmes, redeem, review
from ecocredit.inclusion.points import PointRule
from ecocredit.ledger.tables import ledger_entries as entries
from ecocredit.runtime import InitResult, Runtime
from tests.inclusion.test_phash import scene

NOW = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)  # noon in China
PLATE = {"food_type": "rice", "portions": 1}


def jpeg(seed: int, quality: int = 90, scale: float = 1.0) -> bytes:
    image = scene(seed)
    if scale != 1.0:
        image = image.resize((int(image.width * scale), int(image.height * scale)))
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


class Programme:
    """The clean-plate programme "plates" run by operator ``op``, with one reward."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def op(self) -> Principal:
        with self.runtime.db.read() as session:
            return accounts.principal(session, "op")

    def write(self, work: Callable[[Session], Any]) -> Any:
        return self.runtime.db.write(work)

    def act(self, key: str, photo: bytes, who: str = "p1", minutes: int = 0, **kw: Any) -> Any:
        action = actions.Action(who, key, "clean-plate", NOW + dt.timedelta(minutes=minutes),
                                kw.pop("inputs", PLATE), photo, **kw)  # fmt: skip
        op = self.op()
        return self.write(
            lambda s: actions.submit(
                s, "plates", action, op, now=NOW + dt.timedelta(minutes=minutes)
            )
        )

    def entries(self) -> int:
        with self.runtime.db.read() as session:
            return int(session.scalar(select(func.count()).select_from(entries)) or 0)


@pytest.fixture
def plates(installed: InitResult) -> Programme:
    runtime = installed.runtime
    runtime.db.write(lambda s: accounts.create_account(s, "op", [Role.OPERATOR], "system"))
    found = Programme(runtime)
    rule = PointRule("clean-plate", points_per_action=5, max_actions_per_day=3)
    spec = programmes.Programme("plates", "光盘打卡", rules=[(rule, None)], validity_days=30,
                                limits=Limits(velocity_max=10))  # fmt: skip
    op = found.op()
    found.write(lambda s: programmes.create_programme(s, spec, op))
    found.write(lambda s: programmes.set_reward(s, "plates", "cup", "Bamboo cup", 10, 1, op))
    return found


def test_an_accepted_check_in_earns_its_points_and_is_logged(plates: Programme) -> None:
    before = plates.entries()
    done = plates.act("k1", jpeg(1))
    assert done["status"] == "accepted" and done["points"] == 5
    assert done["grams_co2e"] > 0 and "food_saved_g" in json.dumps(done["quantities"])
    assert plates.entries() == before + 1
    assert plates.act("k1", jpeg(1)) == done  # the same key again: the same answer, once


def test_the_same_photo_again_is_rejected_and_a_resaved_one_held(plates: Programme) -> None:
    plates.act("k1", jpeg(7))
    again = plates.act("k2", jpeg(7), minutes=1)
    assert again["status"] == "rejected" and "same evidence" in again["reason"]
    resaved = plates.act("k3", jpeg(7, quality=55, scale=0.5), minutes=2)
    assert resaved["status"] == "review" and "near duplicate" in resaved["reason"]
    assert resaved["points"] == 0


def test_the_days_cap_and_a_redemption_beyond_balance_or_stock(plates: Programme) -> None:
    for i in range(3):
        assert plates.act(f"k{i}", jpeg(20 + i), minutes=i)["status"] == "accepted"
    assert "cap of 3" in plates.act("k9", jpeg(30), minutes=5)["reason"]
    op = plates.op()
    later = NOW + dt.timedelta(minutes=10)
    with plates.runtime.db.read() as session:
        assert redeem.balance(session, "plates", "p1", later) == 15
    done = plates.write(lambda s: redeem.redeem(s, "plates", "p1", "cup", 1, op, now=later))
    assert done["points"] == 10
    with pytest.raises(InsufficientBalance, match="stock"):
        plates.write(lambda s: redeem.redeem(s, "plates", "p1", "cup", 1, op, now=later))
    plates.write(lambda s: programmes.set_reward(s, "plates", "cup", "Bamboo cup", 10, 5, op))
    with pytest.raises(InsufficientBalance, match="10 points; 5"):
        plates.write(lambda s: redeem.redeem(s, "plates", "p1", "cup", 1, op, now=later))


def test_points_expire_on_their_day(plates: Programme) -> None:
    plates.act("k1", jpeg(3))
    op = plates.op()
    month = NOW + dt.timedelta(days=31)
    assert plates.write(lambda s: redeem.expire(s, "plates", op, now=month)) == 5
    with plates.runtime.db.read() as session:
        assert redeem.balance(session, "plates", "p1", month) == 0


def test_bad_actions_are_refused_whole(plates: Programme) -> None:
    before = plates.entries()
    with pytest.raises(InvalidParameter, match="food_type"):
        plates.act("k1", jpeg(1), inputs={"food_type": "gold", "portions": 1})
    with pytest.raises(InvalidParameter, match="evidence"):
        plates.act("k2", b"not a photo")
    with pytest.raises(InvalidParameter, match="does not take") as caught:
        op = plates.op()
        action = actions.Action("p1", "k3", "no-such", NOW, PLATE, jpeg(1))
        plates.write(lambda s: actions.submit(s, "plates", action, op, now=NOW))
    assert caught.value.field == "methodology"
    assert plates.entries() == before


def test_only_the_operator_submits(plates: Programme) -> None:
    plates.write(lambda s: accounts.create_account(s, "mallory", [Role.HOLDER], "system"))
    with plates.runtime.db.read() as session:
        mallory = accounts.principal(session, "mallory")
    action = actions.Action("p1", "k1", "clean-plate", NOW, PLATE, jpeg(1))
    with pytest.raises(PermissionDenied, match="operator"):
        plates.write(lambda s: actions.submit(s, "plates", action, mallory, now=NOW))


def test_a_held_photo_is_decided_by_the_operator(plates: Programme) -> None:
    plates.act("k1", jpeg(9))
    held = plates.act("k2", jpeg(9, quality=50, scale=0.5), minutes=1)
    assert held["status"] == "review"
    op = plates.op()
    with plates.runtime.db.read() as session:
        assert [a["id"] for a in review.queue(session, "plates")] == [held["action"]]
    done = plates.write(
        lambda s: review.decide_held(s, "plates", held["action"], True, "a second plate", op)
    )
    assert done["status"] == "accepted" and done["points"] == 5
    with pytest.raises(Conflict, match="not held"):
        plates.write(lambda s: review.decide_held(s, "plates", held["action"], False, "x", op))


def test_the_days_cap_resets_at_midnight_china_time(plates: Programme) -> None:
    late = 11 * 60 + 10  # NOW is 12:00 China time: 23:10, 23:20, 23:30, 23:50, then 00:20
    for i in range(3):
        assert plates.act(f"k{i}", jpeg(40 + i), minutes=late + 10 * i)["status"] == "accepted"
    assert plates.act("k8", jpeg(48), minutes=late + 40)["status"] == "rejected"
    assert plates.act("k9", jpeg(49), minutes=late + 70)["status"] == "accepted"
