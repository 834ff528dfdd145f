"""Group commit: the API's write path, measured with concurrent clients in one process.

The API hands every write to ``Database.submit``: operations queued by concurrent requests
share one transaction, each in its own savepoint, so a commit's WAL flush is paid once per
group. This phase runs the same kind of random transfers from several client threads through
``submit`` on the installation the single-writer phase used, and checks that the log grew by
exactly the number of transfers that succeeded.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from ecocredit.accounts.model import Principal
from ecocredit.errors import InsufficientBalance
from ecocredit.registry import service as registry
from registry_setup import Installation

THREADS = 16


@dataclass(frozen=True)
class GroupedRun:
    """What the concurrent clients did."""

    threads: int
    succeeded: int
    refused: int
    seconds: float
    entries: int

    @property
    def rate(self) -> float:
        """Successful transfers per second."""
        return self.succeeded / self.seconds if self.seconds else 0.0


def grouped_transfers(
    inst: Installation, batch: str, who: dict[str, Principal], per_thread: int, seed: int
) -> GroupedRun:
    """``THREADS`` clients, ``per_thread`` random transfers each, all through ``db.submit``."""
    db = inst.runtime.db
    names: Sequence[str] = sorted(who)
    counts = {"ok": 0, "refused": 0}
    lock = threading.Lock()

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        for _ in range(per_thread):
            sender, recipient = rng.sample(names, 2)
            amount = f"{rng.randint(0, 999)}.{rng.randint(0, 999_999):06d}"
            work = partial(
                registry.transfer,
                caller=who[sender],
                batch=batch,
                recipient=recipient,
                amount=amount,
            )
            try:
                db.submit(work)
                outcome = "ok"
            except InsufficientBalance:
                outcome = "refused"
            with lock:
                counts[outcome] += 1

    before = inst.head()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    entries = inst.head() - before
    return GroupedRun(THREADS, counts["ok"], counts["refused"], seconds, entries)
