"""Reads of carbon inclusion: programmes, participants, the methodology catalogue, the dashboard.

Participant ids belong to their programme: ``p1`` of one programme is not ``p1`` of another, so
every read of a participant names the programme, and the participants of all programmes are
the sum of each programme's.

The dashboard says what programmes achieved, as totals and per local day (UTC+8): distinct
participants, actions by outcome, food saved, plastic recovered, material recycled, CO2e
reduced, points granted and redeemed, and tonnes credited. Every figure is one SQL aggregate
grouped by programme (and day); food and plastic are read from each action's ``quantities``
JSON inside the database (``json_extract`` on SQLite, ``json_extract_path_text`` on
PostgreSQL), so no action row is loaded into Python. Only accepted actions count towards the
quantities and points; an action's day is the local day it happened.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, Float, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ecocredit.errors import NotFound
from ecocredit.inclusion import methodologies
from ecocredit.inclusion.decisions import Outcome
from ecocredit.inclusion.ops.redeem import balance
from ecocredit.inclusion.tables import actions, grants, programmes, redemptions, rewards, rules

LISTED = 100  # a participant's newest actions, grants and redemptions shown
GRAMS_PER_TONNE = 1_000_000
CHINA_ZONE = "Asia/Shanghai"  # UTC+8 all year: no daylight saving since 1991
# The quantities the dashboard adds up: its name, and the key and unit in ``quantities``.
QUANTITIES = (
    ("food_saved_t", "food_saved_g", 10**6),  # clean-plate
    ("plastic_recovered_t", "plastic_recovered_kg", 10**3),  # marine-plastic
    ("recycled_t", "kg", 10**3),  # household recycling, any material
)
COUNTS = ("accepted", "rejected", "review")


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)  # SQLite hands back UTC without its zone
    return str(value.isoformat())


def programme_list(session: Session) -> list[dict[str, Any]]:
    """Every programme with its operator, ownership and methodologies, by code."""
    listed = session.execute(
        select(rules.c.programme, rules.c.methodology).order_by(rules.c.methodology)
    ).all()
    methods: dict[str, list[str]] = {}
    for code, methodology in listed:
        methods.setdefault(code, []).append(methodology)
    rows = session.execute(select(programmes).order_by(programmes.c.code)).mappings()
    return [_programme_row(row) | {"methodologies": methods.get(row["code"], [])} for row in rows]


def _programme_row(row: Any) -> dict[str, Any]:
    return {
        "code": row["code"], "name": row["name"], "operator": row["operator"],
        "ownership": row["ownership"], "validity_days": row["validity_days"],
        "created_at": _iso(row["created_at"]), "ledger_index": row["ledger_index"],
    }  # fmt: skip


def _programme(session: Session, code: str) -> Any:
    row = session.execute(select(programmes).where(programmes.c.code == code)).mappings().first()
    if row is None:
        raise NotFound(f"no programme {code!r}", field="programme")
    return row


def programme(session: Session, code: str) -> dict[str, Any]:
    """A programme: its point rules, limits, reward catalogue with stock, and review queue size."""
    row = _programme(session, code)
    rule_rows = session.execute(
        select(rules).where(rules.c.programme == code).order_by(rules.c.methodology)
    ).mappings()
    reward_rows = session.execute(
        select(rewards.c.code, rewards.c.name, rewards.c.points, rewards.c.stock)
        .where(rewards.c.programme == code)
        .order_by(rewards.c.points, rewards.c.code)
    ).mappings()
    held = session.execute(
        select(func.count()).where(
            actions.c.programme == code, actions.c.status == Outcome.REVIEW.value
        )
    ).scalar_one()
    return _programme_row(row) | {
        "limits": json.loads(row["limits"]),
        "rules": [{k: v for k, v in r.items() if k != "programme"} for r in rule_rows],
        "rewards": [dict(r) for r in reward_rows],
        "review_queue": int(held),
    }


def participant(
    session: Session, code: str, who: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    """A participant of a programme: balance, grants, newest actions and redemptions."""
    _programme(session, code)
    now = now or dt.datetime.now(dt.UTC)
    mine = (actions.c.programme == code) & (actions.c.participant == who)
    done = session.execute(
        select(actions.c.id, actions.c.methodology, actions.c.version, actions.c.at,
               actions.c.status, actions.c.reason, actions.c.grams_co2e, actions.c.points,
               actions.c.quantities, actions.c.batch, actions.c.ledger_index)
        .where(mine).order_by(actions.c.id.desc()).limit(LISTED)
    ).mappings().all()  # fmt: skip
    if not done:
        raise NotFound(f"programme {code!r} has no participant {who!r}", field="participant")
    granted = session.execute(
        select(grants.c.id, grants.c.action_id, grants.c.points, grants.c.remaining,
               grants.c.expires_at)
        .where(grants.c.programme == code, grants.c.participant == who)
        .order_by(grants.c.id.desc()).limit(LISTED)
    ).mappings()  # fmt: skip
    spent = session.execute(
        select(redemptions.c.id, redemptions.c.reward, redemptions.c.quantity,
               redemptions.c.points, redemptions.c.at, redemptions.c.ledger_index)
        .where(redemptions.c.programme == code, redemptions.c.participant == who)
        .order_by(redemptions.c.id.desc()).limit(LISTED)
    ).mappings()  # fmt: skip
    return {
        "programme": code, "participant": who, "balance": balance(session, code, who, now),
        "grants": [dict(g) | {"expires_at": _iso(g["expires_at"])} for g in granted],
        "actions": [_action(a) for a in done],
        "redemptions": [dict(r) | {"at": _iso(r["at"])} for r in spent],
    }  # fmt: skip


def _action(row: Any) -> dict[str, Any]:
    return dict(row) | {"at": _iso(row["at"]), "quantities": json.loads(row["quantities"])}


def methodology_list() -> list[dict[str, Any]]:
    """Every version of every methodology with its parameters, choices, bounds and sources."""
    return [_methodology(m) for m in methodologies.catalogue()]


def _methodology(m: methodologies.Methodology) -> dict[str, Any]:
    def params(found: Any) -> dict[str, Any]:
        return {key: dataclasses.asdict(p) for key, p in found.items()}

    return {
        "id": m.id, "version": m.version, "title": m.title, "kind": m.kind,
        "valid_from": m.valid_from.isoformat() if m.valid_from else None,
        "parameters": params(m.parameters),
        "choices": {f: {o: params(v) for o, v in opts.items()} for f, opts in m.choices.items()},
        "bounds": {f: dataclasses.asdict(b) for f, b in m.bounds.items()},
        "sources": list(m.sources),
    }  # fmt: skip


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _local_day(session: Session, column: Any) -> ColumnElement[Any]:
    if _postgres(session):
        return cast(func.timezone(CHINA_ZONE, column), Date)
    return func.date(column, "+8 hours")  # SQLite keeps UTC as text without its zone


def _quantity(session: Session, key: str) -> ColumnElement[Any]:
    if _postgres(session):
        return cast(func.json_extract_path_text(cast(actions.c.quantities, JSON), key), Float)
    return func.json_extract(actions.c.quantities, f"$.{key}")


def _action_figures(session: Session) -> list[ColumnElement[Any]]:
    accepted = actions.c.status == Outcome.ACCEPTED.value

    def when(condition: Any, value: Any) -> ColumnElement[Any]:
        return func.sum(case((condition, value), else_=None))

    figures: list[ColumnElement[Any]] = [
        func.count(func.distinct(actions.c.participant)).label("participants"),
        *[when(actions.c.status == status, 1).label(status) for status in COUNTS],
        when(accepted, actions.c.grams_co2e).label("grams_co2e"),
        when(accepted, actions.c.points).label("points_granted"),
        when(accepted & actions.c.batch.is_not(None), actions.c.grams_co2e).label("credited"),
    ]
    for name, key, _ in QUANTITIES:
        figures.append(when(accepted, _quantity(session, key)).label(name))
    return figures


def _grouped(session: Session, code: str | None, by_day: bool) -> list[dict[str, Any]]:
    """Figures of actions per programme (and local day), and the points redeemed."""
    keys: list[Any] = [actions.c.programme]
    spent_keys: list[Any] = [redemptions.c.programme]
    if by_day:
        keys.append(_local_day(session, actions.c.at).label("day"))
        spent_keys.append(_local_day(session, redemptions.c.at).label("day"))
    query = select(*keys, *_action_figures(session)).group_by(*keys)
    spent = select(*spent_keys, func.sum(redemptions.c.points)).group_by(*spent_keys)
    if code is not None:
        query = query.where(actions.c.programme == code)
        spent = spent.where(redemptions.c.programme == code)
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in session.execute(query).mappings():
        key = (row["programme"], str(row["day"])[:10]) if by_day else (row["programme"],)
        found[key] = {k: v or 0 for k, v in row.items() if k not in ("programme", "day")}
    for *group, points in session.execute(spent).all():
        key = (group[0], str(group[1])[:10]) if by_day else (group[0],)
        found.setdefault(key, {}).update(points_redeemed=int(points or 0))
    return [{"key": k, **v} for k, v in sorted(found.items())]


def _figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows of one or more programmes added up and shown in tonnes."""

    def total(name: str) -> Any:
        return sum((r.get(name) or 0) for r in rows)

    grams, credited = int(total("grams_co2e")), int(total("credited"))
    shown: dict[str, Any] = {
        "participants": int(total("participants")),  # ids are programme-scoped: sums are exact
        "actions": {status: int(total(status)) for status in COUNTS},
        "grams_co2e": grams,
        "co2e_t": str(Decimal(grams) / GRAMS_PER_TONNE),
        "points_granted": int(total("points_granted")),
        "points_redeemed": int(total("points_redeemed")),
        "credited_t": str(Decimal(credited) / GRAMS_PER_TONNE),
    }
    for name, _, per_tonne in QUANTITIES:
        shown[name] = round(float(total(name)) / per_tonne, 6)
    return shown


def dashboard(session: Session, code: str | None = None) -> dict[str, Any]:
    """What one programme (or, without ``code``, every programme) achieved: totals and days."""
    names = {p["code"]: p["name"] for p in programme_list(session)}
    if code is not None:
        _programme(session, code)
    totals = _grouped(session, code, by_day=False)
    days: dict[str, list[dict[str, Any]]] = {}
    for row in _grouped(session, code, by_day=True):
        days.setdefault(row["key"][1], []).append(row)
    result: dict[str, Any] = {
        "programme": code,
        "totals": _figures(totals),
        "daily": [{"day": day} | _figures(rows) for day, rows in sorted(days.items())],
    }
    if code is None:
        by_code = {row["key"][0]: row for row in totals}
        result["programmes"] = [
            {"code": c, "name": n} | _figures([by_code[c]] if c in by_code else [])
            for c, n in names.items()
        ]
    return result
