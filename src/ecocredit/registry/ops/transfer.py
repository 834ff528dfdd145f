"""Transfer tradable credits to another holder, optionally retiring them on receipt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.errors import InvalidParameter, NotFound
from ecocredit.ledger import events
from ecocredit.registry import amounts, blocks, lookup, serials
from ecocredit.registry.lookup import Holding
from ecocredit.registry.model import BlockState, RetirementRequest, Span
from ecocredit.registry.ops import moving, retirements
from ecocredit.registry.ops.common import append, begin


def transfer(
    session: Session,
    caller: Principal,
    batch: str,
    recipient: str,
    amount: str,
    retire: RetirementRequest | None = None,
) -> dict[str, Any]:
    """Move ``amount`` of the caller's tradable credits of ``batch`` to ``recipient``."""
    lookup.require_holder(caller)
    if recipient == caller.name:
        raise InvalidParameter("sender and recipient are the same account", field="recipient")
    if retire is not None:
        retirements.check_request(retire)
    index, now = begin(session)
    found = lookup.holding(session, batch, caller.account_id, BlockState.TRADABLE, recipient)
    ref, source, to = found.batch, found.source, found.recipient
    if to is None:  # holding() has refused an unknown recipient already; this keeps mypy honest
        raise NotFound(f"no account named {recipient!r}", field="recipient")
    units = amounts.parse_amount(amount, ref.precision)
    source, taken = moving.take(session, found, caller.name, units)
    data: dict[str, Any] = {
        "batch": batch,
        "sender": caller.name,
        "recipient": recipient,
        "amount": units,
        "blocks": serials.pairs(taken),
    }
    if retire is None:
        target = (to, BlockState.TRADABLE, None)
        blocks.move(session, ref.id, (found.owner, found.state), source, taken, target)
        append(session, events.TRANSFERRED, caller.name, data, now, index)
        return {**moving.result(ref, units, taken, index), "recipient": recipient}
    move = (found, source, taken)
    return _retire_on_receipt(session, caller, move, (units, index, now), retire, data)


def _retire_on_receipt(
    session: Session,
    caller: Principal,
    move: tuple[Holding, list[Span], list[Span]],
    at: tuple[int, int, datetime],
    retire: RetirementRequest,
    data: dict[str, Any],
) -> dict[str, Any]:
    """The units land retired in the recipient's name, claimed for the beneficiary."""
    found, source, taken = move
    units, index, now = at  # the amount, this entry's index, and the time of the operation
    ref, to, recipient = found.batch, int(found.recipient or 0), str(data["recipient"])
    claim = retirements.claim(session, retire, recipient)
    target = (to, BlockState.RETIRED, index)
    blocks.move(session, ref.id, (found.owner, found.state), source, taken, target)
    blocks.shift_supply(session, ref.id, "tradable", "retired", units)
    retirements.record(session, index, ref.id, to, units, claim, "transfer", now)
    data.update(claim.event_fields())
    append(session, events.TRANSFERRED_RETIRED, caller.name, data, now, index)
    return {
        **moving.result(ref, units, taken, index),
        "recipient": recipient,
        "retirement": index,
        **claim.event_fields(),
    }
