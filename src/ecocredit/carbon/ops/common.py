"""What every carbon-accounting write shares: the caller's authority, the log head and entry."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Principal, Role
from ecocredit.carbon.tables import organisations
from ecocredit.errors import NotFound, PermissionDenied
from ecocredit.ledger import store


def require_reporter(session: Session, actor: Principal) -> Principal:
    """The actor as it stands in this transaction, if it is a reporter (or the admin).

    Roles are read again inside the write: a role taken away after the caller authenticated
    no longer counts.
    """
    current = accounts.principal(session, actor.name)
    if not (current.has(Role.REPORTER) or current.has(Role.ADMIN)):
        raise PermissionDenied(
            f"account {actor.name!r} may not change carbon-accounting data: it needs the role "
            f"'reporter' (it has {current.describe_roles()})"
        )
    return current


def require_organisation(session: Session, code: str, actor: Principal) -> Principal:
    """The actor, after checking it may write for organisation ``code``."""
    current = require_reporter(session, actor)
    account = session.execute(
        select(organisations.c.account).where(organisations.c.code == code)
    ).scalar_one_or_none()
    if account is None:
        raise NotFound(f"no organisation {code!r}", field="organisation")
    if account != current.name and not current.has(Role.ADMIN):
        raise PermissionDenied(
            f"account {actor.name!r} may not report for {code!r}: its account is {account!r}"
        )
    return current


def lock_log(session: Session) -> None:
    """Queue behind the log's other writers, so checks and the entry see one state."""
    store.read_head(session, lock=True)
