"""Replay: rebuild the registry's supply and serial blocks from the log entries alone.

This module is pure: it reads entry bytes (from the database, from tiles fetched over HTTP,
from a file) and applies each registry event with the same serial rules the service uses
(:mod:`ecocredit.registry.serials`). It does not trust an event's own account of what it
moved: it takes the units itself and refuses an event whose blocks differ, whose sender did
not hold them, or that would break conservation. So supply per batch computed here is a
proof, from the public log alone, that every issued unit is accounted for exactly once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ecocredit.ledger.events import EVENTS
from ecocredit.registry import serials
from ecocredit.registry.model import BlockState, Span, Supply
from ecocredit.registry.reference import builtin_credit_types
from ecocredit.registry.replay_parties import (
    REGISTRY_ACCOUNT,
    Parties,
    ReplayError,
    check_fields,
)
from ecocredit.registry.serials import Block, BlockSet

__all__ = ["BatchBlocks", "Replay", "ReplayError", "RetirementSeen"]


class BatchBlocks(BlockSet):
    """The blocks of one batch as the log builds them, with its supply by state."""

    def __init__(self, denom: str, issued: int, report: str, precision: int) -> None:
        """An issued batch with no blocks yet."""
        super().__init__()
        self.denom, self.issued, self.report, self.precision = denom, issued, report, precision
        self.granted = 0  # tradable units issued so far by credits_issued chunks
        self.expected = 0  # tradable units the batch_issued entry announced
        self.supply: dict[str, int] = {}
        self.recipients: set[str] = set()  # while its credits_issued entries come in


@dataclass(frozen=True)
class RetirementSeen:
    """A retirement as the log records it."""

    index: int
    batch: str
    holder: str
    amount: int
    beneficiary: str


class Replay:
    """The registry state the log entries so far produce."""

    def __init__(self) -> None:
        """Start from the empty log."""
        self.size = 0
        self.names: list[str] = []
        self.ids: dict[str, int] = {}
        # Credit type, class and project → precision; the built-in credit types have no entry.
        self.precision = {t.abbrev: t.precision for t in builtin_credit_types()}
        self.parties = Parties()
        self.used_reports: set[str] = set()
        self.batches: dict[str, BatchBlocks] = {}
        self.retirements: list[RetirementSeen] = []
        self._open: BatchBlocks | None = None
        self._issued: str | None = None  # the batch whose retirements on issuance may follow

    def feed(self, index: int, entry: bytes) -> None:
        """Apply one entry (entries must come in index order)."""
        if index != self.size:
            raise ReplayError(index, f"expected entry {self.size} next")
        kind, actor, data = _parse(entry)
        if kind != "registry.issued_retired":
            self._issued = None
        if self._open is not None and kind != "registry.credits_issued":
            raise ReplayError(index, f"batch {self._open.denom} was not fully issued")
        if kind.startswith("registry.") and kind not in EVENTS:
            raise ReplayError(index, f"{kind} is a registry event this version does not know")
        if kind.startswith(("registry.", "account.")) and kind in EVENTS:
            data = check_fields(index, kind, data)
            try:
                self.parties.learn(kind, data)
                handler = _HANDLERS.get(kind)
                if handler is not None:
                    handler(self, index, actor, data)
            except (KeyError, TypeError, ValueError, IndexError, ArithmeticError) as exc:
                raise ReplayError(index, f"{kind} has a malformed payload ({exc})") from None
        self.size += 1

    def finish(self) -> None:
        """Check the log does not end in the middle of an issuance."""
        if self._open is not None:
            raise ReplayError(self.size, f"batch {self._open.denom} was not fully issued")

    def supply(self) -> dict[str, Supply]:
        """Supply of every batch."""
        return {d: _supply(b) for d, b in self.batches.items()}

    def owner(self, name: str) -> int:
        """The replay's number for an account name."""
        if name not in self.ids:
            self.ids[name] = len(self.names)
            self.names.append(name)
        return self.ids[name]

    def _batch(self, index: int, denom: str) -> BatchBlocks:
        if denom not in self.batches:
            raise ReplayError(index, f"batch {denom} was never issued")
        return self.batches[denom]


def _parse(entry: bytes) -> tuple[str, str, Any]:
    """The type, actor and data of an entry; an entry of no known shape has type ""."""
    try:
        body = json.loads(entry)
    except ValueError:
        return "", "", None
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return "", "", None
    return body["type"], str(body.get("actor", "")), body.get("data")


def _supply(batch: BatchBlocks) -> Supply:
    s = batch.supply
    return Supply(
        batch.issued,
        s.get(BlockState.TRADABLE, 0),
        s.get(BlockState.RETIRED, 0),
        s.get(BlockState.CANCELLED, 0),
        s.get(BlockState.BUFFER, 0),
    )


def _credit_type(replay: Replay, index: int, actor: str, data: dict[str, Any]) -> None:
    replay.precision[str(data["abbrev"])] = int(data["precision"])


def _class(replay: Replay, index: int, actor: str, data: dict[str, Any]) -> None:
    replay.precision[str(data["class_id"])] = replay.precision[str(data["credit_type"])]


def _project(replay: Replay, index: int, actor: str, data: dict[str, Any]) -> None:
    replay.precision[str(data["project"])] = replay.precision[str(data["class_id"])]


def _batch_issued(replay: Replay, index: int, actor: str, data: dict[str, Any]) -> None:
    denom, report, issued = str(data["batch"]), str(data["report"]), int(data["issued"])
    project = str(data["project"])
    replay.parties.issuer(index, actor, project)
    if denom in replay.batches:
        raise ReplayError(index, f"batch {denom} is issued a second time")
    if report in replay.used_reports:
        raise ReplayError(index, f"report {report} backs a second batch")
    seen = replay.parties.reports.get(report)
    if seen is None or seen.project != project:
        raise ReplayError(index, f"report {report} is not a report of {project}")
    start, end = (seen.period_start.replace("-", ""), seen.period_end.replace("-", ""))
    if not denom.startswith(f"{project}-{start}-{end}-"):
        raise ReplayError(index, f"batch {denom} does not name {project} and the report's period")
    if not 0 < issued <= seen.verified:
        raise ReplayError(index, f"batch {denom} issues {issued} against {seen.verified} verified")
    replay.used_reports.add(report)
    batch = BatchBlocks(denom, issued, report, replay.precision[str(data["project"])])
    buffer = data["buffer"]
    batch.expected = issued
    if buffer:
        first, last = int(buffer[0]), int(buffer[1])
        if last != issued or first < 1 or first > last:
            raise ReplayError(index, f"buffer block {first}-{last} is not the end of the batch")
        batch.add(Block(first, last, replay.owner(REGISTRY_ACCOUNT), BlockState.BUFFER))
        batch.supply[BlockState.BUFFER] = last - first + 1
        batch.expected = first - 1
    if batch.expected < 1:
        raise ReplayError(index, f"batch {denom} gives nothing to any recipient")
    replay.batches[denom] = batch
    replay._open = batch


def _credits_issued(replay: Replay, index: int, actor: str, data: dict[str, Any]) -> None:
    batch = replay._open
    if batch is None or batch.denom != data["batch"]:
        raise ReplayError(index, f"credits of {data['batch']} outside its issuance")
    for name, first, last in data["blocks"]:
        replay.parties.holder(index, str(name), "recipient")
        if name in batch.recipients:
            raise ReplayError(index, f"{name!r} is a recipient of {batch.denom} twice")
        batch.recipients.add(str(name))
        if int(first) != batch.granted + 1 or int(last) < int(first):
            raise ReplayError(index, f"block {first}-{last} does not follow {batch.granted}")
        if int(last) > batch.expected:
            raise ReplayError(index, f"block {first}-{last} runs past the tradable units")
        batch.add(Block(int(first), int(last), replay.owner(str(name)), BlockState.TRADABLE))
        batch.granted = int(last)
    batch.supply[BlockState.TRADABLE] = batch.granted
    if batch.granted == batch.expected:
        replay._open = None
        replay._issued = batch.denom
        batch.recipients.clear()


def _take(
    replay: Replay, index: int, data: dict[str, Any], holder: str, state: str
) -> tuple[BatchBlocks, list[Span]]:
    batch = replay._batch(index, str(data["batch"]))
    amount = int(data["amount"])
    if amount <= 0:
        raise ReplayError(index, f"amount {amount} is not positive")
    taken = serials.take(batch.spans_of(replay.owner(holder), state), amount)
    if taken is None:
        raise ReplayError(index, f"{holder} does not hold {amount} {state} units of {batch.denom}")
    if serials.spans(data["blocks"]) != taken:
        raise ReplayError(index, f"the entry's blocks are not the ones {holder} holds first")
    return batch, taken


def _issued_retired(replay: Replay, index: int, actor: str, data: dict[str, Any]) -> None:
    """A recipient's credits retired by the issuer right after the batch was issued."""
    denom, holder, amount = str(data["batch"]), str(data["holder"]), int(data["amount"])
    if replay._issued != denom:
        raise ReplayError(index, f"a retirement on issuance of {denom} outside its issuance")
    batch = replay._batch(index, denom)
    replay.parties.issuer(index, actor, replay.parties.reports[batch.report].project)
    replay.parties.holder(index, holder, "holder")
    batch, taken = _take(replay, index, data, holder, BlockState.TRADABLE)
    batch.move(taken, (replay.owner(holder), BlockState.RETIRED, index))
    _shift(batch, BlockState.TRADABLE, BlockState.RETIRED, amount)
    seen = RetirementSeen(index, denom, holder, amount, str(data["beneficiary"]))
    replay.retirements.append(seen)


def _mover(replay: Replay, index: int, actor: str, holder: str, recipient: str | None) -> None:
    """Only a holder moves its own credits, and only to another account that can hold them."""
    if actor != holder:
        raise ReplayError(index, f"{actor!r} moves credits of {holder!r}")
    replay.parties.holder(index, holder, "holder")
    if recipient is not None:
        if recipient == holder:
            raise ReplayError(index, "sender and recipient are the same")
        replay.parties.holder(index, recipient, "recipient")


def _shift(batch: BatchBlocks, source: str, target: str, amount: int) -> None:
    batch.supply[source] = batch.supply.get(source, 0) - amount
    batch.supply[target] = batch.supply.get(target, 0) + amount


def _transferred(replay: Replay, index: int, actor: str, data: dict[str, Any]) -> None:
    sender, recipient = str(data["sender"]), str(data["recipient"])
    _mover(replay, index, actor, sender, recipient)
    batch, taken = _take(replay, index, data, sender, BlockState.TRADABLE)
    batch.move(taken, (replay.owner(recipient), BlockState.TRADABLE, None))


def _final(state: str, holder_field: str | None, via_retire: bool) -> Any:
    def apply(replay: Replay, index: int, actor: str, data: dict[str, Any]) -> None:
        holder = REGISTRY_ACCOUNT if holder_field is None else str(data[holder_field])
        source = BlockState.BUFFER if holder_field is None else BlockState.TRADABLE
        owner = str(data["recipient"]) if holder_field == "sender" else holder
        if holder_field is None:
            replay.parties.admin(index, actor, "cancel buffer credits")
        else:
            _mover(replay, index, actor, holder, owner if holder_field == "sender" else None)
        batch, taken = _take(replay, index, data, holder, source)
        batch.move(taken, (replay.owner(owner), state, index))
        _shift(batch, source, state, int(data["amount"]))
        if via_retire:
            seen = RetirementSeen(
                index, batch.denom, owner, int(data["amount"]), str(data["beneficiary"])
            )
            replay.retirements.append(seen)

    return apply


_HANDLERS: dict[str, Any] = {
    "registry.credit_type_added": _credit_type,
    "registry.class_created": _class,
    "registry.project_created": _project,
    "registry.batch_issued": _batch_issued,
    "registry.credits_issued": _credits_issued,
    "registry.transferred": _transferred,
    "registry.issued_retired": _issued_retired,
    "registry.transferred_retired": _final(BlockState.RETIRED, "sender", True),
    "registry.retired": _final(BlockState.RETIRED, "holder", True),
    "registry.cancelled": _final(BlockState.CANCELLED, "holder", False),
    "registry.buffer_cancelled": _final(BlockState.CANCELLED, None, False),
}
