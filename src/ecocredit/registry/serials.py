"""Serial blocks: every smallest unit of a batch has a serial number, held in contiguous blocks.

Units of a batch are numbered 1…issued. A block ``[first, last]`` has one owner, one state and,
once retired or cancelled, the ledger index of the operation that did it. Moving units takes
the sender's blocks in serial order (lowest first), splitting the last one taken; the moved
span joins an adjacent block of the same owner, state and operation, so holdings stay few.
These rules are pure: the database path and the log replay both apply them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ecocredit.registry.model import Span


@dataclass(frozen=True)
class Block:
    """Units ``first``…``last`` of a batch with their owner, state and finalising operation."""

    first: int
    last: int
    owner: int
    state: str
    op: int | None = None

    @property
    def span(self) -> Span:
        """The serial numbers of the block."""
        return Span(self.first, self.last)

    def joins(self, owner: int, state: str, op: int | None) -> bool:
        """Whether units of ``owner`` in ``state`` from ``op`` merge into this block."""
        return self.owner == owner and self.state == state and self.op == op


def held(blocks: Sequence[Span]) -> int:
    """How many units the spans hold."""
    return sum(b.last - b.first + 1 for b in blocks)


def take(blocks: Sequence[Span], amount: int) -> list[Span] | None:
    """Return the spans that ``amount`` units take from ``blocks`` (in serial order).

    The spans taken are a prefix of each block: whole blocks, then the head of the last one.
    Returns None when the blocks hold less than ``amount``.
    """
    taken: list[Span] = []
    left = amount
    for block in blocks:
        if left == 0:
            break
        size = block.last - block.first + 1
        if size <= left:
            taken.append(block)
            left -= size
        else:
            taken.append(Span(block.first, block.first + left - 1))
            left = 0
    return taken if left == 0 else None


@dataclass(frozen=True)
class Placement:
    """How a moved span lands: the one block to write and the neighbours it absorbs.

    With ``absorbs_left`` the left neighbour grows to ``block``; otherwise ``block`` is new.
    ``absorbed_right`` is the first serial of a right neighbour that ``block`` swallows.
    """

    block: Block
    absorbs_left: bool
    absorbed_right: int | None


def place(
    span: Span, owner: int, state: str, op: int | None, left: Block | None, right: Block | None
) -> Placement:
    """Decide how ``span`` joins its neighbours ``left`` (ends at first-1) and ``right``."""
    first, last = span.first, span.last
    absorbs_left = left is not None and left.last == first - 1 and left.joins(owner, state, op)
    absorbs_right = right is not None and right.first == last + 1 and right.joins(owner, state, op)
    if absorbs_left and left is not None:
        first = left.first
    if absorbs_right and right is not None:
        last = right.last
    absorbed = span.last + 1 if absorbs_right else None
    return Placement(Block(first, last, owner, state, op), absorbs_left, absorbed)


def serial(batch: str, span: Span) -> str:
    """The printed serial range of a span: ``C01-001-20260101-20261231-001:1-500000``."""
    return f"{batch}:{span.first}-{span.last}"


def spans(pairs: Sequence[Sequence[int]]) -> list[Span]:
    """Spans from ``[first, last]`` pairs as events carry them."""
    return [Span(int(p[0]), int(p[1])) for p in pairs]


def pairs(items: Sequence[Span]) -> list[list[int]]:
    """``[first, last]`` pairs of spans, as events carry them."""
    return [[s.first, s.last] for s in items]
