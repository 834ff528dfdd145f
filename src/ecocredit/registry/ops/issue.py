"""Issue a batch against a verification report, to one or very many recipients.

Units are numbered 1…issued in the order the recipients are given; the buffer share, if
any, is the last block and goes to the registry's account. One report backs one batch, and
never more than it verified. A million-recipient payout is one transaction: the blocks go in
with one executemany and the log gets a ``batch_issued`` entry followed by chunks of blocks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.errors import AlreadyIssued, InvalidParameter, LedgerCorrupt
from ecocredit.ledger import events, store
from ecocredit.registry import amounts, blocks, ids, lookup
from ecocredit.registry.model import BlockState, ProjectStatus, RetirementRequest
from ecocredit.registry.ops import recipients as recipients_
from ecocredit.registry.ops import retirements
from ecocredit.registry.ops.common import begin
from ecocredit.registry.tables import batches, reports

MAX_BUFFER_SHARE = Decimal("0.5")
MAX_RETIRED_RECIPIENTS = 10_000  # each retired recipient is a log entry of its own
_SHARE = re.compile(r"[0-9](?:\.[0-9]{1,6})?")

Progress = Callable[[int], None]


def buffer_units(recipients_total: int, share: Fraction) -> int:
    """Units withheld so that the buffer is ``share`` of the whole batch, rounded up.

    With B = ceil(R·s / (1 − s)) the buffer is never short of its share of R + B.
    """
    if share == 0:
        return 0
    return math.ceil(recipients_total * share / (1 - share))


def check_share(text: str) -> Fraction:
    """Parse a buffer share such as ``"0.15"`` (0 up to 0.5, at most six decimal places)."""
    # A plain decimal only: Decimal() would take "1e-999999999", whose exact fraction is a
    # number of a billion digits that holds the interpreter for hours.
    if not isinstance(text, str) or not _SHARE.fullmatch(text):
        raise InvalidParameter(
            f"buffer_share {text!r} is not a decimal such as 0.15 (at most six places)",
            field="buffer_share",
        )
    value = Decimal(text)
    if not 0 <= value <= MAX_BUFFER_SHARE:
        raise InvalidParameter(
            f"buffer_share {text} must be between 0 and {MAX_BUFFER_SHARE}",
            field="buffer_share",
        )
    return Fraction(value)


def _report(session: Session, report: str) -> dict[str, Any]:
    ids.check(ids.REPORT, report, "report", "C01-001-R001")
    row = session.execute(select(reports).where(reports.c.id == report)).first()
    if row is None:
        raise InvalidParameter(f"no verification report {report}", field="report")
    used = session.execute(select(batches.c.denom).where(batches.c.report_id == report)).scalar()
    if used is not None:
        raise AlreadyIssued(f"report {report} already backs batch {used}", field="report")
    return dict(row._mapping)


@dataclass(frozen=True)
class _Plan:
    """An issuance checked against its report, project, class and the caller's authority."""

    report: str
    source: dict[str, Any]  # the report's row
    project: str
    class_id: str
    precision: int
    reference: str
    names: list[str]
    units: list[int]
    withheld: int

    @property
    def granted(self) -> int:
        """Units to the recipients."""
        return sum(self.units)

    @property
    def total(self) -> int:
        """Units of the batch, buffer included."""
        return self.granted + self.withheld


def _plan(
    session: Session,
    caller: Principal,
    report: str,
    recipients: Sequence[tuple[str, str]],
    share: Fraction,
    ref: str,
) -> _Plan:
    source = _report(session, report)
    project = lookup.project_row(session, str(source["project_id"]))
    class_id = str(project["class_id"])
    lookup.require_class_issuer(session, class_id, caller, "issue its credits")
    if project["status"] != ProjectStatus.REGISTERED:
        raise InvalidParameter(
            f"project {project['id']} is {project['status']}; only registered projects are issued",
            field="report",
        )
    precision = int(str(lookup.class_row(session, class_id)["precision"]))
    names, units = recipients_.parse(recipients, precision)
    _check_reference(session, class_id, ref)
    withheld = buffer_units(sum(units), share)
    plan = _Plan(
        report, source, str(project["id"]), class_id, precision, ref, names, units, withheld
    )
    if plan.total > int(source["verified"]):
        verified = amounts.format_amount(int(source["verified"]), precision)
        raise InvalidParameter(
            f"report {report} verifies {verified}; this batch would issue "
            f"{amounts.format_amount(plan.total, precision)} (buffer included)",
            field="recipients",
        )
    return plan


def _check_reference(session: Session, class_id: str, ref: str) -> None:
    if not ref:
        return
    clash = select(batches.c.denom).where(
        batches.c.class_id == class_id, batches.c.reference == ref
    )
    existing = session.execute(clash).scalar()
    if existing is not None:
        raise AlreadyIssued(
            f"class {class_id} already issued {existing} with reference {ref!r}",
            field="reference",
        )


def _insert_batch(
    session: Session, caller: Principal, plan: _Plan, denom: str, at: tuple[int, datetime]
) -> int:
    index, now = at
    source = plan.source
    row = insert(batches).values(
        denom=denom,
        project_id=plan.project,
        class_id=plan.class_id,
        issuer_id=caller.account_id,
        report_id=plan.report,
        vintage_start=source["period_start"],
        vintage_end=source["period_end"],
        reference=plan.reference or None,
        issued=plan.total,
        tradable=plan.granted,
        retired=0,
        cancelled=0,
        buffer=plan.withheld,
        issued_at=now,
        ledger_index=index,
    )
    return int(session.execute(row.returning(batches.c.id)).scalar_one())


def _entries(
    caller: Principal,
    plan: _Plan,
    denom: str,
    chunks_and_buffer: tuple[list[list[list[Any]]], list[int]],
    now: datetime,
    progress: Progress | None,
) -> list[bytes]:
    chunks, buffer_span = chunks_and_buffer
    header = {
        "batch": denom,
        "project": plan.project,
        "report": plan.report,
        "issuer": caller.name,
        "vintage_start": _iso(plan.source["period_start"]),
        "vintage_end": _iso(plan.source["period_end"]),
        "reference": plan.reference,
        "issued": plan.total,
        "buffer": buffer_span,
        "recipients": len(plan.names),
    }
    entries = [events.encode(events.BATCH_ISSUED, caller.name, header, now)]
    for chunk in chunks:
        data = {"batch": denom, "blocks": chunk}
        entries.append(events.encode(events.CREDITS_ISSUED, caller.name, data, now))
        if progress is not None:
            progress(len(chunk) // 2)
    return entries


def issue(
    session: Session,
    caller: Principal,
    report: str,
    recipients: Sequence[tuple[str, str]],
    buffer_share: str = "0",
    reference: str = "",
    progress: Progress | None = None,
    retire: RetirementRequest | None = None,
) -> dict[str, Any]:
    """Issue a batch for ``report`` to ``recipients`` (account, decimal amount) pairs.

    With ``retire``, every recipient's credits are retired on issuance in its name (one
    retirement, and one certificate, per recipient); the beneficiary is the recipient unless
    the request names one.
    """
    share = check_share(buffer_share)
    ref = ids.check_text(reference, "reference", required=False, limit=ids.MAX_REFERENCE)
    if retire is not None:
        _check_retire(retire, len(recipients))
    index, now = begin(session)
    plan = _plan(session, caller, report, recipients, share, ref)
    owners = recipients_.resolve(session, plan.names, progress)
    pool = 0
    if plan.withheld:
        pool = lookup.registry_account(session)
        index = store.read_head(session, lock=True).size  # opening the pool's account took one
    start, end = plan.source["period_start"], plan.source["period_end"]
    denom = _denom(session, plan.project, start, end)
    batch_id = _insert_batch(session, caller, plan, denom, (index, now))
    new_blocks, moved = recipients_.lay_out(plan.names, owners, plan.units)
    chunks = list(recipients_.chunks(moved))
    claims: list[retirements.Claim] = []
    if retire is not None:
        # Retirement k is the entry after the header, the chunks and retirements 0…k-1.
        after = index + 1 + len(chunks)
        new_blocks = [
            (*r[:3], BlockState.RETIRED.value, after + k) for k, r in enumerate(new_blocks)
        ]
        claims = [retirements.claim(session, retire, name) for name in plan.names]
    buffer_span: list[int] = []
    if plan.withheld:
        buffer_span = [plan.granted + 1, plan.total]
        new_blocks.append((plan.granted + 1, plan.total, pool, BlockState.BUFFER.value, None))
    blocks.insert_rows(session, batch_id, new_blocks)
    entries = _entries(caller, plan, denom, (chunks, buffer_span), now, progress)
    if claims:
        retiring = (plan, batch_id, denom, index + len(entries))
        entries += _retire_all(
            session, caller, retiring, list(zip(moved, owners, claims, strict=True)), now
        )
    first = store.append(session, entries)
    if first != index:
        raise LedgerCorrupt(f"batch {denom} landed at entry {first}, not {index}", index=first)
    return _result(plan, denom, (moved, buffer_span), first, len(entries))


def _check_retire(retire: RetirementRequest, count: int) -> None:
    retirements.check_request(retire)
    if count > MAX_RETIRED_RECIPIENTS:
        raise InvalidParameter(
            f"credits retired on issuance go to at most {MAX_RETIRED_RECIPIENTS:,} recipients "
            f"(each gets a retirement of its own); this batch has {count:,}",
            field="recipients",
        )


def _result(
    plan: _Plan,
    denom: str,
    blocks_and_buffer: tuple[list[list[Any]], list[int]],
    first: int,
    entries: int,
) -> dict[str, Any]:
    moved, buffer_span = blocks_and_buffer
    p = plan.precision
    return {
        "batch": denom,
        "issued": amounts.format_amount(plan.total, p),
        "tradable": amounts.format_amount(plan.granted, p),
        "buffer": amounts.format_amount(plan.withheld, p),
        "recipients": len(plan.names),
        "blocks": moved,
        "buffer_block": buffer_span,
        "ledger_index": first,
        "entries": entries,
    }


def _retire_all(
    session: Session,
    caller: Principal,
    batch: tuple[_Plan, int, str, int],
    recipients: list[tuple[list[Any], int, retirements.Claim]],
    now: datetime,
) -> list[bytes]:
    """Record each recipient's retirement; return their log entries, in recipient order.

    ``batch`` is the plan, the batch's row id, its denom and the index of the first of these
    entries; ``recipients`` pairs each issued block with its owner's id and claim.
    """
    plan, batch_id, denom, first_index = batch
    session.execute(
        update(batches).where(batches.c.id == batch_id).values(tradable=0, retired=plan.granted)
    )
    entries = []
    for k, ((name, first, last), owner, claim) in enumerate(recipients):
        amount = last - first + 1
        retirements.record(
            session, first_index + k, batch_id, owner, amount, claim, "issuance", now
        )
        data = {"batch": denom, "holder": name, "amount": amount, "blocks": [[first, last]]}
        data.update(claim.event_fields())
        entries.append(events.encode(events.ISSUED_RETIRED, caller.name, data, now))
    return entries


def _denom(session: Session, project: str, start: date, end: date) -> str:
    count = session.execute(
        select(func.count()).select_from(batches).where(batches.c.project_id == project)
    ).scalar_one()
    return ids.batch_id(project, start, end, int(count) + 1)


def _iso(value: date | datetime | str) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]
