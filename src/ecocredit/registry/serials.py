"""Serial blocks: every smallest unit of a batch has a serial number, held in contiguous blocks.

Units of a batch are numbered 1…issued. A block ``[first, last]`` has one owner, one state and,
once retired or cancelled, the ledger index of the operation that did it. Moving units takes
the sender's blocks in serial order (lowest first), splitting the last one taken; the moved
span joins an adjacent block of the same owner, state and operation, so holdings stay few.
These rules are pure: the database path and the log replay both apply them.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ecocredit.registry.model import Span


class Block(NamedTuple):
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


class BlockSet:
    """Blocks of one batch in memory, indexed by first serial and by (owner, state).

    The replay holds every block of a batch here; a move in the database loads just the
    blocks it touches (the sources and their neighbours) and applies the same rules here.
    """

    def __init__(self) -> None:
        """An empty set."""
        self.by_first: dict[int, Block] = {}
        self.firsts: list[int] = []
        self.owned: dict[tuple[int, str], list[int]] = {}

    def add(self, block: Block) -> None:
        """Insert a block."""
        self.by_first[block.first] = block
        bisect.insort(self.firsts, block.first)
        bisect.insort(self.owned.setdefault((block.owner, block.state), []), block.first)

    def remove(self, first: int) -> Block:
        """Remove and return the block starting at ``first``."""
        block = self.by_first.pop(first)
        self.firsts.pop(bisect.bisect_left(self.firsts, first))
        mine = self.owned[(block.owner, block.state)]
        mine.pop(bisect.bisect_left(mine, first))
        return block

    def spans_of(self, owner: int, state: str) -> list[Span]:
        """The spans ``owner`` holds in ``state``, in serial order."""
        return [self.by_first[f].span for f in self.owned.get((owner, state), [])]

    def left_of(self, first: int) -> Block | None:
        """The block just before serial ``first``."""
        at = bisect.bisect_left(self.firsts, first)
        return self.by_first[self.firsts[at - 1]] if at else None

    def move(self, taken: list[Span], target: tuple[int, str, int | None]) -> None:
        """Move spans (heads of their blocks) to ``target`` (owner, state, op)."""
        for span in taken:
            block = self.remove(self._block_at(span.first).first)
            if span.last < block.last:
                self.add(Block(span.last + 1, block.last, block.owner, block.state, block.op))
        for span in taken:
            right = self.by_first.get(span.last + 1)
            placed = place(span, *target, self.left_of(span.first), right)
            if placed.absorbed_right is not None:
                self.remove(placed.absorbed_right)
            if placed.absorbs_left:
                self.remove(placed.block.first)
            self.add(placed.block)

    def _block_at(self, first: int) -> Block:
        return self.by_first[first]

    def blocks(self) -> Iterator[Block]:
        """Every block, in serial order."""
        return (self.by_first[f] for f in self.firsts)
