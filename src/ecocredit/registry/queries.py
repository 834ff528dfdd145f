"""Reads of the registry's catalogue: credit types, classes, projects and batches with supply.

Every function takes a read session and a filter from :mod:`.filters` and returns JSON-ready
dicts: amounts as decimal strings of the credit type's precision, times as UTC ISO strings.
A list is ``{"items", "limit", "offset", "more"}``; ``more`` says whether a next page exists.
An id that does not exist, in a path or in a filter, is :class:`NotFound` naming the field, so
that a typo is never mistaken for an empty result.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Row, Select, func, or_, select
from sqlalchemy.orm import Session

from ecocredit.accounts.tables import accounts
from ecocredit.errors import NotFound
from ecocredit.registry import amounts, ids, lookup
from ecocredit.registry.filters import BatchFilter, ClassFilter, NoFilter, Page, ProjectFilter
from ecocredit.registry.tables import (
    batches,
    blocks,
    class_issuers,
    classes,
    credit_types,
    projects,
)

SUPPLY = ("issued", "tradable", "retired", "cancelled", "buffer")


def iso_time(value: datetime) -> str:
    """A stored time as an ISO string in UTC (SQLite hands times back without a zone)."""
    moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")


def iso_date(value: date | str) -> str:
    """A stored date as YYYY-MM-DD."""
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def page_rows(session: Session, stmt: Select[Any], page: Page) -> tuple[list[Row[Any]], bool]:
    """The rows of one page, and whether more follow (one row past the page tells)."""
    rows = session.execute(stmt.limit(page.limit + 1).offset(page.offset)).all()
    return list(rows[: page.limit]), len(rows) > page.limit


def listing(items: list[dict[str, Any]], page: Page, more: bool) -> dict[str, Any]:
    """A list response."""
    return {"items": items, "limit": page.limit, "offset": page.offset, "more": more}


def credit_type_list(session: Session, _filter: NoFilter, page: Page) -> dict[str, Any]:
    """The credit types, by abbreviation."""
    c = credit_types.c
    stmt = select(c.abbrev, c.name, c.unit, c.precision).order_by(c.abbrev)
    rows, more = page_rows(session, stmt, page)
    return listing([dict(r._mapping) for r in rows], page, more)


def _check_credit_type(session: Session, abbrev: str) -> None:
    query = select(credit_types.c.abbrev).where(credit_types.c.abbrev == abbrev)
    if session.execute(query).first() is None:
        raise NotFound(f"no credit type {abbrev}", field="credit_type")


def _class_select() -> Select[Any]:
    c = classes.c
    return (
        select(
            c.id.label("class_id"),
            c.credit_type,
            c.name,
            c.methodology,
            c.methodology_version,
            accounts.c.name.label("admin"),
            c.created_at,
        )
        .join(accounts, accounts.c.id == c.admin_id)
        .order_by(c.id)
    )


def _issuers(session: Session, class_ids: Sequence[str]) -> dict[str, list[str]]:
    if not class_ids:
        return {}
    query = (
        select(class_issuers.c.class_id, accounts.c.name)
        .join(accounts, accounts.c.id == class_issuers.c.account_id)
        .where(class_issuers.c.class_id.in_(class_ids))
        .order_by(accounts.c.name)
    )
    found: dict[str, list[str]] = {i: [] for i in class_ids}
    for class_id, name in session.execute(query):
        found[str(class_id)].append(str(name))
    return found


def _classes(session: Session, rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    issuers = _issuers(session, [str(r.class_id) for r in rows])
    return [
        {**r._mapping, "created_at": iso_time(r.created_at), "issuers": issuers[r.class_id]}
        for r in rows
    ]


def class_list(session: Session, where: ClassFilter, page: Page) -> dict[str, Any]:
    """Credit classes with their methodology, admin and issuers."""
    stmt = _class_select()
    if where.credit_type is not None:
        _check_credit_type(session, where.credit_type)
        stmt = stmt.where(classes.c.credit_type == where.credit_type)
    rows, more = page_rows(session, stmt, page)
    return listing(_classes(session, rows), page, more)


def class_detail(session: Session, class_id: str) -> dict[str, Any]:
    """One class, or :class:`NotFound` naming ``class_id``."""
    ids.check(ids.CLASS, class_id, "class_id", "C01")
    rows = session.execute(_class_select().where(classes.c.id == class_id)).all()
    if not rows:
        raise NotFound(f"no class {class_id}", field="class_id")
    return _classes(session, rows)[0]


def _project_select() -> Select[Any]:
    p = projects.c
    return (
        select(
            p.id.label("project"),
            p.class_id,
            p.name,
            accounts.c.name.label("admin"),
            p.jurisdiction,
            p.location,
            p.reference_id,
            p.status,
            p.created_at,
        )
        .join(accounts, accounts.c.id == p.admin_id)
        .order_by(p.id)
    )


def _project(row: Row[Any]) -> dict[str, Any]:
    return {
        **row._mapping,
        "reference_id": row.reference_id or "",
        "created_at": iso_time(row.created_at),
    }


def project_list(session: Session, where: ProjectFilter, page: Page) -> dict[str, Any]:
    """Projects with their developer (admin), jurisdiction, location, reference and status."""
    p = projects.c
    stmt = _project_select()
    if where.class_id is not None:
        lookup.class_row(session, where.class_id)
        stmt = stmt.where(p.class_id == where.class_id)
    if where.jurisdiction is not None:
        # A place includes its subdivisions and postal areas: CN holds CN-NM, CN-GD 518000.
        inside = where.jurisdiction
        stmt = stmt.where(
            or_(
                p.jurisdiction == inside,
                p.jurisdiction.startswith(inside + "-", autoescape=True),
                p.jurisdiction.startswith(inside + " ", autoescape=True),
            )
        )
    if where.status is not None:
        stmt = stmt.where(p.status == where.status.value)
    rows, more = page_rows(session, stmt, page)
    return listing([_project(r) for r in rows], page, more)


def project_detail(session: Session, project: str) -> dict[str, Any]:
    """One project, or :class:`NotFound` naming ``project``."""
    ids.check(ids.PROJECT, project, "project", "C01-001")
    row = session.execute(_project_select().where(projects.c.id == project)).first()
    if row is None:
        raise NotFound(f"no project {project}", field="project")
    return _project(row)


def _batch_select() -> Select[Any]:
    b = batches.c
    return (
        select(
            b.id,
            b.denom.label("batch"),
            b.project_id.label("project"),
            b.class_id,
            classes.c.credit_type,
            accounts.c.name.label("issuer"),
            b.report_id.label("report"),
            b.vintage_start,
            b.vintage_end,
            b.reference,
            *(b[name] for name in SUPPLY),
            b.issued_at,
            b.ledger_index,
            credit_types.c.precision,
        )
        .join(classes, classes.c.id == b.class_id)
        .join(credit_types, credit_types.c.abbrev == classes.c.credit_type)
        .join(accounts, accounts.c.id == b.issuer_id)
        .order_by(b.id)
    )


def _batch(row: Row[Any]) -> dict[str, Any]:
    out = {k: v for k, v in row._mapping.items() if k not in ("id", "precision")}
    for name in SUPPLY:
        out[name] = amounts.format_amount(int(row._mapping[name]), int(row.precision))
    out["vintage_start"] = iso_date(row.vintage_start)
    out["vintage_end"] = iso_date(row.vintage_end)
    out["reference"] = row.reference or ""
    out["issued_at"] = iso_time(row.issued_at)
    return out


def batch_list(session: Session, where: BatchFilter, page: Page) -> dict[str, Any]:
    """Batches in order of issue, with vintage, report, issuer and supply by state."""
    b = batches.c
    stmt = _batch_select()
    if where.class_id is not None:
        lookup.class_row(session, where.class_id)
        stmt = stmt.where(b.class_id == where.class_id)
    if where.project is not None:
        lookup.project_row(session, where.project)
        stmt = stmt.where(b.project_id == where.project)
    if where.vintage_from is not None:
        stmt = stmt.where(b.vintage_start >= where.vintage_from)
    if where.vintage_to is not None:
        stmt = stmt.where(b.vintage_end <= where.vintage_to)
    rows, more = page_rows(session, stmt, page)
    return listing([_batch(r) for r in rows], page, more)


def batch_detail(session: Session, batch: str) -> dict[str, Any]:
    """One batch with its supply and how many serial blocks it is held in."""
    ref = lookup.batch(session, batch)
    row = session.execute(_batch_select().where(batches.c.id == ref.id)).one()
    count = session.execute(
        select(func.count()).select_from(blocks).where(blocks.c.batch_id == ref.id)
    ).scalar_one()
    return {**_batch(row), "blocks": int(count)}
