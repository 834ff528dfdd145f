"""Cancel credits without a claim; a cancellation is never a retirement.

A holder cancels its own credits (moved to another registry, withdrawn); the registry admin
cancels buffer-pool credits to cover a reversal.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.ledger import events, store
from ecocredit.registry import amounts, blocks, ids, lookup, serials
from ecocredit.registry.model import BlockState
from ecocredit.registry.ops import moving
from ecocredit.registry.ops.common import append, begin
from ecocredit.registry.tables import cancellations


def cancel(
    session: Session, caller: Principal, batch: str, amount: str, reason: str
) -> dict[str, Any]:
    """Cancel ``amount`` of the caller's tradable credits of ``batch``; ``reason`` is required."""
    lookup.require_holder(caller)
    text = ids.check_text(reason, "reason", required=True)
    index, now = begin(session)
    held = lookup.holding(session, batch, caller.account_id, BlockState.TRADABLE)
    ref, source = held.batch, held.source
    units = amounts.parse_amount(amount, ref.precision)
    source, taken = moving.take(session, held, caller.name, units)
    blocks.move(
        session,
        ref.id,
        (held.owner, held.state),
        source,
        taken,
        (caller.account_id, BlockState.CANCELLED, index),
    )
    blocks.shift_supply(session, ref.id, "tradable", "cancelled", units)
    _record(session, index, ref.id, caller.account_id, units, "holder", text, now)
    data = {
        "batch": batch,
        "holder": caller.name,
        "amount": units,
        "blocks": serials.pairs(taken),
        "reason": text,
    }
    append(session, events.CANCELLED, caller.name, data, now, index)
    return {**moving.result(ref, units, taken, index), "holder": caller.name, "reason": text}


def cancel_buffer(
    session: Session, caller: Principal, batch: str, amount: str, reason: str
) -> dict[str, Any]:
    """Cancel buffer credits of ``batch`` to cover a reversal (the registry admin only)."""
    lookup.require_admin(caller, "cancel buffer credits")
    text = ids.check_text(reason, "reason", required=True)
    index, now = begin(session)
    pool = lookup.registry_account(session)
    index = store.read_head(session, lock=True).size  # opening the pool's account takes one
    held = lookup.holding(session, batch, pool, BlockState.BUFFER)
    ref, source = held.batch, held.source
    units = amounts.parse_amount(amount, ref.precision)
    source, taken = moving.take(session, held, "the buffer pool", units)
    blocks.move(
        session,
        ref.id,
        (held.owner, held.state),
        source,
        taken,
        (pool, BlockState.CANCELLED, index),
    )
    blocks.shift_supply(session, ref.id, "buffer", "cancelled", units)
    _record(session, index, ref.id, pool, units, "reversal", text, now)
    data = {"batch": batch, "amount": units, "blocks": serials.pairs(taken), "reason": text}
    append(session, events.BUFFER_CANCELLED, caller.name, data, now, index)
    return {**moving.result(ref, units, taken, index), "reason": text}


def _record(
    session: Session,
    index: int,
    batch: int,
    holder: int,
    units: int,
    kind: str,
    reason: str,
    moment: Any,
) -> None:
    session.execute(
        insert(cancellations).values(
            ledger_index=index,
            batch_id=batch,
            holder_id=holder,
            amount=units,
            kind=kind,
            reason=reason,
            cancelled_at=moment,
        )
    )
