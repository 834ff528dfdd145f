"""Reads of where credits are: an account's holdings, retirements, cancellations, one serial.

Holdings are computed from the serial blocks themselves, so they always agree with what a
serial lookup says. Retirements and cancellations are separate records and separate lists: a
cancellation is never shown as a retirement, nor counted as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, select
from sqlalchemy.orm import Session

from ecocredit.accounts.tables import accounts
from ecocredit.errors import NotFound
from ecocredit.registry import amounts, lookup, serials
from ecocredit.registry.filters import CancellationFilter, HoldingFilter, Page, RetirementFilter
from ecocredit.registry.model import BlockState, Span
from ecocredit.registry.ops.retirements import entity_key
from ecocredit.registry.queries import iso_time, listing, page_rows
from ecocredit.registry.tables import (
    batches,
    blocks,
    cancellations,
    classes,
    credit_types,
    projects,
    retirements,
)


def _with_batch(stmt: Select[Any], batch_id: ColumnElement[Any]) -> Select[Any]:
    """Join a record's batch, project and credit type (for names and precision)."""
    return (
        stmt.join(batches, batches.c.id == batch_id)
        .join(projects, projects.c.id == batches.c.project_id)
        .join(classes, classes.c.id == batches.c.class_id)
        .join(credit_types, credit_types.c.abbrev == classes.c.credit_type)
    )


def retirement_select() -> Select[Any]:
    """Retirements with their batch, project and holder, in log order."""
    r = retirements.c
    stmt = select(
        r.ledger_index,
        batches.c.denom.label("batch"),
        batches.c.project_id.label("project"),
        accounts.c.name.label("holder"),
        r.amount,
        r.beneficiary,
        r.beneficiary_kind,
        r.reason_code,
        r.reason,
        r.jurisdiction,
        r.note,
        r.via,
        r.retired_at,
        credit_types.c.precision,
    ).join(accounts, accounts.c.id == r.holder_id)
    return _with_batch(stmt, r.batch_id).order_by(r.ledger_index)


def _final_record(row: Row[Any], stamp: str) -> dict[str, Any]:
    """A retirement or cancellation as the API shows it: amount in decimals, ``time`` in UTC."""
    out = {k: v for k, v in row._mapping.items() if k not in ("precision", stamp)}
    out["amount"] = amounts.format_amount(int(row.amount), int(row.precision))
    out["time"] = iso_time(row._mapping[stamp])
    return out


def retirement(row: Row[Any]) -> dict[str, Any]:
    """A retirement record as the API shows it."""
    return _final_record(row, "retired_at")


def retirement_list(session: Session, where: RetirementFilter, page: Page) -> dict[str, Any]:
    """Retirements (never cancellations), oldest first."""
    r = retirements.c
    stmt = retirement_select()
    if where.beneficiary is not None:
        keys = [f"account:{where.beneficiary}", f"entity:{entity_key(where.beneficiary)}"]
        stmt = stmt.where(r.beneficiary_key.in_(keys))
    if where.batch is not None:
        stmt = stmt.where(r.batch_id == lookup.batch(session, where.batch).id)
    if where.since is not None:
        stmt = stmt.where(r.retired_at >= where.since)
    if where.before is not None:
        stmt = stmt.where(r.retired_at < where.before)
    if where.reason_code is not None:
        stmt = stmt.where(r.reason_code == where.reason_code.value)
    if where.holder is not None:
        stmt = stmt.where(r.holder_id == lookup.account_id(session, where.holder, "holder"))
    rows, more = page_rows(session, stmt, page)
    return listing([retirement(x) for x in rows], page, more)


def cancellation_select() -> Select[Any]:
    """Cancellations with their batch, project and holder, in log order."""
    c = cancellations.c
    stmt = select(
        c.ledger_index,
        batches.c.denom.label("batch"),
        batches.c.project_id.label("project"),
        accounts.c.name.label("holder"),
        c.amount,
        c.kind,
        c.reason,
        c.cancelled_at,
        credit_types.c.precision,
    ).join(accounts, accounts.c.id == c.holder_id)
    return _with_batch(stmt, c.batch_id).order_by(c.ledger_index)


def cancellation(row: Row[Any]) -> dict[str, Any]:
    """A cancellation record as the API shows it."""
    return _final_record(row, "cancelled_at")


def cancellation_list(session: Session, where: CancellationFilter, page: Page) -> dict[str, Any]:
    """Cancellations by holders and buffer cancellations covering reversals, oldest first."""
    stmt = cancellation_select()
    if where.batch is not None:
        stmt = stmt.where(cancellations.c.batch_id == lookup.batch(session, where.batch).id)
    if where.kind is not None:
        stmt = stmt.where(cancellations.c.kind == where.kind)
    rows, more = page_rows(session, stmt, page)
    return listing([cancellation(x) for x in rows], page, more)


def holdings(session: Session, name: str, where: HoldingFilter, page: Page) -> dict[str, Any]:
    """What account ``name`` holds, per batch and state: the amount and the serial blocks."""
    owner = lookup.account_id(session, name, "name")
    b = blocks.c
    size = func.sum(b.last - b.first + 1)
    stmt = (
        select(b.batch_id, batches.c.denom, b.state, size.label("units"), credit_types.c.precision)
        .join(batches, batches.c.id == b.batch_id)
        .join(classes, classes.c.id == batches.c.class_id)
        .join(credit_types, credit_types.c.abbrev == classes.c.credit_type)
        .where(b.owner_id == owner)
        .group_by(b.batch_id, batches.c.denom, b.state, credit_types.c.precision)
        .order_by(b.batch_id, b.state)
    )
    if where.batch is not None:
        stmt = stmt.where(b.batch_id == lookup.batch(session, where.batch).id)
    if where.state is not None:
        stmt = stmt.where(b.state == where.state.value)
    groups, more = page_rows(session, stmt, page)
    spans = _spans(session, owner, groups)
    items = [
        {
            "batch": str(g.denom),
            "state": str(g.state),
            "amount": amounts.format_amount(int(g.units), int(g.precision)),
            "blocks": serials.pairs(spans[(int(g.batch_id), str(g.state))][:MAX_BLOCKS]),
            "more_blocks": len(spans[(int(g.batch_id), str(g.state))]) > MAX_BLOCKS,
        }
        for g in groups
    ]
    return {"account": name, **listing(items, page, more)}


MAX_BLOCKS = 1000  # blocks listed per holding; the amount always counts them all


def _spans(
    session: Session, owner: int, groups: Sequence[Row[Any]]
) -> dict[tuple[int, str], list[Span]]:
    """The owner's lowest blocks of each group (batch and state), one more than shown.

    A programme's account can hold a million blocks of one batch: each group is read from
    the owner's index with a limit, never whole.
    """
    b = blocks.c
    found: dict[tuple[int, str], list[Span]] = {}
    for g in groups:
        query = (
            select(b.first, b.last)
            .where(b.owner_id == owner, b.batch_id == g.batch_id, b.state == g.state)
            .order_by(b.first)
            .limit(MAX_BLOCKS + 1)
        )
        spans = [Span(int(first), int(last)) for first, last in session.execute(query)]
        found[(int(g.batch_id), str(g.state))] = spans
    return found


def serial_lookup(session: Session, batch: str, unit: int) -> dict[str, Any]:
    """What became of unit ``unit`` of ``batch``: its block and, if final, the record."""
    ref = lookup.batch(session, batch)
    b = blocks.c
    query = (
        select(b.first, b.last, b.state, b.op, accounts.c.name.label("owner"))
        .join(accounts, accounts.c.id == b.owner_id)
        .where(b.batch_id == ref.id, b.first <= unit)
        .order_by(b.first.desc())
        .limit(1)
    )
    row = session.execute(query).first()
    if row is None or int(row.last) < unit:
        issued = session.execute(select(batches.c.issued).where(batches.c.id == ref.id)).scalar()
        raise NotFound(
            f"batch {batch} has units 1 to {issued}; there is no unit {unit}", field="unit"
        )
    span = Span(int(row.first), int(row.last))
    found: dict[str, Any] = {
        "batch": batch,
        "unit": unit,
        "owner": str(row.owner),
        "state": str(row.state),
        "first": span.first,
        "last": span.last,
        "serial": serials.serial(batch, span),
        "retirement": None,
        "cancellation": None,
    }
    if row.state == BlockState.RETIRED and row.op is not None:
        record = session.execute(retirement_select().where(retirements.c.ledger_index == row.op))
        found["retirement"] = retirement(record.one())
    if row.state == BlockState.CANCELLED and row.op is not None:
        record = session.execute(
            cancellation_select().where(cancellations.c.ledger_index == row.op)
        )
        found["cancellation"] = cancellation(record.one())
    return found
