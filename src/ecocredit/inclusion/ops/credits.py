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
from array import array
from decimal import Decimal
from typing import Any

import rfc8785
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.errors import Conflict, InvalidParameter, NotFound
from ecocredit.inclusion.decisions import Outcome
from ecocredit.inclusion.ops import bulk_load
from ecocredit.inclusion.ops.actions import CHINA, check_day
from ecocredit.inclusion.ops.programmes import require_operator
from ecocredit.inclusion.tables import actions, programmes
from ecocredit.ledger import store
from ecocredit.registry import service as registry
from ecocredit.registry.tables import reports

GRAMS_PER_TONNE = 1_000_000  # a credit is one tonne CO2e; its smallest unit is one gram


MARK_CHUNK = 500  # action ids per UPDATE when a batch marks what it counted


def _period(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    check_day(start, "start")
    check_day(end, "end")
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


def _creditable(session: Session, programme: str) -> None:
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


def _document(session: Session, programme: str, start: dt.date, end: dt.date
              ) -> tuple[dict[str, Any], array[int]]:  # fmt: skip
    """The document and the ids of the actions it counts, from one reading of the rows.

    The listing, the totals and the ids come from the same rows, so what a batch marks is
    exactly what its document hashed and totalled.
    """
    _creditable(session, programme)
    counted = _counted(programme, start, end)
    listing = hashlib.sha256()
    ids: array[int] = array("q")  # eight bytes an action: a long period stays small
    totals: dict[tuple[str, str], list[int]] = {}
    query = (
        select(actions.c.id, actions.c.grams_co2e, actions.c.methodology, actions.c.version)
        .where(counted)
        .order_by(actions.c.id)
        .execution_options(yield_per=10_000)
    )
    for action_id, grams, method, version in session.execute(query):
        listing.update(f"{action_id},{grams}\n".encode())
        ids.append(int(action_id))
        total = totals.setdefault((method, version), [0, 0])
        total[0], total[1] = total[0] + 1, total[1] + int(grams)
    by_method = sorted(totals.items())
    grams_total = sum(g for _, (_, g) in by_method)
    document: dict[str, Any] = {
        "programme": programme, "period_start": start.isoformat(), "period_end": end.isoformat(),
        "actions": len(ids), "grams_co2e": grams_total,
        "tonnes": str(Decimal(grams_total) / GRAMS_PER_TONNE),
        "by_methodology": [
            {"methodology": m, "version": v, "actions": n, "grams_co2e": g}
            for (m, v), (n, g) in by_method
        ],
        "actions_sha256": listing.hexdigest(),
    }  # fmt: skip
    return document | {"sha256": hashlib.sha256(rfc8785.dumps(document)).hexdigest()}, ids


def aggregate(session: Session, programme: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The verification document of a programme's uncredited reductions in a period."""
    return _document(session, programme, start, end)[0]


def issue_credits(
    session: Session, programme: str, start: dt.date, end: dt.date, report: str,
    actor: Principal,
) -> dict[str, Any]:  # fmt: skip
    """Issue the report's batch to the operator and mark the actions it counts; one transaction.

    The log's lock is taken before the period's actions are read: no action can be written
    between the reading and the marking, and two issues of one report queue, the second
    finding the actions already counted.
    """
    _period(start, end)  # a bad period is refused before the lock is taken
    store.read_head(session, lock=True)
    bulk_load.refuse_while_loading(session)
    operator = require_operator(session, actor, programme)
    document, ids = _document(session, programme, start, end)
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
    for lo in range(0, len(ids), MARK_CHUNK):
        chunk = ids[lo : lo + MARK_CHUNK].tolist()
        marked: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(actions)
            .where(actions.c.id.in_(chunk), actions.c.batch.is_(None))
            .values(batch=result["batch"])
        )  # fmt: skip
        if marked.rowcount != len(chunk):  # cannot happen behind the lock; never mark half
            raise Conflict("the period's reductions changed while issuing", field="report")
    return result | {"document": document}


def document_json(document: dict[str, Any]) -> str:
    """The document as the verifier receives it (its hash is of this without ``sha256``)."""
    return json.dumps(document, ensure_ascii=False, indent=2)
