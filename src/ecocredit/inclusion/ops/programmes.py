"""Create a programme with its point rules and limits, and keep its reward catalogue."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Principal, Role
from ecocredit.errors import Conflict, InvalidParameter, NotFound, PermissionDenied
from ecocredit.inclusion import methodologies
from ecocredit.inclusion.decisions import Limits
from ecocredit.inclusion.points import PointRule, check_validity
from ecocredit.inclusion.tables import programmes, rewards, rules
from ecocredit.ledger import service as ledger
from ecocredit.ledger import store
from ecocredit.ledger.events import INCLUSION_PROGRAMME_CREATED, INCLUSION_REWARD_SET
from ecocredit.text import check_text

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
OWNERSHIP = ("participant", "operator")


@dataclass(frozen=True)
class Programme:
    """A programme as its operator defines it."""

    code: str
    name: str
    ownership: str = "participant"
    validity_days: int = 3652
    rules: Sequence[tuple[PointRule, str | None]] = ()  # each rule and its pinned version
    limits: Limits = field(default_factory=Limits)


def require_operator(session: Session, actor: Principal, programme: str | None = None) -> str:
    """The actor's name, if it holds the role ``operator`` (and runs ``programme``)."""
    current = accounts.principal(session, actor.name)  # roles as they stand in this write
    if not (current.has(Role.OPERATOR) or current.has(Role.ADMIN)):
        raise PermissionDenied(
            f"account {actor.name!r} may not run programmes: it needs the role 'operator' "
            f"(it has {current.describe_roles()})"
        )
    if programme is not None:
        row = session.execute(
            select(programmes.c.operator).where(programmes.c.code == programme)
        ).first()
        if row is None:
            raise NotFound(f"no programme {programme!r}", field="programme")
        if row[0] != current.name and not current.has(Role.ADMIN):
            raise PermissionDenied(f"programme {programme!r} is run by {row[0]!r}")
    return current.name


def _limits_json(limits: Limits) -> dict[str, Any]:
    return {
        "max_age_days": limits.max_age.days,
        "clock_skew_minutes": int(limits.clock_skew.total_seconds() // 60),
        "velocity_window_minutes": int(limits.velocity_window.total_seconds() // 60),
        "velocity_max": limits.velocity_max,
    }


def _check(spec: Programme) -> list[dict[str, Any]]:
    if not CODE.fullmatch(spec.code):
        raise InvalidParameter("code: letters, digits, _ . -; at most 64", field="code")
    check_text(spec.name, "name", 200)
    if spec.ownership not in OWNERSHIP:
        raise InvalidParameter("ownership: participant or operator", field="ownership")
    check_validity(spec.validity_days)
    if not spec.rules:
        raise InvalidParameter("a programme needs at least one methodology rule", field="rules")
    found = []
    for rule, version in spec.rules:
        rule.check()
        methodologies.methodology(rule.methodology, version)  # unknown id or version: refused
        found.append(dataclasses.asdict(rule) | {"version": version})
    if len({r["methodology"] for r in found}) != len(found):
        raise InvalidParameter("one rule per methodology", field="rules")
    return found


def create_programme(session: Session, spec: Programme, actor: Principal) -> None:
    """Create a programme run by the actor; logged with its rules and limits."""
    found = _check(spec)
    store.read_head(session, lock=True)
    operator = require_operator(session, actor)
    if session.execute(select(programmes.c.code).where(programmes.c.code == spec.code)).first():
        raise Conflict(f"programme {spec.code!r} exists", field="code")
    limits = _limits_json(spec.limits)
    data = {
        "programme": spec.code, "name": spec.name.strip(), "operator": operator,
        "ownership": spec.ownership, "validity_days": spec.validity_days, "rules": found,
        "limits": limits,
    }  # fmt: skip
    index = ledger.record(session, INCLUSION_PROGRAMME_CREATED, operator, data)
    session.execute(
        programmes.insert().values(
            code=spec.code, name=spec.name.strip(), operator=operator, ownership=spec.ownership,
            validity_days=spec.validity_days, limits=json.dumps(limits), ledger_index=index,
            created_at=datetime.now(UTC),
        )
    )  # fmt: skip
    session.execute(rules.insert(), [r | {"programme": spec.code} for r in found])


def set_reward(
    session: Session, programme: str, code: str, name: str, points: int, stock: int,
    actor: Principal,
) -> None:  # fmt: skip
    """Add a reward to the catalogue, or change its price or stock; logged."""
    if not CODE.fullmatch(code):
        raise InvalidParameter("reward: letters, digits, _ . -; at most 64", field="reward")
    name = check_text(name, "name", 200)
    if not 0 < points <= 10**9:
        raise InvalidParameter("points: a whole number from 1", field="points")
    if not 0 <= stock <= 10**9:
        raise InvalidParameter("stock: a whole number from 0", field="stock")
    store.read_head(session, lock=True)
    operator = require_operator(session, actor, programme)
    key = (rewards.c.programme == programme) & (rewards.c.code == code)
    row = {"name": name, "points": points, "stock": stock}
    if session.execute(select(rewards.c.code).where(key)).first():
        session.execute(rewards.update().where(key).values(**row))
    else:
        session.execute(rewards.insert().values(programme=programme, code=code, **row))
    data = {"programme": programme, "reward": code} | row
    ledger.record(session, INCLUSION_REWARD_SET, operator, data)
