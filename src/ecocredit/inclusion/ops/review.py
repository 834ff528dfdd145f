"""The operator's review queue: a held action is accepted (and earns its points) or rejected."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.errors import Conflict, NotFound
from ecocredit.inclusion.decisions import Outcome
from ecocredit.inclusion.ops import bulk_load
from ecocredit.inclusion.ops.actions import CHINA
from ecocredit.inclusion.ops.programmes import require_operator
from ecocredit.inclusion.points import DayUse, PointRule, expires_at, points_for
from ecocredit.inclusion.tables import actions, grants, programmes, rules
from ecocredit.ledger import service as ledger
from ecocredit.ledger import store
from ecocredit.ledger.events import INCLUSION_ACTION_DECIDED
from ecocredit.text import check_text


def queue(session: Session, programme: str, limit: int = 100) -> list[dict[str, Any]]:
    """Actions held for review, oldest first."""
    rows = session.execute(
        select(actions.c.id, actions.c.participant, actions.c.methodology, actions.c.at,
               actions.c.reason, actions.c.grams_co2e)
        .where(actions.c.programme == programme, actions.c.status == Outcome.REVIEW.value)
        .order_by(actions.c.id).limit(min(max(limit, 1), 1000))
    ).mappings()  # fmt: skip
    return [dict(row) | {"at": row["at"].isoformat()} for row in rows]


def _day_use(session: Session, row: Any) -> DayUse:
    at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=dt.UTC)  # stored in UTC
    day = at.astimezone(CHINA).date()
    start = dt.datetime.combine(day, dt.time(), CHINA).astimezone(dt.UTC)
    count, points = session.execute(
        select(func.count(), func.coalesce(func.sum(actions.c.points), 0)).where(
            actions.c.programme == row["programme"], actions.c.participant == row["participant"],
            actions.c.methodology == row["methodology"],
            actions.c.status == Outcome.ACCEPTED.value, actions.c.at >= start,
            actions.c.at < start + dt.timedelta(days=1),
        )
    ).one()  # fmt: skip
    return DayUse(int(count), int(points))


def decide_held(
    session: Session, programme: str, action_id: int, accept: bool, note: str, actor: Principal,
    now: dt.datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Accept or reject a held action, with the operator's note; logged as a new decision."""
    note = check_text(note, "note", 300)
    now = now or dt.datetime.now(dt.UTC)
    store.read_head(session, lock=True)
    operator = require_operator(session, actor, programme)
    bulk_load.refuse_while_loading(session)
    row = session.execute(
        select(actions).where(actions.c.programme == programme, actions.c.id == action_id)
    ).mappings().first()  # fmt: skip
    if row is None:
        raise NotFound(f"no action {action_id} in {programme!r}", field="action")
    if row["status"] != Outcome.REVIEW.value:
        raise Conflict(f"action {action_id} is {row['status']}, not held", field="action")
    points = 0
    if accept:
        rule = session.execute(
            select(rules).where(rules.c.programme == programme,
                                rules.c.methodology == row["methodology"])
        ).mappings().one()  # fmt: skip
        point_rule = PointRule(row["methodology"], rule["points_per_action"],
                               rule["grams_per_point"], rule["max_actions_per_day"],
                               rule["max_points_per_day"])  # fmt: skip
        points = points_for(point_rule, row["grams_co2e"], _day_use(session, row))[0]
    status = Outcome.ACCEPTED if accept else Outcome.REJECTED
    data = {
        "programme": programme, "participant": row["participant"], "action": action_id,
        "methodology": row["methodology"], "version": row["version"], "status": status.value,
        "reason": f"reviewed: {note}", "grams_co2e": row["grams_co2e"], "points": points,
        "evidence_sha256": row["evidence_sha256"],
    }  # fmt: skip
    ledger.record(session, INCLUSION_ACTION_DECIDED, operator, data)
    session.execute(update(actions).where(actions.c.id == action_id).values(
        status=status.value, reason=data["reason"][:300], points=points))  # fmt: skip
    if points:
        validity = session.execute(
            select(programmes.c.validity_days).where(programmes.c.code == programme)
        ).scalar_one()
        session.execute(grants.insert().values(
            programme=programme, participant=row["participant"], action_id=action_id,
            points=points, remaining=points, expires_at=expires_at(now, validity),
        ))  # fmt: skip
    return data
