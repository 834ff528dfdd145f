"""Eight threads transferring at random for a while: nothing is lost, doubled or left unlogged.

The run lasts ``ECOCREDIT_CONCURRENCY_SECONDS`` (10 s unless set) on each backend. Each
thread moves random amounts (grams included) between 20 holders, in write transactions of
its own or through the group commit the API uses, and counts what succeeded and what was
refused for lack of credits. Then the serial blocks must still partition the batch, every
holder must hold exactly what the successful transfers say, and the log must have exactly
one entry per success.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Role
from ecocredit.errors import InsufficientBalance
from ecocredit.ledger import store
from ecocredit.registry import audit
from ecocredit.registry import service as registry
from ecocredit.registry.amounts import format_amount
from tests.registry.conftest import SHA, Registry
from tests.registry.test_rules import check_registry, holdings, supply

DURATION = float(os.environ.get("ECOCREDIT_CONCURRENCY_SECONDS", "10"))
THREADS = 8
HOLDERS = [f"holder-{i:02d}" for i in range(20)]
C = 1_000_000
START = 100 * C  # each holder's share of the batch


@dataclass
class Tally:
    """What one thread did."""

    done: int = 0
    refused: int = 0
    flows: Counter[tuple[str, str]] = field(default_factory=Counter)
    unexpected: list[BaseException] = field(default_factory=list)


def _amount(rng: random.Random) -> int:
    """Mostly a few credits with grams, sometimes more than anyone is likely to hold."""
    pick = rng.random()
    if pick < 0.3:
        return rng.randint(1, C - 1)  # under one credit
    if pick < 0.9:
        return rng.randint(1, 20 * C)
    return rng.randint(150 * C, 400 * C)


def _issue_to_holders(reg: Registry) -> str:
    def open_all(session: Session) -> None:
        for name in HOLDERS:
            accounts.create_account(session, name, [Role.HOLDER], "admin", "person", with_key=False)

    reg.write(open_all)
    found = reg.as_(
        "verifier", registry.file_report, reg.project, "2026-01-01", "2026-12-31", "2000", SHA
    )
    recipients = [(name, format_amount(START, 6)) for name in HOLDERS]
    return str(reg.as_("issuer", registry.issue, found["report"], recipients)["batch"])


def _worker(reg: Registry, via: str, batch: str, seed: int, deadline: float, tally: Tally) -> None:
    run = reg.runtime.db.write if via == "write" else reg.runtime.db.submit
    rng = random.Random(seed)
    callers = {name: reg.who(name) for name in HOLDERS}
    while time.monotonic() < deadline:
        sender, recipient = rng.sample(HOLDERS, 2)
        units = _amount(rng)
        caller, amount = callers[sender], format_amount(units, 6)

        def send(session: Session) -> dict[str, Any]:
            return registry.transfer(session, caller, batch, recipient, amount)  # noqa: B023

        try:
            run(send)
        except InsufficientBalance:
            tally.refused += 1
        except BaseException as exc:  # everything else is a failure of the test
            tally.unexpected.append(exc)
            return
        else:
            tally.done += 1
            tally.flows[(sender, recipient)] += units


@pytest.mark.slow
@pytest.mark.parametrize("via", ["write", "submit"])
def test_concurrent_random_transfers_lose_and_double_nothing(reg: Registry, via: str) -> None:
    # ``write``: a transaction per transfer; ``submit``: the API's group commit, where the
    # transfers waiting at once share a transaction, each in its own savepoint.
    batch = _issue_to_holders(reg)
    with reg.runtime.db.read() as session:
        start_size = store.read_head(session).size
    tallies = [Tally() for _ in range(THREADS)]
    deadline = time.monotonic() + DURATION
    threads = [
        threading.Thread(target=_worker, args=(reg, via, batch, seed, deadline, tallies[seed]))
        for seed in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DURATION + 120)
        assert not thread.is_alive(), "a transfer thread hangs"
    problems = [exc for t in tallies for exc in t.unexpected]
    assert not problems, f"unexpected errors: {problems[:3]!r}"
    done = sum(t.done for t in tallies)
    assert done > 0
    assert sum(t.refused for t in tallies) > 0  # the refusal path ran under contention too
    flows: Counter[tuple[str, str]] = sum((t.flows for t in tallies), Counter())

    with reg.runtime.db.read() as session:
        size = store.read_head(session).size
        check_registry(session)  # conserved; blocks contiguous 1..issued, no overlap
        held = holdings(session)
        issued = supply(session, batch)
        entries = store.read_entries(session, start_size, size)
        replayed = audit.replay_check(session)

    # Exactly one log entry per successful transfer, and each says what the thread moved.
    assert size - start_size == done
    logged: Counter[tuple[str, str]] = Counter()
    for _, entry, _ in entries:
        body = json.loads(entry)
        assert body["type"] == "registry.transferred"
        logged[(body["data"]["sender"], body["data"]["recipient"])] += body["data"]["amount"]
    assert logged == flows

    # Each holder holds its share plus what it received minus what it sent, all tradable.
    for name in HOLDERS:
        received = sum(v for (_, to), v in flows.items() if to == name)
        sent = sum(v for (frm, _), v in flows.items() if frm == name)
        assert held[(batch, name, "tradable")] == START + received - sent, name
    assert {k for k in held if k[0] == batch} == {
        (batch, n, "tradable") for n in HOLDERS if held[(batch, n, "tradable")]
    }
    assert sum(v for k, v in held.items() if k[0] == batch) == issued.issued == 20 * START
    assert issued.tradable == 20 * START
    assert replayed.entries == size
