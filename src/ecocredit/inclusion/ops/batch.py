"""Take up to a thousand actions in one transaction: the single action's decisions, set-wise.

Each action is decided exactly as ``actions.submit`` would decide it had the actions been
submitted one after another in the given order: an action sees the ones before it in the batch
(their evidence, their day's caps, their times for velocity, their photos). The facts are
gathered with one query per kind for the whole batch, the actions and grants are written with
one ``executemany`` each, and the batch is logged as one ``inclusion.actions_decided`` entry
holding the SHA-256 of its decisions as CSV (``decisions_csv``). Evidence is hashed (SHA-256
and perceptual hash) before the transaction opens, so the log's lock is held briefly.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.errors import EcocreditError, IdempotencyConflict, InvalidParameter, NotFound
from ecocredit.inclusion import methodologies
from ecocredit.inclusion.decisions import Facts, Limits, Outcome, decide
from ecocredit.inclusion.methodologies import Methodology, Reduction
from ecocredit.inclusion.ops import bulk_load
from ecocredit.inclusion.ops.actions import (
    CHINA,
    Action,
    _check,
    _limits,
    _result,
    evidence_prefix,
)
from ecocredit.inclusion.ops.bulk import log_decisions, reserve_ids, write_rows
from ecocredit.inclusion.ops.photos import near_photos
from ecocredit.inclusion.ops.programmes import require_operator
from ecocredit.inclusion.phash import NEAR_DUPLICATE_BITS, perceptual_hash, sha256_hex
from ecocredit.inclusion.phash_index import popcount
from ecocredit.inclusion.points import DayUse, PointRule, expires_at, points_for
from ecocredit.inclusion.tables import actions, grants, programmes, rules
from ecocredit.ledger import store

__all__ = ["MAX_BATCH", "submit_many"]

MAX_BATCH = 1000


@dataclass(frozen=True)
class Prepared:
    """One action checked, reduced and fingerprinted before the transaction."""

    action: Action
    method: Methodology
    reduction: Reduction
    sha: str
    phash: int | None
    at: dt.datetime  # UTC
    first_with_key: int  # position of the first action of the batch with this key


@dataclass(frozen=True)
class Context:
    """The programme's rules, limits and point validity, by methodology."""

    rules: Mapping[str, Any]
    limits: Mapping[str, Limits]
    validity_days: int
    window: dt.timedelta


@dataclass
class Gathered:
    """Facts from the database for the whole batch, before any of it is decided."""

    seen: dict[str, int] = field(default_factory=dict)  # sha256 → an action it backs
    days: dict[tuple[str, str, dt.date], list[int]] = field(default_factory=dict)
    times: dict[str, list[dt.datetime]] = field(default_factory=dict)  # kept, sorted


def _named(i: int, exc: EcocreditError) -> EcocreditError:
    """The same error, its message naming the action's position in the batch."""
    return type(exc)(f"actions[{i}]: {exc.message}", field=exc.field)


def prepare(session: Session, programme: str, batch: Sequence[Action]
            ) -> tuple[Context, list[Prepared]]:  # fmt: skip
    """Check, reduce and fingerprint every action; refuse the batch at the first bad one."""
    context = _context(session, programme)
    first: dict[str, int] = {}
    reduced: dict[Any, Reduction] = {}
    items: list[tuple[Methodology, Reduction]] = []
    for i, action in enumerate(batch):
        try:
            _check(action)
            if action.methodology not in context.rules:
                taken = f"programme {programme!r} does not take {action.methodology[:64]!r}"
                raise InvalidParameter(taken, field="methodology")
            version = context.rules[action.methodology]["version"]
            method = methodologies.methodology(action.methodology, version)
            items.append((method, _reduce(method, action.inputs, reduced)))
        except EcocreditError as exc:
            raise _named(i, exc) from exc
        first.setdefault(action.key, i)
    prints = _fingerprints(batch)
    return context, [
        Prepared(a, m, r, sha, ph, a.at.astimezone(dt.UTC), first[a.key])
        for a, (m, r), (sha, ph) in zip(batch, items, prints, strict=True)
    ]


def _reduce(method: Methodology, inputs: Mapping[str, Any], cache: dict[Any, Reduction]
            ) -> Reduction:  # fmt: skip
    """``method.reduce``, once per distinct inputs (types kept apart: True is not 1)."""
    try:
        key: Any = (method.id, method.version,
                    tuple(sorted((k, type(v), v) for k, v in inputs.items())))  # fmt: skip
        hash(key)
    except (TypeError, AttributeError):
        return method.reduce(inputs)  # unhashable or not a mapping: reduce names the fault
    found = cache.get(key)
    if found is None:
        found = cache[key] = method.reduce(inputs)
    return found


def _fingerprint(action: Action) -> tuple[str, int | None]:
    phash = perceptual_hash(action.evidence) if action.evidence_kind == "photo" else None
    return sha256_hex(action.evidence), phash


def _fingerprints(batch: Sequence[Action]) -> list[tuple[str, int | None]]:
    """SHA-256 and perceptual hash of every action's evidence.

    One after another: decoding is mostly Python-bound work under the GIL (threads measured
    slower), and on the benchmark machine two worker processes were no faster either.
    """
    return [_safe(i, a) for i, a in enumerate(batch)]


def _safe(i: int, action: Action) -> tuple[str, int | None]:
    try:
        return _fingerprint(action)
    except EcocreditError as exc:
        raise _named(i, exc) from exc


def _context(session: Session, code: str) -> Context:
    row = session.execute(select(programmes).where(programmes.c.code == code)).mappings().first()
    if row is None:
        raise NotFound(f"no programme {code!r}", field="programme")
    found = {
        r["methodology"]: dict(r)
        for r in session.execute(select(rules).where(rules.c.programme == code)).mappings()
    }
    limits = {m: _limits(row, r) for m, r in found.items()}
    window = next(iter(limits.values())).velocity_window if limits else dt.timedelta(0)
    return Context(found, limits, int(row["validity_days"]), window)


def fetch_facts(session: Session, programme: str, items: Sequence[Prepared],
                window: dt.timedelta) -> Gathered:  # fmt: skip
    """Evidence already kept, accepted actions per participant-day and kept times, set-wise."""
    kept = actions.c.status != Outcome.REJECTED.value
    mine = actions.c.programme == programme
    found = Gathered()
    shas = sorted({p.sha for p in items})
    for sha, action_id in session.execute(
        select(actions.c.evidence_sha256, func.min(actions.c.id))
        .where(mine, actions.c.evidence_prefix.in_(sorted({evidence_prefix(s) for s in shas})),
               actions.c.evidence_sha256.in_(shas), kept)
        .group_by(actions.c.evidence_sha256)
    ):  # fmt: skip
        found.seen[sha] = int(action_id)
    starts = [dt.datetime.combine(p.at.astimezone(CHINA).date(), dt.time(), CHINA) for p in items]
    # In UTC: SQLite stores a timestamp's wall time and drops its offset, so a bound in China
    # time would be compared eight hours off.
    low = min(min(starts), min(p.at for p in items) - window).astimezone(dt.UTC)
    high = (max(starts) + dt.timedelta(days=1)).astimezone(dt.UTC)
    people = sorted({p.action.participant for p in items})
    rows = session.execute(
        select(actions.c.participant, actions.c.methodology, actions.c.at, actions.c.status,
               actions.c.points)
        .where(mine, actions.c.participant.in_(people), kept, actions.c.at >= low,
               actions.c.at < high)
    ).all()  # fmt: skip
    for who, method, at, status, points in sorted(rows, key=lambda r: _utc(r[2])):
        when = _utc(at)
        found.times.setdefault(who, []).append(when)
        if status == Outcome.ACCEPTED.value:
            used = found.days.setdefault((who, method, when.astimezone(CHINA).date()), [0, 0])
            used[0], used[1] = used[0] + 1, used[1] + int(points)
    return found


def _utc(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


class _State:
    """What the batch has decided so far, merged with what the database held before it."""

    def __init__(self, facts: Gathered, stored_near: list[list[tuple[int, int]]],
                 batch_near: dict[int, list[tuple[int, int]]]) -> None:  # fmt: skip
        self.seen: dict[str, int] = dict(facts.seen)
        self.days: dict[tuple[str, str, dt.date], list[int]] = facts.days
        self.times: dict[str, list[dt.datetime]] = facts.times
        self.stored_near = stored_near  # per fresh action: near photos already stored
        self.batch_near = batch_near  # per fresh action: (earlier position, distance)
        self.kept: dict[int, int] = {}  # fresh position → action id, for kept actions

    def similar(self, n: int) -> list[tuple[int, int]]:
        """Near photos among the stored ones and the batch's kept ones before action ``n``."""
        earlier = [(self.kept[m], d) for m, d in self.batch_near.get(n, ()) if m in self.kept]
        return self.stored_near[n] + earlier

    def keep(self, n: int, item: Prepared, action_id: int) -> None:
        """Record a kept (not rejected) action: its evidence, its time and its photo."""
        self.seen.setdefault(item.sha, action_id)
        bisect.insort(self.times.setdefault(item.action.participant, []), item.at)
        self.kept[n] = action_id


def _near_in_batch(items: Sequence[Prepared]) -> dict[int, list[tuple[int, int]]]:
    """For each action, the earlier ones of the batch whose photos are near its photo."""
    present = np.array([n for n, p in enumerate(items) if p.phash is not None], dtype=np.int64)
    if len(present) < 2:
        return {}
    hashes = np.array([items[n].phash for n in present], dtype=np.uint64)
    found: dict[int, list[tuple[int, int]]] = {}
    for start in range(0, len(present), 256):  # blocks bound the distance matrix's size
        block = popcount(hashes[start : start + 256, None] ^ hashes[None, :])
        rows, cols = np.nonzero(block <= NEAR_DUPLICATE_BITS)
        rows += start
        earlier = cols < rows
        for r, c, d in zip(
            rows[earlier].tolist(),
            cols[earlier].tolist(),
            block[rows[earlier] - start, cols[earlier]].tolist(),
            strict=True,
        ):
            found.setdefault(int(present[r]), []).append((int(present[c]), d))  # fmt: skip
    return found


def submit_many(session: Session, programme: str, actions_: Sequence[Action], actor: Principal,
                now: dt.datetime | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Decide up to ``MAX_BATCH`` actions in order, grant their points, log the batch once.

    Returns one answer per action, in order, as ``actions.submit`` would have answered it; an
    action whose idempotency key was already used answers with its stored result. Any invalid
    action refuses the whole batch, its error naming the action's position.
    """
    if not 1 <= len(actions_) <= MAX_BATCH:
        raise InvalidParameter(f"a batch holds 1 to {MAX_BATCH} actions", field="actions")
    now = now or dt.datetime.now(dt.UTC)
    context, prepared = prepare(session, programme, actions_)
    store.read_head(session, lock=True)
    operator = require_operator(session, actor, programme)
    bulk_load.refuse_while_loading(session)
    answers, fresh = _replays(session, programme, prepared)
    if not fresh:
        return [a for a in answers if a is not None]
    facts = fetch_facts(session, programme, [prepared[i] for i in fresh], context.window)
    first = reserve_ids(session, actions, len(fresh))
    at_index = store.read_head(session).size  # the index the batch's entry will get
    stored, grant_rows = _decide_all(session, programme, context, prepared, fresh, facts,
                                     (first, at_index), now)  # fmt: skip
    write_rows(session, actions, stored)
    if grant_rows:
        write_rows(session, grants, grant_rows, ids=True)
    log_decisions(session, operator, programme, first, stored)
    parsed: dict[str, dict[str, Any]] = {}  # a batch repeats its quantities: parsed once each
    for i, row in zip(fresh, stored, strict=True):
        text = row["quantities"]
        if text not in parsed:
            parsed[text] = json.loads(text)
        answers[i] = _result(row, dict(parsed[text]))
    for i, answer in enumerate(answers):  # a key repeated within the batch: its first answer
        if answer is None:
            answers[i] = answers[prepared[i].first_with_key]
    return [a for a in answers if a is not None]


def _replays(session: Session, programme: str, prepared: list[Prepared]
             ) -> tuple[list[dict[str, Any] | None], list[int]]:  # fmt: skip
    """Stored answers of keys already used, and the positions of the actions to decide."""
    keys = sorted({p.action.key for p in prepared})
    found = {
        row["idempotency_key"]: dict(row)
        for row in session.execute(
            select(actions).where(actions.c.programme == programme,
                                  actions.c.idempotency_key.in_(keys))
        ).mappings()
    }  # fmt: skip
    answers: list[dict[str, Any] | None] = [None] * len(prepared)
    fresh: list[int] = []
    for i, item in enumerate(prepared):
        earlier = found.get(item.action.key)
        if earlier is None and item.first_with_key != i:
            first = prepared[item.first_with_key]
            earlier = {"participant": first.action.participant, "evidence_sha256": first.sha,
                       "methodology": first.method.id}  # fmt: skip
        if earlier is None:
            fresh.append(i)
            continue
        same = (earlier["participant"], earlier["methodology"], earlier["evidence_sha256"])
        if same != (item.action.participant, item.method.id, item.sha):
            raise IdempotencyConflict(
                f"actions[{i}]: this key was used for another action", field="key"
            )
        if "id" in earlier:
            answers[i] = _result(earlier)
    return answers, fresh


def _decide_all(session: Session, programme: str, context: Context, prepared: list[Prepared],
                fresh: list[int], facts: Gathered, numbers: tuple[int, int], now: dt.datetime,
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # fmt: skip
    """Decide the fresh actions in order, each seeing the ones before it.

    ``numbers``: the first action id reserved and the log index of the batch's entry.
    """
    first, at_index = numbers
    point_rules = {m: _point_rule(r) for m, r in context.rules.items()}
    expiry = expires_at(now, context.validity_days)
    texts: dict[int, str] = {}  # a reduction's quantities as JSON, by the reduction (cached)
    items = [prepared[i] for i in fresh]
    stored_near = near_photos(session, programme, [p.phash for p in items])
    state = _State(facts, stored_near, _near_in_batch(items))
    rows: list[dict[str, Any]] = []
    grant_rows: list[dict[str, Any]] = []
    for n, i in enumerate(fresh):
        item, action_id = prepared[i], first + n
        limits: Limits = context.limits[item.method.id]
        key = (item.action.participant, item.method.id, item.at.astimezone(CHINA).date())
        used = state.days.setdefault(key, [0, 0])
        recent = state.times.get(item.action.participant, [])
        similar = state.similar(n)
        decision = decide(Facts(item.at, now, state.seen.get(item.sha), used[0], recent,
                                similar), limits)  # fmt: skip
        points = 0
        if decision.outcome is Outcome.ACCEPTED:
            rule = point_rules[item.method.id]
            points = points_for(rule, item.reduction.grams_co2e, DayUse(*used))[0]
            used[0], used[1] = used[0] + 1, used[1] + points
        if decision.outcome is not Outcome.REJECTED:
            state.keep(n, item, action_id)
        quantities = texts.get(id(item.reduction))
        if quantities is None:
            quantities = texts[id(item.reduction)] = json.dumps(dict(item.reduction.quantities))
        rows.append(_row(programme, item, (action_id, at_index), now, quantities,
                         (decision.outcome.value, decision.reason, points)))  # fmt: skip
        if points:
            grant_rows.append({
                "programme": programme, "participant": item.action.participant,
                "action_id": action_id, "points": points, "remaining": points,
                "expires_at": expiry,
            })  # fmt: skip
    return rows, grant_rows


def _point_rule(rule: Any) -> PointRule:
    return PointRule(rule["methodology"], rule["points_per_action"], rule["grams_per_point"],
                     rule["max_actions_per_day"], rule["max_points_per_day"])  # fmt: skip


def _row(programme: str, item: Prepared, numbers: tuple[int, int], now: dt.datetime,
         quantities: str, outcome: tuple[str, str, int]) -> dict[str, Any]:  # fmt: skip
    """The action's row.

    ``numbers``: its id and its entry's log index; ``outcome``: its status, reason and points.
    """
    status, reason, points = outcome
    return {
        "id": numbers[0], "ledger_index": numbers[1], "programme": programme,
        "participant": item.action.participant, "quantities": quantities,
        "idempotency_key": item.action.key, "methodology": item.method.id,
        "version": item.method.version, "at": item.at, "received": now, "status": status,
        "reason": reason[:300], "grams_co2e": item.reduction.grams_co2e,
        "evidence_sha256": item.sha, "evidence_prefix": evidence_prefix(item.sha),
        "phash": _signed(item.phash), "points": points,
        "batch": None,
    }  # fmt: skip


def _signed(h: int | None) -> int | None:
    if h is None:
        return None
    return h - (1 << 64) if h >= 1 << 63 else h
