"""File a verification report (verifiers only): the period, the verified quantity, its hash.

The report document stays off the log; its SHA-256 on the log lets anyone holding the
document prove it is the one the credits were issued against.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal, Role
from ecocredit.errors import InvalidParameter, PermissionDenied
from ecocredit.ledger import events
from ecocredit.registry import amounts, ids, lookup
from ecocredit.registry.model import ProjectStatus
from ecocredit.registry.ops.common import append, begin
from ecocredit.registry.tables import classes, credit_types, reports

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def file_report(
    session: Session,
    caller: Principal,
    project: str,
    period_start: str,
    period_end: str,
    verified: str,
    document_sha256: str,
) -> dict[str, Any]:
    """File the next report of a project (``C01-001-R001`` …); ``verified`` is a decimal."""
    start, end = ids.check_period(period_start, period_end, ("period_start", "period_end"))
    if not isinstance(document_sha256, str) or not _SHA256.fullmatch(document_sha256):
        raise InvalidParameter(
            "document_sha256 must be 64 lowercase hex digits (the SHA-256 of the report)",
            field="document_sha256",
        )
    if not caller.has(Role.VERIFIER):
        raise PermissionDenied(
            f"only verifiers file reports; {caller.name} has {caller.describe_roles()}"
        )
    _, now = begin(session)
    row = lookup.project_row(session, project)
    if row["admin_id"] == caller.account_id:
        raise PermissionDenied(f"{caller.name} administers {project} and cannot verify it")
    if row["status"] == ProjectStatus.TERMINATED:
        raise InvalidParameter(f"project {project} is terminated", field="project")
    precision = session.execute(
        select(credit_types.c.precision)
        .join(classes, classes.c.credit_type == credit_types.c.abbrev)
        .where(classes.c.id == row["class_id"])
    ).scalar_one()
    units = amounts.parse_amount(verified, int(precision), "verified")
    count = session.execute(
        select(func.count()).select_from(reports).where(reports.c.project_id == project)
    ).scalar_one()
    report = ids.report_id(project, int(count) + 1)
    data = {
        "report": report,
        "project": project,
        "verifier": caller.name,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "verified": units,
        "document_sha256": document_sha256,
    }
    index = append(session, events.REPORT_FILED, caller.name, data, now)
    session.execute(
        insert(reports).values(
            id=report,
            project_id=project,
            verifier_id=caller.account_id,
            period_start=start,
            period_end=end,
            verified=units,
            document_sha256=document_sha256,
            filed_at=now,
            ledger_index=index,
        )
    )
    return {**data, "verified": amounts.format_amount(units, int(precision)), "ledger_index": index}
