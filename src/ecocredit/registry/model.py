"""Value types of the registry: states of a serial block, project states, retirement reasons."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class BlockState(StrEnum):
    """What a block of units is: spendable, finally used, or held back."""

    TRADABLE = "tradable"
    RETIRED = "retired"  # claimed against an emission: final
    CANCELLED = "cancelled"  # withdrawn without a claim (moved registry, reversal): final
    BUFFER = "buffer"  # withheld into the registry's buffer pool against reversals
    ESCROWED = "escrowed"  # reserved by an open sell order (no marketplace yet)


FINAL_STATES = frozenset({BlockState.RETIRED, BlockState.CANCELLED})


class ProjectStatus(StrEnum):
    """Where a project stands with its class."""

    LISTED = "listed"
    REGISTERED = "registered"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class ReasonCode(StrEnum):
    """Why credits were retired; free text goes beside the code."""

    VOLUNTARY = "voluntary"  # voluntary offsetting of a named party's emissions
    COMPLIANCE = "compliance"  # surrendered against a compliance obligation
    NEUTRALITY = "neutrality"  # carbon neutrality of an event, product or building
    INCLUSION = "inclusion"  # carbon-inclusion points redeemed and cancelled for use
    CORSIA = "corsia"  # airline offsetting under ICAO CORSIA
    OTHER = "other"


class BeneficiaryKind(StrEnum):
    """A retirement's beneficiary is an account of the registry or a named entity."""

    ACCOUNT = "account"
    ENTITY = "entity"


class Span(NamedTuple):
    """The serial numbers ``first``…``last`` (inclusive) of one batch.

    A named tuple rather than a dataclass: moves and replays make millions of them.
    """

    first: int
    last: int

    @property
    def size(self) -> int:
        """How many units the span holds."""
        return self.last - self.first + 1


@dataclass(frozen=True)
class Supply:
    """A batch's units by state; ``issued`` always equals the sum of the others."""

    issued: int
    tradable: int
    retired: int
    cancelled: int
    buffer: int

    @property
    def conserved(self) -> bool:
        """Whether every issued unit is accounted for exactly once."""
        return self.issued == self.tradable + self.retired + self.cancelled + self.buffer


@dataclass(frozen=True)
class RetirementRequest:
    """What a retirement claims: for whom, why and where, as the holder states it.

    The beneficiary is an account of the registry (``beneficiary_account``) or a named
    entity (``beneficiary_name``), never both; with neither, it is the holder. ``note`` is
    free text published with the retirement.
    """

    jurisdiction: str
    reason_code: str = ReasonCode.VOLUNTARY
    reason: str = ""
    beneficiary_account: str = ""
    beneficiary_name: str = ""
    note: str = ""
