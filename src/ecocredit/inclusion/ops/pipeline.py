"""Run a generator one item ahead in a thread, so its work overlaps the consumer's.

The bulk import reads, decides and builds the rows of the next chunk while the database
writes the current one. SQLite's work and most of polars' run without the GIL, so on two cores
the two halves overlap. The producer stays at most one item ahead (memory for two chunks);
an exception in it is raised in the consumer, and a consumer that stops early stops it.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")
_DONE = object()
_POLL_S = 0.2


class Ahead(Generic[T]):
    """Iterate ``source`` in a thread, one item ahead of the ``with`` block's loop."""

    def __init__(self, source: Iterator[T]) -> None:
        """Start nothing yet: the thread starts on entering the ``with`` block."""
        self._source = source
        self._queue: queue.Queue[object] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ahead", daemon=True)

    def __enter__(self) -> Iterator[T]:
        """Start the producer; iterate what it makes."""
        self._thread.start()
        return self._items()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:  # fmt: skip
        """Stop the producer and wait for it."""
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):  # room, so a blocked producer sees the stop
                self._queue.get_nowait()
            self._thread.join(_POLL_S)

    def _items(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]

    def _run(self) -> None:
        try:
            for item in self._source:
                if not self._put(item):
                    return
            self._put(_DONE)
        except BaseException as exc:  # handed to the consumer, not lost
            self._put(_Failed(exc))

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False


class _Failed:
    """An exception of the producer, carried to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
