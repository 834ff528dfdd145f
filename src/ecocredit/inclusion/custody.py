"""Chain of custody for marine plastic, from the collector's bag to a product with a QR code.

The Blue Circle (蓝色循环) flow: lots are collected (who, where, when, how much, a photo), weighed
at a collection station, moved by transport to a recycler, processed into pellets at a declared
yield, and made into products. Every handoff is offered by the holder and is pending until the
receiving account confirms it. Any product traces back, in grams, to every collector.

All functions are pure: they take an immutable :class:`Chain` and return a :class:`Step` with
the new chain and the events the service logs. Each checks its arguments alone first (a bad
request fails the same whatever the state), then against the chain; a refusal raises before
anything is built, so the caller's chain is never half-changed. Masses are integer grams.

Invariants (``violations`` checks them; the tests run it after every step):

1. conservation: a lot's ``mass`` equals what it still holds plus every gram taken from it
   (by a confirmed handoff, a processing or a product), so splits never create or lose plastic;
2. ``0 <= pending <= grams <= mass``: pending handoffs reserve grams the lot still holds;
3. a lot without parents is a collected lot with its origin, and every parent exists;
4. a product never weighs more than the pellets it took.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction

from ecocredit.errors import (
    Conflict,
    InsufficientBalance,
    InvalidParameter,
    PermissionDenied,
)
from ecocredit.inclusion.custody_model import (
    HANDOFF_STAGES,
    Chain,
    Coordinates,
    Event,
    Handoff,
    HandoffCancelled,
    HandoffConfirmed,
    HandoffOffered,
    HandoffState,
    Inputs,
    Lot,
    LotCollected,
    LotProcessed,
    LotWeighed,
    MassFlagged,
    Origin,
    Place,
    ProductMade,
    Stage,
    Step,
)
from ecocredit.inclusion.fund import BASIS_POINTS, apportion

__all__ = [
    "Chain",
    "Coordinates",
    "Event",
    "Handoff",
    "HandoffCancelled",
    "HandoffConfirmed",
    "HandoffOffered",
    "HandoffState",
    "Inputs",
    "Lot",
    "LotCollected",
    "LotProcessed",
    "LotWeighed",
    "MassFlagged",
    "Origin",
    "Place",
    "ProductMade",
    "Stage",
    "Step",
    "cancel",
    "collect",
    "confirm",
    "make_product",
    "offer",
    "portal_path",
    "process",
    "product_code",
    "trace",
    "violations",
    "weigh",
]
_SHA256 = re.compile(r"[0-9a-f]{64}")


# Stateless checks: each names the parameter at fault.


def _account(value: str, name: str) -> None:
    if not value or value != value.strip():
        raise InvalidParameter(f"{name} must be a non-empty account id, not {value!r}", field=name)


def _grams(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidParameter(
            f"{name} must be a positive number of grams, not {value!r}", field=name
        )


def _basis_points(value: int, name: str, top: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        raise InvalidParameter(f"{name} must be 0..{top} basis points, not {value!r}", field=name)


def _inputs(inputs: Inputs) -> int:
    if not inputs:
        raise InvalidParameter("at least one input lot is needed", field="inputs")
    ids = [lot_id for lot_id, _ in inputs]
    if len(set(ids)) != len(ids):
        raise InvalidParameter("an input lot is listed twice; give it once", field="inputs")
    for _, grams in inputs:
        _grams(grams, "inputs")
    return sum(grams for _, grams in inputs)


def _place(place: Place) -> None:
    if isinstance(place, Coordinates):
        if not (-180 <= place.lon <= 180 and -90 <= place.lat <= 90):
            raise InvalidParameter(f"{place} is not a point on Earth", field="place")
    elif not place.strip():
        raise InvalidParameter("place must be coordinates or a place name", field="place")


# Stateful helpers.


def _issue_id(chain: Chain, prefix: str) -> tuple[str, Chain]:
    return f"{prefix}-{chain.next_seq:06d}", replace(chain, next_seq=chain.next_seq + 1)


def _held(chain: Chain, lot_id: str, account: str) -> Lot:
    lot = chain.lot(lot_id)
    if lot.holder != account:
        raise PermissionDenied(
            f"lot {lot_id} is held by {lot.holder!r}, not {account!r}", field="lot"
        )
    return lot


def _ensure_available(chain: Chain, lot: Lot, grams: int) -> None:
    pending = chain.pending(lot.id)
    if grams > lot.grams - pending:
        raise InsufficientBalance(
            f"lot {lot.id} holds {lot.grams} g ({pending} g of it pending in handoffs), "
            f"so {grams} g cannot be taken from it",
            field="grams",
        )


def _take(chain: Chain, account: str, inputs: Inputs, stage: Stage) -> dict[str, Lot]:
    """The lots after ``account`` takes each input's grams; refuses before changing any."""
    lots = dict(chain.lots)
    for lot_id, grams in inputs:
        lot = _held(chain, lot_id, account)
        if lot.stage is not stage:
            raise Conflict(f"lot {lot_id} is at stage {lot.stage}, not {stage}", field="inputs")
        _ensure_available(chain, lot, grams)
        lots[lot_id] = replace(lot, grams=lot.grams - grams)
    return lots


# Operations.


def collect(
    chain: Chain, collector: str, place: Place, time: datetime, grams: int, photo_sha256: str
) -> Step:
    """A collector declares a lot; it stays theirs (``collected``) until a station takes it."""
    _account(collector, "collector")
    _place(place)
    _grams(grams, "grams")
    if time.tzinfo is None:
        raise InvalidParameter("time must carry its UTC offset", field="time")
    if not _SHA256.fullmatch(photo_sha256):
        raise InvalidParameter("photo_sha256 must be 64 lowercase hex digits", field="photo_sha256")
    lot_id, chain = _issue_id(chain, "LOT")
    origin = Origin(collector, place, time.astimezone(UTC), photo_sha256)
    lot = Lot(lot_id, Stage.COLLECTED, collector, grams, grams, origin=origin)
    event = LotCollected(lot_id, collector, place, origin.time, grams, photo_sha256)
    return Step(replace(chain, lots={**chain.lots, lot_id: lot}), (event,), lot_id)


def weigh(chain: Chain, lot_id: str, station: str, measured_grams: int, tolerance_bp: int) -> Step:
    """The station's scale replaces the declared mass; a difference beyond tolerance is flagged.

    Weighing happens once, on a lot the station holds, before any of it moves on: the scale,
    not the collector's estimate, is what every later mass balance starts from.
    """
    _account(station, "station")
    _grams(measured_grams, "measured_grams")
    _basis_points(tolerance_bp, "tolerance_bp", BASIS_POINTS)
    lot = _held(chain, lot_id, station)
    if lot.stage is not Stage.STATION:
        raise Conflict(f"lot {lot_id} is at stage {lot.stage}, not at a station", field="lot")
    if lot.weighed:
        raise Conflict(f"lot {lot_id} was already weighed ({lot.mass} g)", field="lot")
    weighed = replace(lot, mass=measured_grams, grams=measured_grams, weighed=True)
    events: list[Event] = [LotWeighed(lot_id, station, lot.mass, measured_grams)]
    if abs(measured_grams - lot.mass) * BASIS_POINTS > lot.mass * tolerance_bp:
        events.append(
            MassFlagged(lot_id, "weighing_differs", lot.mass, measured_grams, tolerance_bp)
        )
    return Step(replace(chain, lots={**chain.lots, lot_id: weighed}), tuple(events))


def offer(
    chain: Chain,
    lot_id: str,
    by_account: str,
    to_account: str,
    grams: int,
    to_stage: Stage | None = None,
) -> Step:
    """The holder offers ``grams`` of a lot to ``to_account``; nothing moves until confirmed."""
    _account(by_account, "by_account")
    _account(to_account, "to_account")
    _grams(grams, "grams")
    if to_account == by_account:
        raise InvalidParameter("a lot cannot be handed to its own holder", field="to_account")
    lot = _held(chain, lot_id, by_account)
    allowed = HANDOFF_STAGES[lot.stage]
    target = to_stage if to_stage is not None else (allowed[0] if allowed else None)
    if target is None or target not in allowed:
        raise Conflict(f"a lot at stage {lot.stage} cannot be handed to {to_stage}", field="lot")
    if lot.stage is Stage.STATION and not lot.weighed:
        raise Conflict(f"lot {lot_id} must be weighed before it leaves the station", field="lot")
    _ensure_available(chain, lot, grams)
    handoff_id, chain = _issue_id(chain, "HO")
    handoff = Handoff(handoff_id, lot_id, by_account, to_account, grams, target)
    event = HandoffOffered(handoff_id, lot_id, by_account, to_account, grams, target)
    return Step(
        replace(chain, handoffs={**chain.handoffs, handoff_id: handoff}), (event,), handoff_id
    )


def _pending_for(chain: Chain, handoff_id: str) -> Handoff:
    handoff = chain.handoff(handoff_id)
    if handoff.state is not HandoffState.PENDING:
        raise Conflict(f"handoff {handoff_id} is already {handoff.state}", field="handoff")
    return handoff


def confirm(chain: Chain, handoff_id: str, by_account: str) -> Step:
    """The receiver confirms a handoff: its grams split off the lot into a new lot it holds."""
    _account(by_account, "by_account")
    handoff = chain.handoff(handoff_id)
    if by_account != handoff.to_account:
        raise PermissionDenied(
            f"only {handoff.to_account!r} can confirm handoff {handoff_id}, not {by_account!r}",
            field="by_account",
        )
    handoff = _pending_for(chain, handoff_id)
    lot = chain.lot(handoff.lot_id)
    new_id, chain = _issue_id(chain, "LOT")
    child = Lot(
        new_id, handoff.to_stage, by_account, handoff.grams, handoff.grams,
        parents=((lot.id, handoff.grams),),
    )  # fmt: skip
    lots = {**chain.lots, lot.id: replace(lot, grams=lot.grams - handoff.grams), new_id: child}
    done = replace(handoff, state=HandoffState.CONFIRMED, new_lot_id=new_id)
    chain = replace(chain, lots=lots, handoffs={**chain.handoffs, handoff_id: done})
    event = HandoffConfirmed(handoff_id, lot.id, new_id, by_account, handoff.grams)
    return Step(chain, (event,), new_id)


def cancel(chain: Chain, handoff_id: str, by_account: str) -> Step:
    """The offerer withdraws, or the receiver declines, a pending handoff; its grams are free."""
    _account(by_account, "by_account")
    handoff = chain.handoff(handoff_id)
    if by_account not in (handoff.from_account, handoff.to_account):
        raise PermissionDenied(
            f"only the two parties can cancel handoff {handoff_id}, not {by_account!r}",
            field="by_account",
        )
    handoff = _pending_for(chain, handoff_id)
    done = replace(handoff, state=HandoffState.CANCELLED)
    event = HandoffCancelled(handoff_id, handoff.lot_id, by_account)
    return Step(replace(chain, handoffs={**chain.handoffs, handoff_id: done}), (event,))


def process(
    chain: Chain,
    recycler: str,
    inputs: Inputs,
    output_grams: int,
    declared_yield_bp: int,
    tolerance_bp: int,
    floor_bp: int | None = None,
) -> Step:
    """A recycler turns input lots into pellets; the output must fit the declared yield.

    Output above ``inputs × (yield + tolerance)`` is refused: pellets cannot come from plastic
    nobody collected. Output above the yield but within tolerance is accepted and flagged, and
    so is output below ``floor_bp`` of the inputs (default half the declared yield), which
    suggests the inputs were inflated or material went elsewhere.
    """
    _account(recycler, "recycler")
    total = _inputs(inputs)
    _grams(output_grams, "output_grams")
    _basis_points(declared_yield_bp, "declared_yield_bp", BASIS_POINTS)
    _basis_points(tolerance_bp, "tolerance_bp", BASIS_POINTS)
    floor = declared_yield_bp // 2 if floor_bp is None else floor_bp
    _basis_points(floor, "floor_bp", declared_yield_bp)
    ceiling = total * (declared_yield_bp + tolerance_bp) // BASIS_POINTS
    if output_grams > ceiling:
        raise InvalidParameter(
            f"{output_grams} g of pellets from {total} g at a {declared_yield_bp} bp yield "
            f"(+{tolerance_bp} bp tolerance) exceeds the {ceiling} g the inputs allow",
            field="output_grams",
        )
    lots = _take(chain, recycler, inputs, Stage.RECYCLER)
    lot_id, chain = _issue_id(chain, "LOT")
    parents = tuple(inputs)
    lots[lot_id] = Lot(lot_id, Stage.PELLETS, recycler, output_grams, output_grams, parents)
    events: list[Event] = [
        LotProcessed(lot_id, recycler, parents, output_grams, declared_yield_bp, tolerance_bp)
    ]
    events.extend(_yield_flags(lot_id, total, output_grams, declared_yield_bp, tolerance_bp, floor))
    return Step(replace(chain, lots=lots), tuple(events), lot_id)


def _yield_flags(
    lot_id: str, total: int, output: int, yield_bp: int, tolerance_bp: int, floor_bp: int
) -> list[MassFlagged]:
    expected = total * yield_bp // BASIS_POINTS
    if output * BASIS_POINTS > total * yield_bp:
        return [MassFlagged(lot_id, "above_declared_yield", expected, output, tolerance_bp)]
    if output * BASIS_POINTS < total * floor_bp:
        return [MassFlagged(lot_id, "below_plausible_yield", expected, output, floor_bp)]
    return []


def product_code(product_id: str, inputs: Inputs) -> str:
    """The code printed in the product's QR: 16 base32 characters of a SHA-256 of its custody.

    It commits to the product id and the pellets it came from, so a code cannot be reused on
    another product without the mismatch showing on the portal.
    """
    text = "\n".join([product_id, *(f"{lot_id}:{grams}" for lot_id, grams in inputs)])
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return base64.b32encode(digest[:10]).decode("ascii")


def portal_path(code: str) -> str:
    """The portal page a product's QR code opens (relative to the portal's base URL)."""
    return f"/inclusion/products/{code}"


def make_product(chain: Chain, maker: str, inputs: Inputs, product_id: str, grams: int) -> Step:
    """A maker turns pellets it holds into a product of ``grams`` with a traceability code."""
    _account(maker, "maker")
    total = _inputs(inputs)
    _grams(grams, "grams")
    if not product_id or product_id != product_id.strip():
        raise InvalidParameter(f"product id {product_id!r} is not usable", field="product_id")
    if grams > total:
        raise InvalidParameter(
            f"a product of {grams} g cannot come from {total} g of pellets", field="grams"
        )
    if product_id in chain.lots:
        raise Conflict(f"product {product_id!r} already exists", field="product_id")
    lots = _take(chain, maker, inputs, Stage.PELLETS)
    code = product_code(product_id, inputs)
    parents = tuple(inputs)
    lots[product_id] = Lot(
        product_id, Stage.PRODUCT, maker, grams, grams, parents, product_code=code
    )
    event = ProductMade(product_id, code, maker, parents, grams)
    return Step(replace(chain, lots=lots), (event,), product_id)


# Tracing.


def _composition(
    chain: Chain, lot_id: str, memo: dict[str, dict[str, Fraction]]
) -> dict[str, Fraction]:
    """Each collector's exact fraction of a lot, through every split and merge above it."""
    if lot_id in memo:
        return memo[lot_id]
    lot = chain.lot(lot_id)
    shares: dict[str, Fraction] = {}
    if lot.origin is not None:
        shares[lot.origin.collector] = Fraction(1)
    else:
        # Mixing is taken as uniform: each parent's share is the grams taken from it.
        taken = sum(grams for _, grams in lot.parents)
        for parent_id, grams in lot.parents:
            for collector, share in _composition(chain, parent_id, memo).items():
                shares[collector] = shares.get(collector, Fraction(0)) + share * grams / taken
    memo[lot_id] = shares
    return shares


def trace(chain: Chain, product_id: str) -> list[tuple[str, int]]:
    """Grams of the lot ``product_id`` attributed to each collector, heaviest first.

    Attribution is exactly proportional through splits and merges, then rounded once by
    largest remainder, so the grams sum to the lot's mass. Every collector whose plastic is in
    it is listed, even one whose share rounds to zero grams.
    """
    lot = chain.lot(product_id)
    shares = _composition(chain, product_id, {})
    scale = math.lcm(*(share.denominator for share in shares.values()))
    weights = {c: share.numerator * (scale // share.denominator) for c, share in shares.items()}
    grams = apportion(lot.mass, weights)
    return sorted(grams.items(), key=lambda item: (-item[1], item[0]))


def violations(chain: Chain) -> list[str]:
    """Every broken invariant of the chain (see the module docstring); empty when sound."""
    found: list[str] = []
    taken: dict[str, int] = {}
    for lot in chain.lots.values():
        for parent_id, grams in lot.parents:
            if parent_id not in chain.lots:
                found.append(f"lot {lot.id}: parent {parent_id} does not exist")
            taken[parent_id] = taken.get(parent_id, 0) + grams
        if not lot.parents and (lot.origin is None or lot.stage is not Stage.COLLECTED):
            found.append(f"lot {lot.id}: no parents but not a collected lot")
        if lot.stage is Stage.PRODUCT and lot.parents and lot.mass > sum(g for _, g in lot.parents):
            found.append(f"product {lot.id}: {lot.mass} g from less pellets")
    for lot in chain.lots.values():
        if lot.mass != lot.grams + taken.get(lot.id, 0):
            found.append(f"lot {lot.id}: mass {lot.mass} g != {lot.grams} g held + taken")
        if not 0 <= chain.pending(lot.id) <= lot.grams <= lot.mass:
            found.append(f"lot {lot.id}: pending, held and mass out of order")
    return found
