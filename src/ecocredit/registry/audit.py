"""Replay the log and compare: the registry's tables must be exactly what the log produces.

``replay_check`` rebuilds every supply figure, serial block (hence every balance) and
retirement from the ledger entries alone and names the first difference from the tables.
``LogSupply`` keeps a replay in step with the signed checkpoints for ``GET
/v1/registry/audit``: supply per batch as anyone holding the log can recompute it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecocredit.accounts.tables import accounts
from ecocredit.errors import ReplayMismatch
from ecocredit.ledger import checkpoints, store
from ecocredit.registry import amounts
from ecocredit.registry.model import Supply
from ecocredit.registry.replay import Replay, ReplayError
from ecocredit.registry.tables import batches, blocks, retirements

CHUNK = 1 << 14
Progress = Callable[[int], None]


@dataclass(frozen=True)
class ReplayReport:
    """What a replay covered."""

    entries: int
    batches: int
    blocks: int


def advance(session: Session, replay: Replay, end: int, progress: Progress | None = None) -> Replay:
    """Feed the entries ``[replay.size, end)`` to ``replay``; a broken rule is a mismatch."""
    try:
        while replay.size < end:
            start, stop = replay.size, min(end, replay.size + CHUNK)
            for index, entry, _ in store.read_entries(session, start, stop):
                replay.feed(index, entry)
            if replay.size != stop:
                raise ReplayMismatch(f"entries {replay.size}-{stop - 1} are missing from the log")
            if progress is not None:
                progress(stop - start)
    except ReplayError as exc:
        raise ReplayMismatch(f"the log breaks a registry rule at {exc}") from exc
    return replay


def replay_check(session: Session, progress: Progress | None = None) -> ReplayReport:
    """Replay the whole log and compare supply, blocks and retirements with the tables."""
    replay = advance(session, Replay(), store.read_head(session).size, progress)
    try:
        replay.finish()
    except ReplayError as exc:
        raise ReplayMismatch(f"the log ends inside an issuance: {exc}") from exc
    _compare_supply(session, replay)
    count = _compare_blocks(session, replay)
    _compare_retirements(session, replay)
    return ReplayReport(replay.size, len(replay.batches), count)


def _compare_supply(session: Session, replay: Replay) -> None:
    c = batches.c
    rows = session.execute(
        select(c.denom, c.issued, c.tradable, c.retired, c.cancelled, c.buffer).order_by(c.denom)
    ).all()
    logged = replay.supply()
    stored = {r.denom for r in rows}
    for missing in sorted(logged.keys() - stored):
        raise ReplayMismatch(f"batch {missing} is in the log but not in the tables")
    for row in rows:
        if row.denom not in logged:
            raise ReplayMismatch(f"batch {row.denom} is in the tables but not in the log")
        want = logged[row.denom]
        for name in ("issued", "tradable", "retired", "cancelled", "buffer"):
            if getattr(want, name) != getattr(row, name):
                raise ReplayMismatch(
                    f"batch {row.denom}: {name} is {getattr(row, name)} units in the tables "
                    f"but {getattr(want, name)} from the log"
                )


def _stored_blocks(session: Session) -> Iterator[tuple[Any, ...]]:
    b = blocks.c
    query = (
        select(batches.c.denom, b.first, b.last, accounts.c.name, b.state, b.op)
        .join(batches, batches.c.id == b.batch_id)
        .join(accounts, accounts.c.id == b.owner_id)
        .order_by(batches.c.denom, b.first)
        .execution_options(yield_per=CHUNK)
    )
    for row in session.execute(query):
        yield tuple(row)


def _logged_blocks(replay: Replay) -> Iterator[tuple[Any, ...]]:
    for denom in sorted(replay.batches):
        for block in replay.batches[denom].blocks():
            name = replay.names[block.owner]
            yield (denom, block.first, block.last, name, block.state, block.op)


def _compare_blocks(session: Session, replay: Replay) -> int:
    count = 0
    stored, logged = _stored_blocks(session), _logged_blocks(replay)
    while True:
        table, log = next(stored, None), next(logged, None)
        if table is None and log is None:
            return count
        if table != log:
            raise ReplayMismatch(
                f"serial blocks differ: the tables have {_describe(table)}, "
                f"the log gives {_describe(log)}"
            )
        count += 1


def _describe(block: tuple[Any, ...] | None) -> str:
    if block is None:
        return "no more blocks"
    denom, first, last, owner, state, op = block
    final = "" if op is None else f" by entry {op}"
    return f"{denom}:{first}-{last} {state} held by {owner}{final}"


def _compare_retirements(session: Session, replay: Replay) -> None:
    r = retirements.c
    rows = session.execute(
        select(r.ledger_index, batches.c.denom, accounts.c.name, r.amount, r.beneficiary)
        .join(batches, batches.c.id == r.batch_id)
        .join(accounts, accounts.c.id == r.holder_id)
        .order_by(r.ledger_index)
    ).all()
    stored = [tuple(row) for row in rows]
    logged = [(s.index, s.batch, s.holder, s.amount, s.beneficiary) for s in replay.retirements]
    if stored != logged:
        first = next(
            (i for i, (a, b) in enumerate(zip(stored, logged, strict=False)) if a != b),
            min(len(stored), len(logged)),
        )
        table = stored[first] if first < len(stored) else "nothing"
        log = logged[first] if first < len(logged) else "nothing"
        raise ReplayMismatch(f"retirements differ: the tables have {table}, the log gives {log}")


class LogSupply:
    """Supply per batch replayed from the log up to its latest signed checkpoint.

    One replay is kept and moved forward as checkpoints grow, so each request replays only
    the entries new since the last one.
    """

    def __init__(self) -> None:
        """Start with an empty replay."""
        self._replay = Replay()
        self._lock = threading.Lock()

    def at_latest_checkpoint(self, session: Session) -> dict[str, Any]:
        """Supply per batch at the latest checkpoint, with that checkpoint."""
        latest = checkpoints.require_latest(session)
        with self._lock:
            if latest.size < self._replay.size:
                self._replay = Replay()
            try:
                replay = advance(session, self._replay, latest.size)
            except ReplayMismatch:
                # A refused entry may have been half applied: start over next time.
                self._replay = Replay()
                raise
            supply = replay.supply()
            rows = [_supply_row(replay, d, supply[d]) for d in sorted(replay.batches)]
        return {
            "checkpoint": latest.note,
            "size": latest.size,
            "root": latest.root.hex(),
            "batches": rows,
            "conserved": all(row["conserved"] for row in rows),
        }


def _supply_row(replay: Replay, denom: str, supply: Supply) -> dict[str, Any]:
    p = replay.batches[denom].precision
    return {
        "batch": denom,
        "issued": amounts.format_amount(supply.issued, p),
        "tradable": amounts.format_amount(supply.tradable, p),
        "retired": amounts.format_amount(supply.retired, p),
        "cancelled": amounts.format_amount(supply.cancelled, p),
        "buffer": amounts.format_amount(supply.buffer, p),
        "units": {
            "issued": supply.issued,
            "tradable": supply.tradable,
            "retired": supply.retired,
            "cancelled": supply.cancelled,
            "buffer": supply.buffer,
        },
        "conserved": supply.conserved,
    }
