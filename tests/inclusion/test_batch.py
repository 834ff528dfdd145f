"""A batch of actions is decided as if its actions came one by one, and is logged once."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Principal, Role
from ecocredit.errors import InvalidParameter
from ecocredit.inclusion.decisions import Limits
from ecocredit.inclusion.ops import actions, batch, programmes
from ecocredit.inclusion.ops.bulk import decisions_csv
from ecocredit.inclusion.points import PointRule
from ecocredit.inclusion.tables import actions as action_table
from ecocredit.ledger.tables import ledger_entries
from ecocredit.runtime import InitResult, Runtime
from tests.inclusion.test_service import jpeg

NOW = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)
PLATE = {"food_type": "rice", "portions": 1}


def operator(runtime: Runtime) -> Principal:
    with runtime.db.read() as session:
        return accounts.principal(session, "op")


def make_programme(runtime: Runtime, code: str) -> None:
    """Clean plates (5 points, 3 a day) and trips (100 g a point, 40 points a day)."""
    plates = PointRule("clean-plate", points_per_action=5, max_actions_per_day=3)
    trips = PointRule("green-travel", grams_per_point=100, max_points_per_day=40)
    limits = Limits(max_age=dt.timedelta(days=3650), velocity_max=4)
    spec = programmes.Programme(code, "光盘与出行", rules=[(plates, None), (trips, None)],
                                validity_days=30, limits=limits)  # fmt: skip
    op = operator(runtime)
    runtime.db.write(lambda s: programmes.create_programme(s, spec, op))


@pytest.fixture
def runtime(installed: InitResult) -> Runtime:
    found = installed.runtime
    found.db.write(lambda s: accounts.create_account(s, "op", [Role.OPERATOR], "system"))
    make_programme(found, "single")
    make_programme(found, "batch")
    return found


def sample() -> list[actions.Action]:
    """Accepted, duplicate and near-duplicate photos, caps, velocity, a repeated key."""

    def plate(key: str, who: str, minutes: int, photo: bytes) -> actions.Action:
        return actions.Action(who, key, "clean-plate", NOW + dt.timedelta(minutes=minutes),
                              PLATE, photo)  # fmt: skip

    def trip(key: str, who: str, minutes: int, km: float) -> actions.Action:
        return actions.Action(who, key, "green-travel", NOW + dt.timedelta(minutes=minutes),
                              {"mode": "metro", "km": km}, key.encode(), "trip")  # fmt: skip

    return [
        plate("a1", "p1", 0, jpeg(1)), plate("a2", "p1", 1, jpeg(1)),  # the same photo
        plate("a3", "p1", 30, jpeg(1, quality=55, scale=0.5)),  # a re-saved one
        plate("a4", "p1", 60, jpeg(2)), plate("a5", "p1", 90, jpeg(3)),
        plate("a6", "p1", 120, jpeg(4)),  # over the day's cap of 3
        plate("a1", "p1", 0, jpeg(1)),  # the first key again
        trip("t1", "p2", 0, 10.0), trip("t2", "p2", 1, 22.5), trip("t3", "p2", 2, 30),
        trip("t4", "p2", 3, 5), trip("t5", "p2", 4, 7),  # the fifth within 10 minutes
        trip("t6", "p2", 200, 40), plate("b1", "p2", 300, jpeg(5)),
        plate("c1", "p3", 24 * 60, jpeg(6)),
    ]  # fmt: skip


def positions(answers: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Answers with action ids replaced by positions, so two programmes compare."""
    where = {a["action"]: n for n, a in enumerate(answers)}

    def plain(reason: str) -> str:
        return re.sub(r"action (\d+)", lambda m: f"action #{where[int(m[1])]}", reason)

    return [(a["participant"], a["status"], plain(a["reason"]), a["points"], a["grams_co2e"],
             a["evidence_sha256"], where[a["action"]]) for a in answers]  # fmt: skip


LATER = NOW + dt.timedelta(days=2)


def one_by_one(runtime: Runtime, code: str, items: Sequence[actions.Action]
               ) -> list[dict[str, Any]]:  # fmt: skip
    op = operator(runtime)
    return [
        runtime.db.write(lambda s, a=a: actions.submit(s, code, a, op, now=LATER)) for a in items
    ]


def test_a_batch_decides_as_one_action_after_another(runtime: Runtime) -> None:
    items = sample()
    op = operator(runtime)
    single = one_by_one(runtime, "single", items)
    batched = runtime.db.write(lambda s: batch.submit_many(s, "batch", items, op, now=LATER))
    assert positions(batched) == positions(single)
    statuses = [a["status"] for a in batched]
    assert statuses.count("rejected") == 2 and statuses.count("review") == 2
    assert batched[6] == batched[0]  # the repeated key answers as its first use
    assert sum(a["points"] for a in batched[7:12]) == 40  # the day's cap of points


def test_a_batch_is_one_log_entry_holding_the_hash_of_its_decisions(runtime: Runtime) -> None:
    op = operator(runtime)
    items = sample()
    answers = runtime.db.write(lambda s: batch.submit_many(s, "batch", items, op, now=LATER))
    with runtime.db.read() as session:
        entries = session.execute(select(ledger_entries.c.entry)).scalars().all()
        rows = session.execute(
            select(action_table).where(action_table.c.programme == "batch")
            .order_by(action_table.c.id)
        ).mappings().all()  # fmt: skip
    decided = [json.loads(bytes(e)) for e in entries]
    mine = [e for e in decided if e["type"].startswith("inclusion.action")]
    assert [e["type"] for e in mine] == ["inclusion.actions_decided"]
    data = mine[0]["data"]
    assert data["count"] == len(rows) == len(items) - 1 and data["first_action"] == rows[0]["id"]
    assert data["sha256"] == hashlib.sha256(decisions_csv(rows)).hexdigest()
    assert data["points"] == sum(a["points"] for a in answers[:6] + answers[7:])
    again = runtime.db.write(lambda s: batch.submit_many(s, "batch", items, op, now=LATER))
    assert again == answers  # replayed from the stored results, nothing new logged
    with runtime.db.read() as session:
        assert len(session.execute(select(ledger_entries.c.entry)).all()) == len(entries)


def test_a_bad_action_refuses_the_whole_batch(runtime: Runtime) -> None:
    op = operator(runtime)
    gold = actions.Action("p9", "z", "clean-plate", NOW, {"food_type": "gold", "portions": 1},
                          jpeg(9))  # fmt: skip
    items = [*sample()[:3], gold]
    with pytest.raises(InvalidParameter, match=r"actions\[3\].*food_type"):
        runtime.db.write(lambda s: batch.submit_many(s, "batch", items, op, now=NOW))
    with runtime.db.read() as session:
        assert session.execute(select(action_table.c.id)).first() is None


def test_a_batch_sees_the_actions_stored_before_it(runtime: Runtime) -> None:
    items = sample()
    op = operator(runtime)
    single = one_by_one(runtime, "single", items)
    one_by_one(runtime, "batch", items[:5])
    rest = runtime.db.write(lambda s: batch.submit_many(s, "batch", items[5:], op, now=LATER))
    assert [(a["status"], a["points"]) for a in rest] == [
        (a["status"], a["points"]) for a in single[5:]
    ]
