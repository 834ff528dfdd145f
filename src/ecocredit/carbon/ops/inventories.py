"""Fill a draft inventory with records, submit it into the log, and correct it by a new version.

A year's first records open version 1 as a draft. Submitting computes it, hashes it into the
log and freezes it. A correction opens the next version as a copy of the last, with its
reason; it is filled and submitted like the first, and every version stays readable.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import polars as pl
from sqlalchemy import BigInteger, delete, insert, literal, select, update
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.carbon import catalog, checks, inventory, store
from ecocredit.carbon.model import Intensity
from ecocredit.carbon.ops.common import lock_log, require_organisation
from ecocredit.carbon.tables import inventories, records
from ecocredit.errors import Conflict, InvalidParameter, NotFound
from ecocredit.ledger import service as ledger
from ecocredit.ledger.events import (
    CARBON_CORRECTION_OPENED,
    CARBON_INVENTORY_SUBMITTED,
    CARBON_OPTIONS_SET,
    CARBON_RECORDS_IMPORTED,
)
from ecocredit.text import check_text

CHINA = timezone(timedelta(hours=8))
DRAFT = "draft"
SUBMITTED = "submitted"


@dataclass(frozen=True)
class Imported:
    """What an import did."""

    organisation: str
    year: int
    version: int
    records: int
    total_records: int


def _latest(session: Session, organisation: str, year: int) -> dict[str, Any] | None:
    row = (
        session.execute(
            select(inventories)
            .where(inventories.c.organisation == organisation, inventories.c.year == year)
            .order_by(inventories.c.version.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _draft(session: Session, organisation: str, year: int) -> dict[str, Any]:
    """The year's draft, opening version 1 when the year has none."""
    latest = _latest(session, organisation, year)
    if latest is None:
        row = {
            "organisation": organisation, "year": year, "version": 1, "status": DRAFT,
            "gwp": catalog.defaults()["gwp"], "reason": "first version", "revision": 0,
            "created_at": datetime.now(UTC),
        }  # fmt: skip
        session.execute(insert(inventories).values(**row))
        latest = _latest(session, organisation, year)
        assert latest is not None
    if latest["status"] != DRAFT:
        raise Conflict(
            f"{organisation} {year} version {latest['version']} is submitted and frozen; "
            "start a correction (a new version) to change it",
            field="year",
        )
    return latest


def _check_against_draft(
    session: Session, draft: dict[str, Any], frame: pl.DataFrame, name: str
) -> None:
    """The new records may not overlap the draft's own records of the same stream."""
    existing = store.load(session, draft["id"])
    if existing.height == 0:
        return
    combined = pl.concat(
        [
            existing.with_columns(pl.format("record {} of the draft", "line").alias("where")),
            frame.with_columns(pl.format("{}, line {}", pl.lit(name), "line").alias("where")),
        ]
    )
    checks.check_overlaps(combined, name)


def import_records(
    session: Session,
    organisation: str,
    year: int,
    frame: pl.DataFrame,
    source: tuple[str, str],
    actor: Principal,
    *,
    replace: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Imported:
    """Add checked records (see :mod:`ecocredit.carbon.records`) to the year's draft.

    ``progress`` hears how many records each written chunk held.
    """
    name, sha256 = source
    lock_log(session)
    require_organisation(session, organisation, actor)
    draft = _draft(session, organisation, year)
    facilities = store.facilities_of(session, organisation)
    checks.check_facilities(frame, facilities, name)
    checks.check_energy_units(frame, name)
    checks.check_overlaps(frame, name)
    named = frame.get_column("factor_id").drop_nulls().unique().to_list()
    inventory.compute_frame(  # fails on an unknown factor or a unit that cannot convert
        frame, store.all_factors(session, named), facilities, _options(draft), name
    )
    if replace:
        session.execute(delete(records).where(records.c.inventory_id == draft["id"]))
    else:
        _check_against_draft(session, draft, frame, name)
    first = store.last_number(session, draft["id"]) + 1
    store.insert(session, draft["id"], frame, first, progress)
    _touch(session, draft["id"])
    data = {
        "organisation": organisation, "year": year, "version": draft["version"], "name": name,
        "sha256": sha256, "records": frame.height, "replaced": replace,
    }  # fmt: skip
    ledger.record(session, CARBON_RECORDS_IMPORTED, actor.name, data)
    total = first - 1 + frame.height
    return Imported(organisation, year, draft["version"], frame.height, total)


def _touch(session: Session, inventory_id: int) -> None:
    """Count a change of a draft, so that reports computed before it are not reused."""
    session.execute(
        update(inventories)
        .where(inventories.c.id == inventory_id)
        .values(revision=inventories.c.revision + 1)
    )


def _options(row: dict[str, Any]) -> inventory.ReportOptions:
    return inventory.ReportOptions(
        year=row["year"],
        gwp=row["gwp"],
        series=row["series"],
        intensity=Intensity(row["output_quantity"], row["output_unit"], row["revenue_wan_cny"]),
    )


def set_options(
    session: Session,
    organisation: str,
    year: int,
    options: inventory.ReportOptions,
    actor: Principal,
) -> None:
    """Choose the draft's GWP set, preferred series, output and revenue."""
    inventory.check_options(options)
    lock_log(session)
    require_organisation(session, organisation, actor)
    draft = _draft(session, organisation, year)
    intensity = options.intensity
    data = {
        "organisation": organisation, "year": year, "version": draft["version"],
        "gwp": options.gwp, "series": options.series or "",
        "output_quantity": float(intensity.output_quantity or 0.0),
        "output_unit": intensity.output_unit or "",
        "revenue_wan_cny": float(intensity.revenue_wan_cny or 0.0),
    }  # fmt: skip
    ledger.record(session, CARBON_OPTIONS_SET, actor.name, data)
    session.execute(
        update(inventories)
        .where(inventories.c.id == draft["id"])
        .values(
            gwp=options.gwp,
            series=options.series,
            output_quantity=options.intensity.output_quantity,
            output_unit=options.intensity.output_unit,
            revenue_wan_cny=options.intensity.revenue_wan_cny,
            revision=inventories.c.revision + 1,
        )
    )


def submit(session: Session, organisation: str, year: int, actor: Principal) -> dict[str, Any]:
    """Compute the draft, freeze it and hash it into the log; return its report."""
    lock_log(session)
    require_organisation(session, organisation, actor)
    latest = _latest(session, organisation, year)
    if latest is None:
        raise NotFound(f"{organisation} has no inventory for {year}", field="year")
    if latest["status"] != DRAFT:
        raise Conflict(f"version {latest['version']} is already submitted", field="year")
    moment = datetime.now(UTC)
    # Factors are published on Beijing dates: a notice of today counts from 00:00 UTC+8.
    local_day = moment.astimezone(CHINA).date()
    report = inventory.build_report(session, latest, pinned=None, as_of=local_day)
    if report["summary"]["records"] == 0:
        raise InvalidParameter("the draft has no records to submit", field="year")
    totals = report["summary"]["totals_t"]
    data = {
        "organisation": organisation, "year": year, "version": latest["version"],
        "reason": latest["reason"], "records": report["summary"]["records"],
        "records_sha256": report["records_sha256"], "sha256": report["sha256"],
        "gwp": latest["gwp"], "totals": totals, "factors": report["factors_used"],
    }  # fmt: skip
    index = ledger.record(session, CARBON_INVENTORY_SUBMITTED, actor.name, data)
    session.execute(
        update(inventories)
        .where(inventories.c.id == latest["id"])
        .values(
            status=SUBMITTED, records_sha256=report["records_sha256"], sha256=report["sha256"],
            summary=json.dumps(report, ensure_ascii=False), ledger_index=index,
            submitted_at=moment,
        )
    )  # fmt: skip
    return report | {"ledger_index": index}


def correct(session: Session, organisation: str, year: int, reason: str, actor: Principal) -> int:
    """Open the next version as a copy of the submitted one; return its number."""
    reason = check_text(reason, "reason", 500)
    lock_log(session)
    require_organisation(session, organisation, actor)
    latest = _latest(session, organisation, year)
    if latest is None or latest["status"] != SUBMITTED:
        raise Conflict(f"{organisation} {year} has no submitted version to correct", field="year")
    keep = ("gwp", "series", "output_quantity", "output_unit", "revenue_wan_cny")
    row = {k: latest[k] for k in keep} | {
        "organisation": organisation, "year": year, "version": latest["version"] + 1,
        "status": DRAFT, "reason": reason, "revision": 0, "created_at": datetime.now(UTC),
    }  # fmt: skip
    session.execute(insert(inventories).values(**row))
    created = _latest(session, organisation, year)
    assert created is not None
    columns = [c for c in records.c if c.name != "inventory_id"]
    copy = select(literal(created["id"], BigInteger()), *columns).where(
        records.c.inventory_id == latest["id"]
    )
    session.execute(insert(records).from_select(["inventory_id", *[c.name for c in columns]], copy))
    data = {"organisation": organisation, "year": year, "version": row["version"], "reason": reason}
    ledger.record(session, CARBON_CORRECTION_OPENED, actor.name, data)
    return int(row["version"])
