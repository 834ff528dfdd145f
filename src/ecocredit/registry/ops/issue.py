"""Issue a batch against a verification report, to one or very many recipients.

Units are numbered 1…issued in the order the recipients are given; the buffer share, if
any, is the last block and goes to the registry's account. One report backs one batch, and
never more than it verified. A million-recipient payout is one transaction: the blocks go in
with one executemany and the log gets a ``batch_issued`` entry followed by chunks of blocks.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import BindParameter, bindparam, exists, func, insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import REGISTRY_ACCOUNT, Principal, Role
from ecocredit.accounts.tables import account_roles
from ecocredit.accounts.tables import accounts as accounts_table
from ecocredit.errors import AlreadyIssued, InvalidParameter, LedgerCorrupt
from ecocredit.fastsql import Compiled, compile_for, fetch
from ecocredit.ledger import events, store
from ecocredit.registry import amounts, blocks, ids, lookup
from ecocredit.registry.model import BlockState, ProjectStatus
from ecocredit.registry.ops.common import begin
from ecocredit.registry.tables import batches, reports

CHUNK = 1000  # blocks per credits_issued entry at most
CHUNK_BYTES = 60_000  # and at most this much of them: a log entry holds 65,535 bytes
_NAMES_PER_QUERY = 5000
MAX_BUFFER_SHARE = Decimal("0.5")
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


@functools.lru_cache(maxsize=64)
def _holders_in(dialect: Dialect, count: int) -> Compiled:
    a = accounts_table.c
    wanted: list[BindParameter[str]] = [bindparam(f"v{i}") for i in range(count)]
    # The role is checked per account through its primary key; a join on the role's own
    # index would make SQLite scan every holder for each list of names.
    holds = exists().where(
        account_roles.c.account_id == a.id, account_roles.c.role == bindparam("role")
    )
    stmt = select(a.name, a.id).where(a.name.in_(wanted), holds)
    return compile_for(stmt, dialect)


def _resolve(session: Session, names: Sequence[str], progress: Progress | None) -> list[int]:
    dialect = session.get_bind().dialect
    found: dict[str, int] = {}
    for start in range(0, len(names), _NAMES_PER_QUERY):
        chunk = names[start : start + _NAMES_PER_QUERY]
        params = {f"v{i}": n for i, n in enumerate(chunk)} | {"role": Role.HOLDER.value}
        found.update(
            (str(n), int(i)) for n, i in fetch(session, _holders_in(dialect, len(chunk)), **params)
        )
        if progress is not None:
            progress(len(chunk) // 2)
    if len(found) < len(names):
        position, name = next((p, n) for p, n in enumerate(names) if n not in found)
        # Say whether the account is unknown or just cannot hold credits.
        lookup.holder(session, name, f"recipients[{position}]")
    return [found[n] for n in names]


def _parse_recipients(
    recipients: Sequence[tuple[str, str]], precision: int
) -> tuple[list[str], list[int]]:
    if not recipients:
        raise InvalidParameter("a batch needs at least one recipient", field="recipients")
    names: list[str] = []
    units: list[int] = []
    seen: set[str] = set()
    parsed: dict[str, int] = {}  # a payout repeats a few amounts (a check-in earns 0.144)
    for position, item in enumerate(recipients):
        if not isinstance(item, tuple | list) or len(item) != 2:
            where = f"recipients[{position}]"
            raise InvalidParameter(f"{where} must be an account and an amount", field=where)
        name, amount = item
        if not isinstance(name, str) or name in seen:
            where = f"recipients[{position}]"
            accounts.check_name(name, where)
            raise InvalidParameter(f"{where}: account {name!r} is listed twice", field=where)
        seen.add(name)
        names.append(name)
        value = parsed.get(amount) if isinstance(amount, str) else None
        if value is None:
            value = amounts.parse_amount(amount, precision, f"recipients[{position}].amount")
            parsed[amount] = value
        units.append(value)
    _check_names(names)
    return names, units


def _check_names(names: Sequence[str]) -> None:
    # Checked after the loop, so the common case costs one pattern match per name.
    for position, name in enumerate(names):
        if not accounts.NAME.fullmatch(name):
            accounts.check_name(name, f"recipients[{position}]")
        if name == REGISTRY_ACCOUNT:
            lookup.refuse_pool(name, f"recipients[{position}]")


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
    names, units = _parse_recipients(recipients, precision)
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
    blocks_and_buffer: tuple[list[list[Any]], list[int]],
    now: datetime,
    progress: Progress | None,
) -> list[bytes]:
    moved, buffer_span = blocks_and_buffer
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
    for chunk in _chunks(moved):
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
) -> dict[str, Any]:
    """Issue a batch for ``report`` to ``recipients`` (account, decimal amount) pairs."""
    share = check_share(buffer_share)
    ref = ids.check_text(reference, "reference", required=False, limit=ids.MAX_REFERENCE)
    index, now = begin(session)
    plan = _plan(session, caller, report, recipients, share, ref)
    owners = _resolve(session, plan.names, progress)
    pool = 0
    if plan.withheld:
        pool = lookup.registry_account(session)
        index = store.read_head(session, lock=True).size  # opening the pool's account took one
    start, end = plan.source["period_start"], plan.source["period_end"]
    denom = _denom(session, plan.project, start, end)
    batch_id = _insert_batch(session, caller, plan, denom, (index, now))
    new_blocks, moved = _blocks(plan.names, owners, plan.units)
    buffer_span: list[int] = []
    if plan.withheld:
        buffer_span = [plan.granted + 1, plan.total]
        new_blocks.append((plan.granted + 1, plan.total, pool, BlockState.BUFFER.value))
    blocks.insert_rows(session, batch_id, new_blocks)
    entries = _entries(caller, plan, denom, (moved, buffer_span), now, progress)
    first = store.append(session, entries)
    if first != index:
        raise LedgerCorrupt(f"batch {denom} landed at entry {first}, not {index}", index=first)
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
        "entries": len(entries),
    }


def _blocks(
    names: Sequence[str], owners: Sequence[int], units: Sequence[int]
) -> tuple[list[tuple[int, int, int, str]], list[list[Any]]]:
    """The recipients' blocks as (first, last, owner) rows and as the log's [name, first, last]."""
    rows: list[tuple[int, int, int, str]] = []
    moved: list[list[Any]] = []
    first = 1
    tradable = BlockState.TRADABLE.value
    for name, owner, amount in zip(names, owners, units, strict=True):
        last = first + amount - 1
        rows.append((first, last, owner, tradable))
        moved.append([name, first, last])
        first = last + 1
    return rows, moved


def _chunks(moved: list[list[Any]]) -> Iterator[list[list[Any]]]:
    """The blocks in runs of at most CHUNK, each small enough for one log entry.

    A block is written ``["name",first,last],``: its size is known without encoding it.
    """
    start, size = 0, 0
    for end, (name, first, last) in enumerate(moved):
        cost = len(name) + len(str(first)) + len(str(last)) + 6
        if end > start and (end - start == CHUNK or size + cost > CHUNK_BYTES):
            yield moved[start:end]
            start, size = end, 0
        size += cost
    if start < len(moved):
        yield moved[start:]


def _denom(session: Session, project: str, start: date, end: date) -> str:
    count = session.execute(
        select(func.count()).select_from(batches).where(batches.c.project_id == project)
    ).scalar_one()
    return ids.batch_id(project, start, end, int(count) + 1)


def _iso(value: date | datetime | str) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]
