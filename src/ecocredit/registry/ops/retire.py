"""Retire credits: the holder's tradable units become final, claimed for a beneficiary."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.ledger import events
from ecocredit.registry import amounts, blocks, lookup, serials
from ecocredit.registry.model import BlockState, RetirementRequest
from ecocredit.registry.ops import moving, retirements
from ecocredit.registry.ops.common import append, begin


def retire(
    session: Session, caller: Principal, batch: str, amount: str, request: RetirementRequest
) -> dict[str, Any]:
    """Retire ``amount`` of the caller's tradable credits of ``batch``; return the record."""
    lookup.require_holder(caller)
    retirements.check_request(request)
    index, now = begin(session)
    held = lookup.holding(session, batch, caller.account_id, BlockState.TRADABLE)
    ref = held.batch
    units = amounts.parse_amount(amount, ref.precision)
    source, taken = moving.take(session, held, caller.name, units)
    found = retirements.claim(session, request, caller.name)
    blocks.move(
        session,
        ref.id,
        (held.owner, held.state),
        source,
        taken,
        (caller.account_id, BlockState.RETIRED, index),
    )
    blocks.shift_supply(session, ref.id, "tradable", "retired", units)
    retirements.record(session, index, ref.id, caller.account_id, units, found, "retire", now)
    data = {
        "batch": batch,
        "holder": caller.name,
        "amount": units,
        "blocks": serials.pairs(taken),
        **found.event_fields(),
    }
    append(session, events.RETIRED, caller.name, data, now, index)
    return {
        **moving.result(ref, units, taken, index),
        "holder": caller.name,
        "retirement": index,
        **found.event_fields(),
    }
