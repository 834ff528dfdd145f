"""The things of the marine-plastic chain of custody: stages, lots, handoffs, the chain, events.

:mod:`ecocredit.inclusion.custody` holds the operations on them; this file holds only the
values they pass around and the events the service writes to the log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar

from ecocredit.errors import NotFound

Inputs = Sequence[tuple[str, int]]


class Stage(StrEnum):
    """Where a lot of plastic is in the chain."""

    COLLECTED = "collected"
    STATION = "station"
    TRANSPORT = "transport"
    RECYCLER = "recycler"
    PELLETS = "pellets"
    PRODUCT = "product"


# Where a handoff of a lot at each stage may take it; the first is the default. Plastic leaves
# a recycler only as pellets (through ``process``), so nothing is handed on from RECYCLER.
HANDOFF_STAGES: Mapping[Stage, tuple[Stage, ...]] = {
    Stage.COLLECTED: (Stage.STATION,),
    Stage.STATION: (Stage.TRANSPORT, Stage.RECYCLER),
    Stage.TRANSPORT: (Stage.RECYCLER, Stage.TRANSPORT),
    Stage.RECYCLER: (),
    Stage.PELLETS: (Stage.PELLETS,),
    Stage.PRODUCT: (Stage.PRODUCT,),
}


class HandoffState(StrEnum):
    """A handoff waits for the receiver, then is confirmed or withdrawn."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Coordinates:
    """A point in WGS 84 degrees (a GPS fix from the collector's phone)."""

    lon: float
    lat: float

    def uri(self) -> str:
        """The point as an RFC 5870 ``geo:`` URI (latitude first), 6 decimals (about 0.1 m)."""
        return f"geo:{self.lat:.6f},{self.lon:.6f}"


Place = Coordinates | str  # a GPS fix or a named place ("椒江区 大陈岛 码头")


@dataclass(frozen=True)
class Origin:
    """Who collected a lot, where, when (UTC) and the SHA-256 of the photo taken."""

    collector: str
    place: Place
    time: datetime
    photo_sha256: str


@dataclass(frozen=True)
class Lot:
    """Plastic in one holder's custody: ``mass`` as created or weighed, ``grams`` still held."""

    id: str
    stage: Stage
    holder: str
    mass: int
    grams: int
    parents: tuple[tuple[str, int], ...] = ()  # (lot id, grams taken from it)
    origin: Origin | None = None
    weighed: bool = False
    product_code: str | None = None


@dataclass(frozen=True)
class Handoff:
    """An offer of ``grams`` of a lot to ``to_account``; pending until that account confirms."""

    id: str
    lot_id: str
    from_account: str
    to_account: str
    grams: int
    to_stage: Stage
    state: HandoffState = HandoffState.PENDING
    new_lot_id: str | None = None


@dataclass(frozen=True)
class Chain:
    """Lots and handoffs; ``next_seq`` numbers the next lot or handoff the chain creates."""

    lots: Mapping[str, Lot] = field(default_factory=dict)
    handoffs: Mapping[str, Handoff] = field(default_factory=dict)
    next_seq: int = 1

    def lot(self, lot_id: str) -> Lot:
        """The lot ``lot_id``, or NotFound naming it."""
        found = self.lots.get(lot_id)
        if found is None:
            raise NotFound(f"no lot {lot_id!r}", field="lot")
        return found

    def handoff(self, handoff_id: str) -> Handoff:
        """The handoff ``handoff_id``, or NotFound naming it."""
        found = self.handoffs.get(handoff_id)
        if found is None:
            raise NotFound(f"no handoff {handoff_id!r}", field="handoff")
        return found

    def pending(self, lot_id: str) -> int:
        """Grams of the lot reserved by handoffs still waiting for their receiver."""
        return sum(
            h.grams
            for h in self.handoffs.values()
            if h.lot_id == lot_id and h.state is HandoffState.PENDING
        )


# Events: the payload of each is its fields; ``data()`` gives the JSON the log records.


def _plain(value: object) -> object:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Coordinates):
        return value.uri()
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value


@dataclass(frozen=True)
class Event:
    """Base of the custody events; ``name`` is the ledger event type."""

    name: ClassVar[str] = ""

    def data(self) -> dict[str, object]:
        """The payload as the ledger writes it: lists, strings and integers only."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class LotCollected(Event):
    """A collector brought in a lot."""

    name: ClassVar[str] = "inclusion.lot_collected"
    lot_id: str
    collector: str
    place: Place
    time: datetime
    grams: int
    photo_sha256: str


@dataclass(frozen=True)
class LotWeighed(Event):
    """A station's scale replaced the declared mass of a lot."""

    name: ClassVar[str] = "inclusion.lot_weighed"
    lot_id: str
    station: str
    declared_grams: int
    measured_grams: int


@dataclass(frozen=True)
class HandoffOffered(Event):
    """A holder offered grams of a lot to another account."""

    name: ClassVar[str] = "inclusion.handoff_offered"
    handoff_id: str
    lot_id: str
    from_account: str
    to_account: str
    grams: int
    to_stage: Stage


@dataclass(frozen=True)
class HandoffConfirmed(Event):
    """The receiver confirmed a handoff; the grams are now its new lot."""

    name: ClassVar[str] = "inclusion.handoff_confirmed"
    handoff_id: str
    lot_id: str
    new_lot_id: str
    to_account: str
    grams: int


@dataclass(frozen=True)
class HandoffCancelled(Event):
    """The offerer withdrew, or the receiver declined, a pending handoff."""

    name: ClassVar[str] = "inclusion.handoff_cancelled"
    handoff_id: str
    lot_id: str
    by_account: str


@dataclass(frozen=True)
class LotProcessed(Event):
    """A recycler turned input lots into a lot of pellets at a declared yield."""

    name: ClassVar[str] = "inclusion.lot_processed"
    lot_id: str
    recycler: str
    inputs: tuple[tuple[str, int], ...]
    output_grams: int
    declared_yield_bp: int
    tolerance_bp: int


@dataclass(frozen=True)
class ProductMade(Event):
    """A maker turned pellets into a product with a traceability code."""

    name: ClassVar[str] = "inclusion.product_made"
    product_id: str
    product_code: str
    maker: str
    inputs: tuple[tuple[str, int], ...]
    grams: int


@dataclass(frozen=True)
class MassFlagged(Event):
    """A mass was accepted but is out of line: a weighing or a yield for a person to review."""

    name: ClassVar[str] = "inclusion.mass_flagged"
    lot_id: str
    reason: str  # weighing_differs | above_declared_yield | below_plausible_yield
    expected_grams: int
    actual_grams: int
    tolerance_bp: int


@dataclass(frozen=True)
class Step:
    """The chain after one operation, the events to log, and the id it created (if any)."""

    chain: Chain
    events: tuple[Event, ...]
    new_id: str | None = None
