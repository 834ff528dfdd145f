"""What every air-quality write shares: the log head, the log entry and the caller's role."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Principal, Role
from ecocredit.errors import PermissionDenied
from ecocredit.ledger import events, store
from ecocredit.ledger.events import EventType


def require_monitor(session: Session, actor: Principal) -> None:
    """Only a monitoring operator (or the admin) changes stations and data.

    The roles are read again in the write's own transaction: a role taken away after the
    caller authenticated no longer counts.
    """
    current = accounts.principal(session, actor.name)
    if not (current.has(Role.MONITOR) or current.has(Role.ADMIN)):
        raise PermissionDenied(
            f"account {actor.name!r} may not change air-quality data: it needs the role "
            f"'monitor' (it has {current.describe_roles()})"
        )


def begin(session: Session) -> datetime:
    """Queue behind the log's other writers and return the time of this write."""
    store.read_head(session, lock=True)
    return datetime.now(UTC)


def append(
    session: Session, event: EventType, actor: str, data: Mapping[str, Any], moment: datetime
) -> int:
    """Append one event in the caller's transaction; return its index."""
    return store.append(session, [events.encode(event, actor, data, moment)])
