"""Taking units from a holder: the shared first half of transfer, retire and cancel."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ecocredit.errors import InsufficientBalance
from ecocredit.registry import amounts, blocks, serials
from ecocredit.registry.lookup import HOLDING_PAGE, BatchRef, Holding
from ecocredit.registry.model import Span


def take(session: Session, held: Holding, owner: str, units: int) -> tuple[list[Span], list[Span]]:
    """Return the owner's blocks the move reads from, and the spans ``units`` take from them.

    Raises :class:`InsufficientBalance` saying what the owner holds when it is not enough.
    """
    batch, source, state = held.batch, held.source, held.state
    taken = serials.take(source, units)
    if taken is None and len(source) == HOLDING_PAGE:
        source = source + blocks.owned(session, batch.id, held.owner, state, source[-1].first)
        taken = serials.take(source, units)
    if taken is None:
        have = amounts.format_amount(serials.held(source), batch.precision)
        want = amounts.format_amount(units, batch.precision)
        raise InsufficientBalance(
            f"{owner} holds {have} {state} credits of {batch.denom}; {want} were asked",
            field="amount",
        )
    return source, taken


def result(batch: BatchRef, units: int, taken: list[Span], index: int) -> dict[str, object]:
    """What every movement returns: the amount, the blocks moved and the log entry."""
    return {
        "batch": batch.denom,
        "amount": amounts.format_amount(units, batch.precision),
        "blocks": serials.pairs(taken),
        "serials": [serials.serial(batch.denom, s) for s in taken],
        "ledger_index": index,
    }
