"""Create a project under a class (its issuers) and change a project's status."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal, Role
from ecocredit.errors import AlreadyIssued, InvalidParameter
from ecocredit.ledger import events
from ecocredit.registry import ids, lookup
from ecocredit.registry.model import ProjectStatus
from ecocredit.registry.ops.common import append, begin
from ecocredit.registry.tables import projects


def check_status(status: str) -> ProjectStatus:
    """The project status called ``status``, or the list of them."""
    try:
        return ProjectStatus(status)
    except ValueError:
        names = ", ".join(s.value for s in ProjectStatus)
        raise InvalidParameter(
            f"status {status!r} is not one of: {names}", field="status"
        ) from None


def create_project(
    session: Session,
    caller: Principal,
    class_id: str,
    name: str,
    admin: str,
    jurisdiction: str,
    location: str,
    reference_id: str = "",
    status: str = ProjectStatus.LISTED,
) -> dict[str, Any]:
    """Create the next project of a class (``C01-001`` …); ``admin`` is its developer."""
    ids.check_text(name, "name", required=True, limit=200)
    ids.check_jurisdiction(jurisdiction)
    ids.check_text(location, "location", required=True, limit=200)
    reference = ids.check_text(reference_id, "reference_id", required=False, limit=32)
    state = check_status(status)
    _, now = begin(session)
    lookup.class_row(session, class_id)
    lookup.require_class_issuer(session, class_id, caller, "create its projects")
    admin_id = lookup.account_with_role(session, admin, Role.PROJECT_ADMIN, "admin")
    if reference:
        clash = select(projects.c.id).where(
            projects.c.class_id == class_id, projects.c.reference_id == reference
        )
        existing = session.execute(clash).scalar()
        if existing is not None:
            raise AlreadyIssued(
                f"class {class_id} already has project {existing} with reference {reference!r}",
                field="reference_id",
            )
    count = session.execute(
        select(func.count()).select_from(projects).where(projects.c.class_id == class_id)
    ).scalar_one()
    project = ids.project_id(class_id, int(count) + 1)
    session.execute(
        insert(projects).values(
            id=project,
            class_id=class_id,
            name=name.strip(),
            admin_id=admin_id,
            jurisdiction=jurisdiction,
            location=location.strip(),
            reference_id=reference or None,
            status=state.value,
            created_at=now,
        )
    )
    data = {
        "project": project,
        "class_id": class_id,
        "name": name.strip(),
        "admin": admin,
        "jurisdiction": jurisdiction,
        "location": location.strip(),
        "reference_id": reference,
        "status": state.value,
    }
    index = append(session, events.PROJECT_CREATED, caller.name, data, now)
    return {**data, "ledger_index": index}


def set_project_status(
    session: Session, caller: Principal, project: str, status: str, reason: str
) -> dict[str, Any]:
    """Change a project's status; an issuer of its class or the registry admin may."""
    state = check_status(status)
    text = ids.check_text(reason, "reason", required=True)
    _, now = begin(session)
    row = lookup.project_row(session, project)
    if not caller.has(Role.ADMIN):
        lookup.require_class_issuer(
            session, str(row["class_id"]), caller, "change its projects' status"
        )
    if row["status"] == ProjectStatus.TERMINATED:
        raise InvalidParameter(f"project {project} is terminated for good", field="status")
    session.execute(update(projects).where(projects.c.id == project).values(status=state.value))
    data = {"project": project, "status": state.value, "reason": text}
    index = append(session, events.PROJECT_STATUS_SET, caller.name, data, now)
    return {**data, "ledger_index": index}
