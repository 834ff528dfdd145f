"""Add a credit type (the registry admin only): abbreviation, name, unit and precision."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.errors import Conflict, InvalidParameter
from ecocredit.ledger import events
from ecocredit.registry import ids, lookup
from ecocredit.registry.ops.common import append, begin
from ecocredit.registry.tables import credit_types

MAX_PRECISION = 9


def add_credit_type(
    session: Session, caller: Principal, abbrev: str, name: str, unit: str, precision: int
) -> dict[str, Any]:
    """Add a credit type such as ``C`` (tonnes of CO2e, precision 6)."""
    ids.check(ids.CREDIT_TYPE, abbrev, "abbrev", "1-3 capital letters such as C")
    ids.check_text(name, "name", required=True, limit=100)
    ids.check_text(unit, "unit", required=True, limit=50)
    if isinstance(precision, bool) or not isinstance(precision, int):
        raise InvalidParameter("precision must be a whole number", field="precision")
    if not 0 <= precision <= MAX_PRECISION:
        raise InvalidParameter(
            f"precision {precision} must be between 0 and {MAX_PRECISION}", field="precision"
        )
    lookup.require_admin(caller, "add credit types")
    _, now = begin(session)
    if session.execute(select(credit_types).where(credit_types.c.abbrev == abbrev)).first():
        raise Conflict(f"credit type {abbrev} exists already", field="abbrev")
    row = {"abbrev": abbrev, "name": name.strip(), "unit": unit.strip(), "precision": precision}
    session.execute(insert(credit_types).values(**row, created_at=now))
    index = append(session, events.CREDIT_TYPE_ADDED, caller.name, row, now)
    return {**row, "ledger_index": index}
