"""Redeem points for a reward, and expire points past their day; both logged.

A redemption checks the reward's stock and the participant's unexpired points together, behind
the log's lock, and then cancels the points that expire first: stock never falls below zero
and a redemption never half-happens.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.errors import InsufficientBalance, InvalidParameter, NotFound
from ecocredit.inclusion import points
from ecocredit.inclusion.ops import bulk_load
from ecocredit.inclusion.ops.programmes import CODE, require_operator
from ecocredit.inclusion.tables import grants, redemptions, rewards
from ecocredit.ledger import service as ledger
from ecocredit.ledger import store
from ecocredit.ledger.events import INCLUSION_POINTS_EXPIRED, INCLUSION_POINTS_REDEEMED

EXPIRY_PAGE = 500  # [grant, points] pairs per log entry: well inside an entry's 64 KiB
# A redemption's points are stored in a 32-bit column: PostgreSQL would refuse a larger cost
# as a database fault, so it is refused here as what it is, too large a redemption.
MAX_COST = 2**31 - 1


def _grants(session: Session, programme: str, participant: str) -> list[points.Grant]:
    rows = session.execute(
        select(grants.c.id, grants.c.remaining, grants.c.expires_at).where(
            grants.c.programme == programme, grants.c.participant == participant,
            grants.c.remaining > 0,
        )
    ).all()  # fmt: skip
    return [points.Grant(i, r, e if e.tzinfo else e.replace(tzinfo=dt.UTC)) for i, r, e in rows]


def balance(session: Session, programme: str, participant: str, now: dt.datetime) -> int:
    """A participant's spendable points at ``now``."""
    return points.balance(_grants(session, programme, participant), now)


def redeem(session: Session, programme: str, participant: str, reward: str, quantity: int,
           actor: Principal, now: dt.datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """Redeem ``quantity`` of ``reward`` for a participant; its points are cancelled."""
    if not CODE.fullmatch(participant):
        raise InvalidParameter("participant: letters, digits, _ . -", field="participant")
    if not 1 <= quantity <= 1000:
        raise InvalidParameter("quantity: 1 to 1000", field="quantity")
    now = now or dt.datetime.now(dt.UTC)
    store.read_head(session, lock=True)
    bulk_load.refuse_while_loading(session)
    operator = require_operator(session, actor, programme)
    key = (rewards.c.programme == programme) & (rewards.c.code == reward)
    item = session.execute(select(rewards).where(key)).mappings().first()
    if item is None:
        raise NotFound(f"no reward {reward!r} in {programme!r}", field="reward")
    if item["stock"] < quantity:
        raise InsufficientBalance(
            f"{reward!r} has {item['stock']} in stock; {quantity} asked", field="quantity"
        )
    cost = item["points"] * quantity
    if cost > MAX_COST:
        raise InvalidParameter(
            f"quantity: {quantity} of {reward!r} at {item['points']} points each costs {cost} "
            f"points; one redemption costs at most {MAX_COST}",
            field="quantity",
        )
    taken = points.spend(_grants(session, programme, participant), cost, now)
    for grant_id, part in taken:
        session.execute(
            update(grants)
            .where(grants.c.id == grant_id)
            .values(remaining=grants.c.remaining - part)
        )
    session.execute(update(rewards).where(key).values(stock=rewards.c.stock - quantity))
    data = {
        "programme": programme, "participant": participant, "reward": reward,
        "quantity": quantity, "points": cost, "grants": [list(pair) for pair in taken],
    }  # fmt: skip
    index = ledger.record(session, INCLUSION_POINTS_REDEEMED, operator, data)
    session.execute(redemptions.insert().values(
        programme=programme, participant=participant, reward=reward, quantity=quantity,
        points=cost, at=now, ledger_index=index,
    ))  # fmt: skip
    return data | {"ledger_index": index}


def expire(
    session: Session, programme: str, actor: Principal, now: dt.datetime | None = None
) -> int:
    """Expire every grant of ``programme`` past its day; return how many points expired."""
    now = now or dt.datetime.now(dt.UTC)
    store.read_head(session, lock=True)
    bulk_load.refuse_while_loading(session)
    operator = require_operator(session, actor, programme)
    rows = session.execute(
        select(grants.c.id, grants.c.remaining).where(
            grants.c.programme == programme, grants.c.remaining > 0, grants.c.expires_at <= now
        ).order_by(grants.c.id)
    ).all()  # fmt: skip
    for start in range(0, len(rows), EXPIRY_PAGE):
        page = rows[start : start + EXPIRY_PAGE]
        ids = [grant_id for grant_id, _ in page]
        session.execute(update(grants).where(grants.c.id.in_(ids)).values(remaining=0))
        data = {
            "programme": programme, "at": now.isoformat(), "points": sum(r for _, r in page),
            "grants": [[grant_id, remaining] for grant_id, remaining in page],
        }  # fmt: skip
        ledger.record(session, INCLUSION_POINTS_EXPIRED, operator, data)
    return sum(remaining for _, remaining in rows)
