"""A generator run one item ahead in a thread: same items, its errors raised, stopped early."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ecocredit.inclusion.ops.pipeline import Ahead


def test_items_come_in_order() -> None:
    with Ahead(iter(range(50))) as items:
        assert list(items) == list(range(50))


def test_an_error_in_the_producer_is_raised_in_the_consumer() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("bad row")

    got = []
    with pytest.raises(ValueError, match="bad row"), Ahead(failing()) as items:
        got.extend(items)
    assert got == [1]


def test_a_consumer_that_stops_early_stops_the_producer() -> None:
    made = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            made.append(n)
            yield n
            n += 1

    with Ahead(endless()) as items:
        for n in items:
            if n == 3:
                break
    assert len(made) <= 6  # at most one ahead, plus one blocked on the queue
    assert not [t for t in threading.enumerate() if t.name == "ahead"]
