"""A programme's reductions become one verified batch in the registry, and are counted once."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from typing import Any

import pytest
from sqlalchemy import select

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Role
from ecocredit.errors import Conflict, InvalidParameter
from ecocredit.inclusion.decisions import Limits
from ecocredit.inclusion.ops import actions, credits, programmes
from ecocredit.inclusion.points import PointRule
from ecocredit.inclusion.tables import actions as action_rows
from ecocredit.registry import service as registry
from ecocredit.runtime import InitResult, Runtime
from tests.inclusion.test_service import NOW, jpeg

DAY = NOW.date()
ROLES = {
    "op": [Role.OPERATOR, Role.CLASS_ISSUER, Role.HOLDER],
    "registrar": [Role.CLASS_ADMIN],
    "developer": [Role.PROJECT_ADMIN],
    "verifier": [Role.VERIFIER],
}


def _as(runtime: Runtime, name: str, op: Any, *args: Any) -> Any:
    return runtime.db.write(lambda s: op(s, accounts.principal(s, name), *args))


@pytest.fixture
def runtime(installed: InitResult) -> Runtime:
    rt = installed.runtime
    for name, roles in ROLES.items():
        rt.db.write(functools.partial(accounts.create_account, name=name, roles=roles,
                                      actor="system"))  # fmt: skip
    _as(rt, "admin", registry.create_class, "C", "Carbon inclusion", "CI-01", "V01",
        "registrar", ["op"])  # fmt: skip
    _as(rt, "op", registry.create_project, "C01", "Clean plates", "developer", "CN-SC",
        "Luzhou", "", "registered")  # fmt: skip
    for code, ownership in (("plates", "operator"), ("mine", "participant")):
        spec = programmes.Programme(code, code, ownership,
                                    rules=[(PointRule("clean-plate", points_per_action=5), None)],
                                    limits=Limits(velocity_max=100))  # fmt: skip
        _as(rt, "op", lambda s, p, spec=spec: programmes.create_programme(s, spec, p))
    for i in range(4):
        action = actions.Action(f"p{i}", f"k{i}", "clean-plate", NOW, {"food_type": "rice",
                                "portions": 2}, jpeg(100 + i))  # fmt: skip
        _as(rt, "op", lambda s, p, a=action: actions.submit(s, "plates", a, p, now=NOW))
    return rt


def _report(runtime: Runtime, document: dict[str, Any]) -> str:
    filed = _as(runtime, "verifier", registry.file_report, "C01-001", DAY.isoformat(),
                DAY.isoformat(), document["tonnes"], document["sha256"])  # fmt: skip
    return str(filed["report"])


def test_the_periods_reductions_are_issued_once(runtime: Runtime) -> None:
    with runtime.db.read() as session:
        document = credits.aggregate(session, "plates", DAY, DAY)
    assert document["actions"] == 4 and document["grams_co2e"] > 0
    report = _report(runtime, document)
    issued = _as(
        runtime, "op", lambda s, p: credits.issue_credits(s, "plates", DAY, DAY, report, p)
    )
    assert issued["batch"].startswith("C01-001-")
    with runtime.db.read() as session:
        marked = session.execute(select(action_rows.c.batch)).scalars().all()
        again = credits.aggregate(session, "plates", DAY, DAY)
    assert set(marked) == {issued["batch"]}
    assert again["actions"] == 0 and again["grams_co2e"] == 0


def test_a_changed_period_needs_a_new_verification(runtime: Runtime) -> None:
    with runtime.db.read() as session:
        document = credits.aggregate(session, "plates", DAY, DAY)
    report = _report(runtime, document)
    late = actions.Action("p9", "k9", "clean-plate", NOW, {"food_type": "wheat", "portions": 1},
                          jpeg(200))  # fmt: skip
    _as(runtime, "op", lambda s, p: actions.submit(s, "plates", late, p, now=NOW))
    with pytest.raises(Conflict, match="aggregate again"):
        _as(runtime, "op", lambda s, p: credits.issue_credits(s, "plates", DAY, DAY, report, p))


def test_participants_reductions_are_never_credited(runtime: Runtime) -> None:
    with runtime.db.read() as session, pytest.raises(Conflict, match="never credited"):
        credits.aggregate(session, "mine", DAY, DAY)


def test_a_batch_marks_exactly_the_actions_its_document_counted(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stands for an action another transaction accepts between the reading of the period and
    # the marking: it must stay uncredited, for the next period's document to count it.
    with runtime.db.read() as session:
        document = credits.aggregate(session, "plates", DAY, DAY)
    report = _report(runtime, document)
    build = credits._document

    def build_then_accept_one(session: Any, *args: Any) -> Any:
        built = build(session, *args)
        late = actions.Action("p9", "k9", "clean-plate", NOW,
                              {"food_type": "wheat", "portions": 1}, jpeg(200))  # fmt: skip
        found = actions.submit(session, "plates", late, accounts.principal(session, "op"), now=NOW)
        assert found["status"] == "accepted"
        return built

    monkeypatch.setattr(credits, "_document", build_then_accept_one)
    issued = _as(
        runtime, "op", lambda s, p: credits.issue_credits(s, "plates", DAY, DAY, report, p)
    )
    assert issued["document"] == document
    with runtime.db.read() as session:
        rows = session.execute(
            select(action_rows.c.id, action_rows.c.grams_co2e, action_rows.c.batch,
                   action_rows.c.idempotency_key).order_by(action_rows.c.id)
        ).all()  # fmt: skip
    marked = [(i, g) for i, g, batch, _ in rows if batch == issued["batch"]]
    listing = "".join(f"{i},{g}\n" for i, g in marked).encode()
    assert hashlib.sha256(listing).hexdigest() == document["actions_sha256"]
    assert sum(g for _, g in marked) == document["grams_co2e"]
    assert [k for _, _, batch, k in rows if batch is None] == ["k9"]
    monkeypatch.undo()
    with runtime.db.read() as session:
        assert credits.aggregate(session, "plates", DAY, DAY)["actions"] == 1


def test_many_actions_are_marked_in_chunks(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(credits, "MARK_CHUNK", 3)  # four actions: two UPDATEs, 3 and 1
    with runtime.db.read() as session:
        document = credits.aggregate(session, "plates", DAY, DAY)
    report = _report(runtime, document)
    issued = _as(
        runtime, "op", lambda s, p: credits.issue_credits(s, "plates", DAY, DAY, report, p)
    )
    with runtime.db.read() as session:
        marked = session.execute(select(action_rows.c.batch)).scalars().all()
    assert marked == [issued["batch"]] * 4


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (dt.date(1, 1, 1), DAY, "start"),
        (DAY, dt.date(9999, 12, 31), "end"),
        (dt.date(1969, 12, 31), DAY, "start"),
        (DAY, dt.date(2201, 1, 1), "end"),
    ],
)
def test_a_period_out_of_range_is_refused_naming_its_end(
    runtime: Runtime, start: dt.date, end: dt.date, field: str
) -> None:
    with runtime.db.read() as session, pytest.raises(InvalidParameter, match="out of range") as e:
        credits.aggregate(session, "plates", start, end)
    assert e.value.field == field
    with pytest.raises(InvalidParameter, match="1970-01-01 to 2200-12-31") as e:
        _as(runtime, "op", lambda s, p: credits.issue_credits(s, "plates", start, end, "R", p))
    assert e.value.field == field
