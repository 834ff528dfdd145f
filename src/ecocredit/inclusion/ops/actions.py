"""Take one action of a participant: reduce it, gather the facts, decide, grant points, log.

All in the caller's transaction, behind the log's lock, so two submissions of one photo cannot
both pass the duplicate check. The near-duplicate index of a programme's photos is kept on
the database connection and brought up to date with the actions written since it was built.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.errors import IdempotencyConflict, InvalidParameter, NotFound
from ecocredit.inclusion import methodologies
from ecocredit.inclusion.decisions import Decision, Facts, Limits, Outcome, decide
from ecocredit.inclusion.ops import bulk_load
from ecocredit.inclusion.ops.photos import near_photos
from ecocredit.inclusion.ops.programmes import CODE, require_operator
from ecocredit.inclusion.phash import perceptual_hash, sha256_hex
from ecocredit.inclusion.points import DayUse, PointRule, expires_at, points_for
from ecocredit.inclusion.tables import actions, grants, programmes, rules
from ecocredit.ledger import service as ledger
from ecocredit.ledger import store
from ecocredit.ledger.events import INCLUSION_ACTION_DECIDED

CHINA = dt.timezone(dt.timedelta(hours=8))  # a participant's day is the local day
EVIDENCE_KINDS = ("photo", "slip", "trip")
# Days and times outside these bounds are refused: Python's dates end at years 1 and 9999,
# so moving such a time to another zone or adding a day to it would overflow, and no action
# or crediting period of a carbon-inclusion programme lies that far out.
FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(2200, 12, 31)


def check_day(day: dt.date, name: str) -> dt.date:
    """``day`` if it lies from ``FIRST_DAY`` to ``LAST_DAY``; an error naming ``name`` if not."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidParameter(
            f"{name}: {day.isoformat()} is out of range; give a day from "
            f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}",
            field=name,
        )
    return day


def check_time(at: dt.datetime, name: str) -> dt.datetime:
    """``at`` if it has an offset and falls, in UTC, on a day from ``FIRST_DAY`` to ``LAST_DAY``.

    The day as written is checked first, a day wider on each side since an offset is less
    than a day, so that the conversion to UTC cannot overflow.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidParameter(f"{name}: give the time with its offset", field=name)
    day = dt.timedelta(days=1)
    if not FIRST_DAY - day <= at.date() <= LAST_DAY + day or not (
        FIRST_DAY <= at.astimezone(dt.UTC).date() <= LAST_DAY
    ):
        raise InvalidParameter(
            f"{name}: {at.isoformat()} is out of range; give a time from "
            f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()} (UTC)",
            field=name,
        )
    return at


@dataclass(frozen=True)
class Action:
    """One action as the operator's app submits it."""

    participant: str
    key: str  # the idempotency key
    methodology: str
    at: dt.datetime
    inputs: dict[str, Any]
    evidence: bytes
    evidence_kind: str = "photo"


def _check(action: Action) -> None:
    if not CODE.fullmatch(action.participant):
        raise InvalidParameter(
            "participant: letters, digits, _ . -; at most 64", field="participant"
        )
    if not 1 <= len(action.key) <= 128 or not action.key.isprintable():
        raise InvalidParameter("key: 1 to 128 printable characters", field="key")
    check_time(action.at, "at")
    if action.evidence_kind not in EVIDENCE_KINDS:
        raise InvalidParameter(
            f"evidence_kind: one of {', '.join(EVIDENCE_KINDS)}", field="evidence_kind"
        )
    if not action.evidence:
        raise InvalidParameter(
            "evidence: the photo, slip or trip record is empty", field="evidence"
        )


def evidence_prefix(sha: str) -> int:
    """The first 60 bits of a hex SHA-256, the key of the duplicate-evidence index."""
    return int(sha[:15], 16)


def _signed(h: int) -> int:
    return h - (1 << 64) if h >= 1 << 63 else h


def _similar(session: Session, programme: str, phash: int) -> list[tuple[int, int]]:
    return near_photos(session, programme, [phash])[0]


def _facts(session: Session, programme: str, action: Action, now: dt.datetime,
           sha: str, phash: int | None, limits: Limits) -> tuple[Facts, DayUse]:  # fmt: skip
    mine = (actions.c.programme == programme) & (actions.c.participant == action.participant)
    kept = actions.c.status != Outcome.REJECTED.value
    seen = session.execute(
        select(actions.c.id)
        .where(
            actions.c.programme == programme,
            actions.c.evidence_prefix == evidence_prefix(sha),
            actions.c.evidence_sha256 == sha,
            kept,
        )
        .limit(1)
    ).scalar_one_or_none()
    day = action.at.astimezone(CHINA).date()
    # Times are stored and compared in UTC: SQLite keeps no offset.
    start = dt.datetime.combine(day, dt.time(), CHINA).astimezone(dt.UTC)
    accepted = mine & (actions.c.methodology == action.methodology) & (
        actions.c.status == Outcome.ACCEPTED.value) & (actions.c.at >= start) & (
        actions.c.at < start + dt.timedelta(days=1))  # fmt: skip
    count, points = session.execute(
        select(func.count(), func.coalesce(func.sum(actions.c.points), 0)).where(accepted)
    ).one()
    recent = session.execute(
        select(actions.c.at).where(
            mine, kept, actions.c.at > action.at - limits.velocity_window, actions.c.at <= action.at
        )
    ).scalars().all()  # fmt: skip
    similar = _similar(session, programme, phash) if phash is not None else []
    facts = Facts(action.at, now, seen, int(count), _utc(recent), similar)
    return facts, DayUse(int(count), int(points))


def _utc(times: Sequence[dt.datetime]) -> list[dt.datetime]:
    """Stored times as aware UTC times (SQLite gives them back without their offset)."""
    return [t if t.tzinfo else t.replace(tzinfo=dt.UTC) for t in times]


def _programme(session: Session, code: str, methodology: str) -> tuple[Any, Any]:
    row = session.execute(select(programmes).where(programmes.c.code == code)).mappings().first()
    if row is None:
        raise NotFound(f"no programme {code!r}", field="programme")
    rule = session.execute(
        select(rules).where(rules.c.programme == code, rules.c.methodology == methodology)
    ).mappings().first()  # fmt: skip
    if rule is None:
        raise InvalidParameter(
            f"programme {code!r} does not take {methodology[:64]!r}", field="methodology"
        )
    return row, rule


def _limits(row: Any, rule: Any) -> Limits:
    raw = json.loads(row["limits"])
    return Limits(
        max_age=dt.timedelta(days=raw["max_age_days"]),
        clock_skew=dt.timedelta(minutes=raw["clock_skew_minutes"]),
        velocity_window=dt.timedelta(minutes=raw["velocity_window_minutes"]),
        velocity_max=raw["velocity_max"],
        max_actions_per_day=rule["max_actions_per_day"],
    )


def _replayed(session: Session, programme: str, action: Action, sha: str) -> dict[str, Any] | None:
    same_key = (actions.c.programme == programme) & (actions.c.idempotency_key == action.key)
    row = session.execute(select(actions).where(same_key)).mappings().first()
    if row is None:
        return None
    same = (row["participant"], row["methodology"], row["evidence_sha256"]) == (
        action.participant, action.methodology, sha)  # fmt: skip
    if not same:
        raise IdempotencyConflict("this key was used for another action", field="key")
    return _result(dict(row))


def _result(row: dict[str, Any], quantities: dict[str, Any] | None = None) -> dict[str, Any]:
    """The answer for a stored action; ``quantities``: its parsed quantities, when known."""
    return {
        "action": row["id"], "participant": row["participant"], "status": row["status"],
        "reason": row["reason"], "grams_co2e": row["grams_co2e"], "points": row["points"],
        "methodology": row["methodology"], "version": row["version"],
        "quantities": json.loads(row["quantities"]) if quantities is None else quantities,
        "evidence_sha256": row["evidence_sha256"],
    }  # fmt: skip


def submit(session: Session, programme: str, action: Action, actor: Principal,
           now: dt.datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """Decide one action and grant its points; answer as the log entry records it."""
    _check(action)
    action = dataclasses.replace(action, at=action.at.astimezone(dt.UTC))
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    row, rule = _programme(session, programme, action.methodology)
    method = methodologies.methodology(action.methodology, rule["version"])
    reduction = method.reduce(action.inputs)  # refuses impossible inputs before anything else
    sha = sha256_hex(action.evidence)
    phash = perceptual_hash(action.evidence) if action.evidence_kind == "photo" else None
    store.read_head(session, lock=True)
    bulk_load.refuse_while_loading(session)
    operator = require_operator(session, actor, programme)
    replay = _replayed(session, programme, action, sha)
    if replay is not None:
        return replay
    limits = _limits(row, rule)
    facts, used = _facts(session, programme, action, now, sha, phash, limits)
    decision = decide(facts, limits)
    points = _points(rule, reduction.grams_co2e, used, decision)
    data = {
        "programme": programme, "participant": action.participant, "action": 0,
        "methodology": method.id, "version": method.version, "status": decision.outcome.value,
        "reason": decision.reason, "grams_co2e": reduction.grams_co2e, "points": points,
        "evidence_sha256": sha,
    }  # fmt: skip
    stored = {
        "programme": programme, "participant": action.participant,
        "idempotency_key": action.key, "methodology": method.id, "version": method.version,
        "at": action.at, "received": now, "status": decision.outcome.value,
        "reason": decision.reason[:300], "grams_co2e": reduction.grams_co2e,
        "quantities": json.dumps(dict(reduction.quantities)), "evidence_sha256": sha,
        "evidence_prefix": evidence_prefix(sha),
        "phash": _signed(phash) if phash is not None else None, "points": points,
        "ledger_index": store.read_head(session).size,
    }  # fmt: skip
    inserted = session.execute(actions.insert().values(**stored).returning(actions.c.id))
    action_id = int(inserted.scalar_one())
    ledger.record(session, INCLUSION_ACTION_DECIDED, operator, data | {"action": int(action_id)})
    if points:
        session.execute(grants.insert().values(
            programme=programme, participant=action.participant, action_id=action_id,
            points=points, remaining=points, expires_at=expires_at(now, row["validity_days"]),
        ))  # fmt: skip
    return _result(stored | {"id": int(action_id)})


def _points(rule: Any, grams: int, used: DayUse, decision: Decision) -> int:
    if decision.outcome is not Outcome.ACCEPTED:
        return 0
    point_rule = PointRule(
        rule["methodology"], rule["points_per_action"], rule["grams_per_point"],
        rule["max_actions_per_day"], rule["max_points_per_day"],
    )  # fmt: skip
    return points_for(point_rule, grams, used)[0]
