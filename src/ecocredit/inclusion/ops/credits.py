"""A programme's reductions of a period become one verification document, then one batch.

Only programmes whose participants assigned their reductions to the operator may credit
them. ``aggregate`` reads the period's accepted, uncredited actions and gives the document a
verifier checks: totals by methodology and the SHA-256 of the action list. The verifier files
a registry report of that total against that hash; ``issue_credits`` then issues the batch
through :mod:`ecocredit.registry.service` and marks every action it counted with the batch,
in the same transaction: a reduction backs one batch at most, and never two.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

import rfc8785
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.errors import Conflict, InvalidParameter, NotFound
from ecocredit.inclusion.decisions import Outcome
from ecocredit.inclusion.ops.actions import CHINA
from ecocredit.inclusion.ops.programmes import require_operator
from ecocredit.inclusion.tables import actions, programmes
from ecocredit.registry import service as registry
from ecocredit.registry.tables import reports

GRAMS_PER_TONNE = 1_000_000  # a credit is one tonne CO2e; its smallest unit is one gram


def _period(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if end < start:
        raise InvalidParameter("the period ends before it starts", field="period_end")
    first = dt.datetime.combine(start, dt.time(), CHINA).astimezone(dt.UTC)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), CHINA)
    return first, after.astimezone(dt.UTC)  # stored times are UTC (SQLite keeps no offset)


def _counted(programme: str, start: dt.date, end: dt.date) -> Any:
    first, after = _period(start, end)
    return (
        (actions.c.programme == programme)
        & (actions.c.status == Outcome.ACCEPTED.value)
        & actions.c.batch.is_(None)
        & (actions.c.at >= first)
        & (actions.c.at < after)
    )


def aggregate(session: Session, programme: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The verification document of a programme's uncredited reductions in a period."""
    row = session.execute(select(programmes).where(programmes.c.code == programme)).mappings()
    found = row.first()
    if found is None:
        raise NotFound(f"no programme {programme!r}", field="programme")
    if found["ownership"] != "operator":
        raise Conflict(
            f"the participants of {programme!r} own its reductions: they earn points and are "
            "never credited",
            field="programme",
        )
    counted = _counted(programme, start, end)
    listing = hashlib.sha256()
    query = select(actions.c.id, actions.c.grams_co2e).where(counted).order_by(actions.c.id)
    for action_id, grams in session.execute(query):
        listing.update(f"{action_id},{grams}\n".encode())
    method, version = actions.c.methodology, actions.c.version
    by_method = session.execute(
        select(method, version, func.count(), func.sum(actions.c.grams_co2e))
        .where(counted)
        .group_by(actions.c.methodology, actions.c.version)
        .order_by(actions.c.methodology, actions.c.version)
    ).all()  # fmt: skip
    grams = sum(int(g or 0) for *_, g in by_method)
    document = {
        "programme": programme, "period_start": start.isoformat(), "period_end": end.isoformat(),
        "actions": sum(int(n) for _, _, n, _ in by_method), "grams_co2e": grams,
        "tonnes": str(Decimal(grams) / GRAMS_PER_TONNE),
        "by_methodology": [
            {"methodology": m, "version": v, "actions": int(n), "grams_co2e": int(g or 0)}
            for m, v, n, g in by_method
        ],
        "actions_sha256": listing.hexdigest(),
    }  # fmt: skip
    return document | {"sha256": hashlib.sha256(rfc8785.dumps(document)).hexdigest()}


def issue_credits(
    session: Session, programme: str, start: dt.date, end: dt.date, report: str,
    actor: Principal,
) -> dict[str, Any]:  # fmt: skip
    """Issue the report's batch to the operator and mark the actions it counts; one transaction."""
    operator = require_operator(session, actor, programme)
    document = aggregate(session, programme, start, end)
    filed = session.execute(
        select(reports.c.document_sha256, reports.c.verified).where(reports.c.id == report)
    ).first()
    if filed is None:
        raise NotFound(f"no report {report!r}", field="report")
    if filed[0] != document["sha256"]:
        raise Conflict(
            "the report was filed against another document: the period's reductions changed "
            "since; aggregate again and have it verified",
            field="report",
        )
    if int(filed[1]) != document["grams_co2e"]:
        raise Conflict("the report's verified quantity is not the document's total", field="report")
    result = registry.issue(session, actor, report, [(operator, document["tonnes"])])
    counted = _counted(programme, start, end)
    session.execute(update(actions).where(counted).values(batch=result["batch"]))
    return result | {"document": document}


def document_json(document: dict[str, Any]) -> str:
    """The document as the verifier receives it (its hash is of this without ``sha256``)."""
    return json.dumps(document, ensure_ascii=False, indent=2)
