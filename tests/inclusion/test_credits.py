"""A programme's reductions become one verified batch in the registry, and are counted once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Role
from ecocredit.errors import Conflict
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
        rt.db.write(lambda s, n=name, r=roles: accounts.create_account(s, n, r, "system"))
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
