"""What every carbon-accounting write shares: the caller's authority, the log head and entry."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal, Role
from ecocredit.carbon.tables import organisations
from ecocredit.errors import NotFound, PermissionDenied
from ecocredit.ledger import store


def require_reporter(actor: Principal) -> None:
    """Only an enterprise reporter (or the admin) writes carbon-accounting data."""
    if not (actor.has(Role.REPORTER) or actor.has(Role.ADMIN)):
        raise PermissionDenied(
            f"account {actor.name!r} may not change carbon-accounting data: it needs the role "
            f"'reporter' (it has {actor.describe_roles()})"
        )


def require_organisation(session: Session, code: str, actor: Principal) -> str:
    """The organisation's reporting account, after checking ``actor`` may write for it."""
    require_reporter(actor)
    account = session.execute(
        select(organisations.c.account).where(organisations.c.code == code)
    ).scalar_one_or_none()
    if account is None:
        raise NotFound(f"no organisation {code!r}", field="organisation")
    if account != actor.name and not actor.has(Role.ADMIN):
        raise PermissionDenied(
            f"account {actor.name!r} may not report for {code!r}: its account is {account!r}"
        )
    return str(account)


def lock_log(session: Session) -> None:
    """Queue behind the log's other writers, so checks and the entry see one state."""
    store.read_head(session, lock=True)
