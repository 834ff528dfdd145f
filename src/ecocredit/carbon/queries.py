"""Reads of carbon accounting: organisations, inventory versions, reports and their records.

A submitted version's report is the one hashed into the log, read back as stored; a draft's
is computed on request. Year-on-year change compares with the previous year's latest
submitted version.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecocredit.carbon import inventory, store
from ecocredit.carbon.tables import facilities, inventories, organisations, records
from ecocredit.errors import NotFound

SUBMITTED = "submitted"
CACHED_DRAFTS = 8  # draft reports kept per database connection


def organisation_list(session: Session) -> list[dict[str, Any]]:
    """Every organisation with its facility count and latest submitted year."""
    count = (
        select(facilities.c.organisation, func.count().label("facilities"))
        .group_by(facilities.c.organisation)
        .subquery()
    )
    latest = (
        select(inventories.c.organisation, func.max(inventories.c.year).label("latest_year"))
        .where(inventories.c.status == SUBMITTED)
        .group_by(inventories.c.organisation)
        .subquery()
    )
    query = (
        select(organisations, count.c.facilities, latest.c.latest_year)
        .outerjoin(count, count.c.organisation == organisations.c.code)
        .outerjoin(latest, latest.c.organisation == organisations.c.code)
        .order_by(organisations.c.code)
    )
    return [
        {
            "organisation": row["code"],
            "name": row["name"],
            "account": row["account"],
            "industry": row["industry"],
            "facilities": row["facilities"] or 0,
            "latest_year": row["latest_year"],
        }
        for row in session.execute(query).mappings()
    ]


def organisation(session: Session, code: str) -> dict[str, Any]:
    """An organisation, its facilities and every inventory version."""
    row = session.execute(select(organisations).where(organisations.c.code == code)).mappings()
    found = row.first()
    if found is None:
        raise NotFound(f"no organisation {code!r}", field="organisation")
    sites = session.execute(
        select(facilities.c.code, facilities.c.name, facilities.c.province)
        .where(facilities.c.organisation == code)
        .order_by(facilities.c.code)
    ).all()
    return {
        "organisation": code, "name": found["name"], "account": found["account"],
        "industry": found["industry"],
        "facilities": [{"facility": c, "name": n, "province": p} for c, n, p in sites],
        "inventories": versions(session, code),
    }  # fmt: skip


def versions(session: Session, code: str, year: int | None = None) -> list[dict[str, Any]]:
    """Inventory versions of an organisation (of one year, if given), newest first."""
    counted = (
        select(records.c.inventory_id, func.count().label("records"))
        .group_by(records.c.inventory_id)
        .subquery()
    )
    query = (
        select(inventories, counted.c.records)
        .outerjoin(counted, counted.c.inventory_id == inventories.c.id)
        .where(inventories.c.organisation == code)
        .order_by(inventories.c.year.desc(), inventories.c.version.desc())
    )
    if year is not None:
        query = query.where(inventories.c.year == year)
    return [_version(dict(row)) for row in session.execute(query).mappings()]


def _version(row: Mapping[str, Any]) -> dict[str, Any]:
    totals = json.loads(row["summary"])["summary"]["totals_t"] if row["summary"] else None
    submitted = row["submitted_at"]
    return {
        "year": row["year"], "version": row["version"], "status": row["status"],
        "reason": row["reason"], "records": row["records"] or 0, "gwp_set": row["gwp"],
        "sha256": row["sha256"], "ledger_index": row["ledger_index"],
        "submitted_at": submitted.isoformat() if submitted else None, "totals_t": totals,
    }  # fmt: skip


def version_row(
    session: Session, code: str, year: int, version: int | None = None
) -> dict[str, Any]:
    """One version's row: the given one, else the latest submitted, else the draft."""
    query = select(inventories).where(
        inventories.c.organisation == code, inventories.c.year == year
    )
    if version is not None:
        query = query.where(inventories.c.version == version)
    rows = [dict(r) for r in session.execute(query).mappings()]
    if not rows:
        which = f"version {version} of " if version is not None else ""
        raise NotFound(f"no inventory {which}{code} {year}", field="version")
    rows.sort(key=lambda r: (r["status"] == SUBMITTED, r["version"]))
    return rows[-1]


def report(session: Session, code: str, year: int, version: int | None = None) -> dict[str, Any]:
    """A version's report, with the year-on-year change and the list of versions."""
    row = version_row(session, code, year, version)
    if row["status"] == SUBMITTED:
        found = json.loads(row["summary"])
        found["status"] = SUBMITTED
        found["ledger_index"] = row["ledger_index"]
        found["submitted_at"] = row["submitted_at"].isoformat()
    else:
        found = copy.deepcopy(_draft_report(session, row))
    found["year_on_year"] = year_on_year(session, code, year, found["summary"]["totals_t"])
    found["versions"] = versions(session, code, year)
    found["name"] = organisation(session, code)["name"]
    return dict(found)


def _draft_report(session: Session, row: Mapping[str, Any]) -> dict[str, Any]:
    """A draft's report, computed once per revision of the draft.

    Kept on the database connection (``Connection.info``), so a draft of a million records
    read again and again is computed once, not at every request.
    """
    key = ("carbon.draft", row["id"], row["revision"])
    cache = session.connection().info.setdefault("carbon.drafts", {})
    if key not in cache:
        if len(cache) >= CACHED_DRAFTS:
            cache.pop(next(iter(cache)))
        cache[key] = inventory.build_report(session, row, pinned=None, as_of=None)
    report: dict[str, Any] = cache[key]
    return report


def year_on_year(
    session: Session, code: str, year: int, totals: Mapping[str, str]
) -> dict[str, Any] | None:
    """Change against the previous year's latest submitted version, if there is one."""
    previous = [v for v in versions(session, code, year - 1) if v["status"] == SUBMITTED]
    if not previous:
        return None
    before = previous[0]["totals_t"]
    change: dict[str, Any] = {"year": year - 1, "version": previous[0]["version"]}
    for key in ("scope1", "scope2_location", "scope2_market", "scope3", "total_location",
                "total_market"):  # fmt: skip
        old, new = float(before[key]), float(totals[key])
        change[key] = {
            "previous_t": before[key],
            "change_t": f"{new - old:.3f}",
            "change_percent": f"{(new - old) / old * 100:.2f}" if old else None,
        }
    return change


def records_with_results(
    session: Session, code: str, year: int, version: int | None = None
) -> pl.DataFrame:
    """A version's records with their factors and emissions, for the CSV report."""
    row = version_row(session, code, year, version)
    stored = json.loads(row["summary"]) if row["summary"] else None
    pinned = stored["choices"] if stored else None
    as_of = dt.date.fromisoformat(stored["as_of"]) if stored and stored["as_of"] else None
    _, computed, _, _ = inventory.computed_version(session, row, pinned, as_of)
    gases = [f"kg_{gas}" for gas in computed.gases]
    return computed.records.select(
        *inventory.RECORD_COLUMNS, "location_factor", "market_factor", *gases,
        "kg_co2e_location", "kg_co2e_market",
    )  # fmt: skip


def records_frame(session: Session, code: str, year: int, version: int | None = None) -> bytes:
    """A version's records as the CSV its ``records_sha256`` is taken of."""
    row = version_row(session, code, year, version)
    return inventory.records_csv(store.load(session, row["id"]))
