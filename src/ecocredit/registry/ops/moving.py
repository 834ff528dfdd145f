"""Taking units from a holder: the shared first half of transfer, retire and cancel."""

from __future__ import annotations

from ecocredit.errors import InsufficientBalance
from ecocredit.registry import amounts, serials
from ecocredit.registry.lookup import BatchRef
from ecocredit.registry.model import Span


def take(batch: BatchRef, source: list[Span], owner: str, state: str, units: int) -> list[Span]:
    """Return the spans ``units`` take from the owner's ``source`` blocks in ``state``.

    Raises :class:`InsufficientBalance` saying what the owner holds when it is not enough.
    """
    taken = serials.take(source, units)
    if taken is None:
        have = amounts.format_amount(serials.held(source), batch.precision)
        want = amounts.format_amount(units, batch.precision)
        raise InsufficientBalance(
            f"{owner} holds {have} {state} credits of {batch.denom}; {want} were asked",
            field="amount",
        )
    return taken


def result(batch: BatchRef, units: int, taken: list[Span], index: int) -> dict[str, object]:
    """What every movement returns: the amount, the blocks moved and the log entry."""
    return {
        "batch": batch.denom,
        "amount": amounts.format_amount(units, batch.precision),
        "blocks": serials.pairs(taken),
        "serials": [serials.serial(batch.denom, s) for s in taken],
        "ledger_index": index,
    }
