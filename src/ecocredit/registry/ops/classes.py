"""Create a credit class (the registry admin) and set its issuers (the class admin)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal, Role
from ecocredit.errors import InvalidParameter, NotFound, PermissionDenied
from ecocredit.ledger import events
from ecocredit.registry import ids, lookup
from ecocredit.registry.ops.common import append, begin
from ecocredit.registry.tables import class_issuers, classes, credit_types

MAX_ISSUERS = 100


def _issuer_ids(session: Session, issuers: Sequence[str]) -> list[tuple[str, int]]:
    if not isinstance(issuers, list | tuple) or not issuers:
        raise InvalidParameter("a class needs at least one issuer", field="issuers")
    if len(issuers) > MAX_ISSUERS:
        raise InvalidParameter(f"a class has at most {MAX_ISSUERS} issuers", field="issuers")
    if len(set(issuers)) != len(issuers):
        raise InvalidParameter("an issuer is listed twice", field="issuers")
    found = [
        (name, lookup.account_with_role(session, name, Role.CLASS_ISSUER, "issuers"))
        for name in issuers
    ]
    return sorted(found)


def create_class(
    session: Session,
    caller: Principal,
    credit_type: str,
    name: str,
    methodology: str,
    methodology_version: str,
    admin: str,
    issuers: Sequence[str],
) -> dict[str, Any]:
    """Create the next class of a credit type (``C01``, ``C02`` …)."""
    ids.check(ids.CREDIT_TYPE, credit_type, "credit_type", "C")
    ids.check_text(name, "name", required=True, limit=200)
    ids.check_text(methodology, "methodology", required=True, limit=100)
    ids.check_text(methodology_version, "methodology_version", required=True, limit=50)
    lookup.require_admin(caller, "create credit classes")
    _, now = begin(session)
    known = select(credit_types.c.abbrev).where(credit_types.c.abbrev == credit_type)
    if session.execute(known).first() is None:
        raise NotFound(f"no credit type {credit_type}", field="credit_type")
    admin_id = lookup.account_with_role(session, admin, Role.CLASS_ADMIN, "admin")
    members = _issuer_ids(session, issuers)
    count = session.execute(
        select(func.count()).select_from(classes).where(classes.c.credit_type == credit_type)
    ).scalar_one()
    class_id = ids.class_id(credit_type, int(count) + 1)
    session.execute(
        insert(classes).values(
            id=class_id,
            credit_type=credit_type,
            name=name.strip(),
            methodology=methodology.strip(),
            methodology_version=methodology_version.strip(),
            admin_id=admin_id,
            created_at=now,
        )
    )
    session.execute(
        insert(class_issuers), [{"class_id": class_id, "account_id": i} for _, i in members]
    )
    data = {
        "class_id": class_id,
        "credit_type": credit_type,
        "name": name.strip(),
        "methodology": methodology.strip(),
        "methodology_version": methodology_version.strip(),
        "admin": admin,
        "issuers": [n for n, _ in members],
    }
    index = append(session, events.CLASS_CREATED, caller.name, data, now)
    return {**data, "ledger_index": index}


def set_class_issuers(
    session: Session, caller: Principal, class_id: str, issuers: Sequence[str]
) -> dict[str, Any]:
    """Replace a class's issuers; only its admin (or the registry admin) may."""
    _, now = begin(session)
    row = lookup.class_row(session, class_id)
    is_class_admin = row["admin_id"] == caller.account_id and caller.has(Role.CLASS_ADMIN)
    if not is_class_admin and not caller.has(Role.ADMIN):
        raise PermissionDenied(f"only the admin of class {class_id} sets its issuers")
    members = _issuer_ids(session, issuers)
    session.execute(delete(class_issuers).where(class_issuers.c.class_id == class_id))
    session.execute(
        insert(class_issuers), [{"class_id": class_id, "account_id": i} for _, i in members]
    )
    data = {"class_id": class_id, "issuers": [n for n, _ in members]}
    index = append(session, events.CLASS_ISSUERS_SET, caller.name, data, now)
    return {**data, "ledger_index": index}
