"""Demo data of carbon inclusion: a clean-plate check-in app and a household-recycling scheme.

``cd-checkin`` is modelled on the brief's clean-plate mini-program (11.248 million users, 4,645 t
of grain saved, about 17,970 t CO2 avoided), at demo scale: 3,000 participants and a month of
30,000 check-ins, each with its own photo of a plate, sent by the app in batches every three
hours. The photos are small synthetic JPEGs,
one per seed, so each is distinct; a few participants send an earlier photo again, re-saved
smaller (held for review as a near duplicate), and one sends the very same file twice (the
second is rejected). Its participants assign their reductions to the operator, as for
crediting. ``hh-recycling`` takes weighing slips of household recycling and marine plastic.
Every action goes through the service, so each is decided and logged as a live one would be.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import SYSTEM_ACTOR, AccountKind, Principal, Role
from ecocredit.inclusion import service
from ecocredit.inclusion.ops import batch
from ecocredit.inclusion.tables import programmes

OPERATOR = "cd-operator"
PLATES, RECYCLING = "cd-checkin", "hh-recycling"
PARTICIPANTS = 3000
ACTIONS = 30_000  # check-ins over the month, about one every three days for each participant
RECYCLERS, SLIPS = 120, 300
FIRST_DAY = dt.datetime(2026, 10, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
DAYS = 30
FOODS = ("grain-mix", "grain-mix", "rice", "wheat", "maize")
MATERIALS = ("pet", "hdpe", "mixed-paper", "corrugated-cardboard", "aluminium-cans", "glass")
REWARDS = (
    ("metro-ride", "One metro ride", 10, 800),
    ("bamboo-cup", "Bamboo cup", 20, 120),
    ("tote-bag", "Canvas tote bag", 30, 15),
)


def plate(seed: int, side: int = 64, quality: int = 85) -> bytes:
    """A synthetic 64×64 photo of a plate: a smooth random pattern, distinct for each seed."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    image = Image.fromarray(coarse).resize((64, 64), Image.Resampling.BICUBIC)
    pixels = np.asarray(image, dtype=np.int16) + rng.integers(-8, 9, (64, 64, 3))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if side != 64:
        image = image.resize((side, side))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _operator(session: Session) -> Principal:
    accounts.create_account(
        session, OPERATOR, [Role.OPERATOR], SYSTEM_ACTOR, kind=AccountKind.ORGANISATION
    )
    return accounts.principal(session, OPERATOR)


def _programmes(session: Session, op: Principal) -> None:
    limits = service.Limits(max_age=dt.timedelta(days=7), velocity_max=5)
    plates = service.Programme(
        PLATES, "光盘打卡 · Clean-plate check-in", "operator", 365,
        [(service.PointRule("clean-plate", points_per_action=5, max_actions_per_day=3), None)],
        limits,
    )  # fmt: skip
    recycling = service.Programme(
        RECYCLING, "Household recycling and marine plastic", "participant", 730,
        [(service.PointRule("recycling", grams_per_point=100, max_points_per_day=200), None),
         (service.PointRule("marine-plastic", grams_per_point=500), None)],
        limits,
    )  # fmt: skip
    service.create_programme(session, plates, op)
    service.create_programme(session, recycling, op)
    for code, name, points, stock in REWARDS:
        service.set_reward(session, PLATES, code, name, points, stock, op)
    service.set_reward(session, RECYCLING, "compost-bag", "Compost bags (10)", 50, 300, op)


def _submit(session: Session, code: str, action: service.Action, op: Principal) -> int:
    done = service.submit(session, code, action, op, now=action.at + dt.timedelta(minutes=2))
    return int(done["points"])


def _check_ins(session: Session, op: Principal) -> dict[str, int]:
    """The month's check-ins, in time order; returns each participant's points."""
    rng = np.random.default_rng(2026)
    extra = rng.integers(0, PARTICIPANTS, ACTIONS - PARTICIPANTS)
    who = np.concatenate([np.arange(PARTICIPANTS), extra])
    rng.shuffle(who)
    seconds = np.sort(rng.integers(0, DAYS * 86400, ACTIONS))
    earned: dict[str, int] = {}
    pending: list[service.Action] = []
    for i, (person, second) in enumerate(zip(who, seconds, strict=True)):
        at = (FIRST_DAY + dt.timedelta(seconds=int(second))).astimezone(dt.UTC)
        inputs = {"food_type": FOODS[i % len(FOODS)], "portions": 1 + i % 3}
        pending.append(service.Action(f"u{person:05d}", f"cd-{i}", "clean-plate", at, inputs,
                                      plate(i)))  # fmt: skip
        # The app sends what it holds every few hours, as one batch received just after.
        if (
            len(pending) == batch.MAX_BATCH
            or i + 1 == ACTIONS
            or (seconds[i + 1] // 10_800 != second // 10_800)
        ):
            now = pending[-1].at + dt.timedelta(minutes=2)
            for answer in batch.submit_many(session, PLATES, pending, op, now=now):
                earned[answer["participant"]] = earned.get(answer["participant"], 0) + int(
                    answer["points"]
                )
            pending = []
    return earned


def _doubtful(session: Session, op: Principal) -> None:
    """Photos sent again: five re-saved smaller (held for review), one byte for byte."""
    last = (FIRST_DAY + dt.timedelta(days=DAYS - 1, hours=12)).astimezone(dt.UTC)
    for n, seed in enumerate((11, 222, 333, 444, 555)):
        again = service.Action(f"u{seed:05d}", f"cd-again-{n}", "clean-plate",
                               last + dt.timedelta(minutes=n), {"food_type": "rice",
                               "portions": 1}, plate(seed, side=48, quality=60))  # fmt: skip
        _submit(session, PLATES, again, op)
    same = service.Action("u00077", "cd-same", "clean-plate", last + dt.timedelta(minutes=9),
                          {"food_type": "rice", "portions": 1}, plate(77))  # fmt: skip
    _submit(session, PLATES, same, op)
    held = service.queue(session, PLATES)
    when = last + dt.timedelta(hours=1)
    service.decide_held(session, PLATES, held[0]["id"], True, "a second helping", op, now=when)
    service.decide_held(session, PLATES, held[1]["id"], False, "the same plate", op, now=when)


def _redemptions(session: Session, op: Principal, earned: dict[str, int]) -> int:
    """The keenest participants spend their points on the rewards they can afford."""
    when = (FIRST_DAY + dt.timedelta(days=DAYS, hours=10)).astimezone(dt.UTC)
    stock = {code: left for code, _, _, left in REWARDS}
    done = 0
    for n, (name, points) in enumerate(sorted(earned.items(), key=lambda p: (-p[1], p[0]))[:300]):
        code, _, price, _ = REWARDS[n % len(REWARDS)]
        if points >= price and stock[code] > 0:
            service.redeem(session, PLATES, name, code, 1, op, now=when + dt.timedelta(seconds=n))
            stock[code] -= 1
            done += 1
    return done


def _slips(session: Session, op: Principal) -> None:
    """Weighing slips of household recycling, and some of marine plastic collected on beaches."""
    rng = np.random.default_rng(7)
    seconds = np.sort(rng.integers(0, DAYS * 86400, SLIPS))
    for i, second in enumerate(seconds):
        at = (FIRST_DAY + dt.timedelta(seconds=int(second))).astimezone(dt.UTC)
        kg = round(float(rng.uniform(0.5, 12.0)), 2)
        inputs: dict[str, Any]
        if i % 5 == 0:
            method, inputs = "marine-plastic", {"kg": kg * 4}
        else:
            method, inputs = "recycling", {"material": MATERIALS[i % len(MATERIALS)], "kg": kg}
        slip = f"slip {i} · {at.isoformat()} · {kg} kg".encode()
        action = service.Action(
            f"h{i % RECYCLERS:04d}", f"hh-{i}", method, at, inputs, slip, "slip"
        )
        _submit(session, RECYCLING, action, op)


def load_inclusion(session: Session) -> str:
    """Load the two programmes, their actions, reviews and redemptions (once)."""
    if session.execute(select(programmes.c.code).where(programmes.c.code == PLATES)).first():
        return "inclusion: already loaded"
    op = _operator(session)
    _programmes(session, op)
    earned = _check_ins(session, op)
    _doubtful(session, op)
    redeemed = _redemptions(session, op, earned)
    _slips(session, op)
    return (
        f"inclusion: {PLATES} with {len(earned):,} participants and {ACTIONS + 6:,} check-ins "
        f"({redeemed} redemptions), {RECYCLING} with {SLIPS} slips"
    )
