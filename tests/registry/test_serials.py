"""Serial blocks without a database: which units a movement takes and how blocks merge."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from ecocredit.registry import serials
from ecocredit.registry.model import Span
from ecocredit.registry.serials import Block


@st.composite
def disjoint_spans(draw: st.DrawFn) -> list[Span]:
    """Sorted, disjoint spans with gaps of any size (zero included) between them."""
    spans: list[Span] = []
    next_first = draw(st.integers(1, 1000))
    for _ in range(draw(st.integers(0, 8))):
        size = draw(st.integers(1, 50))
        spans.append(Span(next_first, next_first + size - 1))
        next_first += size + draw(st.integers(1, 20))
    return spans


def units(spans: Sequence[Span]) -> list[int]:
    return [n for s in spans for n in range(s.first, s.last + 1)]


@given(disjoint_spans(), st.data())
def test_take_moves_exactly_the_lowest_serials_held(spans: list[Span], data: st.DataObject) -> None:
    held = serials.held(spans)
    amount = data.draw(st.integers(0, held))
    taken = serials.take(spans, amount)
    assert taken is not None
    assert serials.held(taken) == amount
    # The lowest `amount` serials the holder had, in order: no other serial, none twice.
    assert units(taken) == units(spans)[:amount]
    for span in taken:
        assert span.first <= span.last
    for left, right in itertools.pairwise(taken):
        assert left.last < right.first
    # Each span is the head (or all) of one of the holder's blocks.
    for span, block in zip(taken, spans, strict=False):
        assert span.first == block.first
        assert span.last <= block.last


@given(disjoint_spans(), st.integers(1, 100))
def test_take_refuses_more_than_is_held(spans: list[Span], extra: int) -> None:
    assert serials.take(spans, serials.held(spans) + extra) is None


def test_take_splits_only_the_last_block() -> None:
    blocks = [Span(1, 10), Span(21, 30), Span(41, 50)]
    assert serials.take(blocks, 15) == [Span(1, 10), Span(21, 25)]
    assert serials.take(blocks, 20) == [Span(1, 10), Span(21, 30)]
    assert serials.take(blocks, 31) is None


ALICE, BOB = 1, 2


def test_place_joins_the_left_neighbour_of_the_same_owner_and_state() -> None:
    left = Block(1, 10, BOB, "tradable")
    placed = serials.place(Span(11, 20), BOB, "tradable", None, left, None)
    assert placed.block == Block(1, 20, BOB, "tradable")
    assert placed.absorbs_left
    assert placed.absorbed_right is None


def test_place_joins_both_neighbours() -> None:
    left, right = Block(1, 10, BOB, "tradable"), Block(21, 30, BOB, "tradable")
    placed = serials.place(Span(11, 20), BOB, "tradable", None, left, right)
    assert placed.block == Block(1, 30, BOB, "tradable")
    assert placed.absorbs_left
    assert placed.absorbed_right == 21


def test_place_keeps_apart_what_differs_in_owner_state_op_or_position() -> None:
    span = Span(11, 20)
    others = [
        Block(1, 10, ALICE, "tradable"),  # another owner
        Block(1, 10, BOB, "retired", 7),  # another state
        Block(1, 9, BOB, "tradable"),  # not adjacent
    ]
    for left in others:
        placed = serials.place(span, BOB, "tradable", None, left, None)
        assert placed.block == Block(11, 20, BOB, "tradable")
        assert not placed.absorbs_left
    # Two retirements are two claims: their blocks never merge, even side by side.
    placed = serials.place(span, BOB, "retired", 8, Block(1, 10, BOB, "retired", 7), None)
    assert placed.block == Block(11, 20, BOB, "retired", 8)
    assert not placed.absorbs_left


def move(blocks: dict[int, Block], taken: list[Span], target: tuple[int, str, int | None]) -> None:
    """Move spans the way the service does, on a dict of blocks keyed by first serial."""
    for span in taken:
        block = blocks.pop(span.first)
        if span.last < block.last:
            blocks[span.last + 1] = Block(
                span.last + 1, block.last, block.owner, block.state, block.op
            )
    for span in taken:
        before = [b for b in blocks.values() if b.first < span.first]
        left = max(before, key=lambda b: b.first) if before else None
        placed = serials.place(span, *target, left, blocks.get(span.last + 1))
        if placed.absorbed_right is not None:
            del blocks[placed.absorbed_right]
        if placed.absorbs_left and left is not None:
            del blocks[left.first]
        blocks[placed.block.first] = placed.block


moves = st.lists(
    st.tuples(
        st.integers(0, 3),  # sender
        st.integers(0, 3),  # recipient
        st.sampled_from(["tradable", "retired"]),
        st.integers(1, 40),  # amount
    ),
    max_size=30,
)


@given(st.lists(st.integers(1, 30), min_size=1, max_size=4), moves)
def test_moves_keep_every_unit_in_exactly_one_block(
    issued: list[int], steps: list[tuple[int, int, str, int]]
) -> None:
    # One unit-level model: serial -> (owner, state, op).
    model: dict[int, tuple[int, str, int | None]] = {}
    blocks: dict[int, Block] = {}
    first = 1
    for owner, amount in enumerate(issued):
        blocks[first] = Block(first, first + amount - 1, owner, "tradable")
        model.update({n: (owner, "tradable", None) for n in range(first, first + amount)})
        first += amount
    total = first - 1
    for op, (sender, recipient, state, amount) in enumerate(steps):
        mine = sorted(
            (b.span for b in blocks.values() if b.owner == sender and b.state == "tradable"),
            key=lambda s: s.first,
        )
        taken = serials.take(mine, amount)
        if taken is None:
            assert serials.held(mine) < amount
            continue
        target = (recipient, state, op if state == "retired" else None)
        if state == "tradable" and recipient == sender:
            continue  # the service refuses a transfer to oneself
        move(blocks, taken, target)
        model.update({n: target for n in units(taken)})
        ordered = sorted(blocks.values(), key=lambda b: b.first)
        assert ordered[0].first == 1
        assert ordered[-1].last == total
        for left, right in itertools.pairwise(ordered):
            assert left.last + 1 == right.first  # no gap, no overlap
            assert not right.joins(left.owner, left.state, left.op)  # merged as far as can be
        for block in ordered:
            assert block.first <= block.last
            for n in range(block.first, block.last + 1):
                assert model[n] == (block.owner, block.state, block.op)


def test_printed_serial_range_and_event_pairs() -> None:
    span = Span(1, 500_000)
    assert span.size == 500_000
    batch = "C01-001-20260101-20261231-001"
    assert serials.serial(batch, span) == "C01-001-20260101-20261231-001:1-500000"
    assert serials.pairs([span, Span(7, 7)]) == [[1, 500_000], [7, 7]]
    assert serials.spans(serials.pairs([span, Span(7, 7)])) == [span, Span(7, 7)]
