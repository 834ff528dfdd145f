"""Use cases of accounts: open an account, issue a key, authenticate a request."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ecocredit.accounts import keys
from ecocredit.accounts.model import Principal, Role
from ecocredit.accounts.tables import accounts, api_keys
from ecocredit.errors import (
    Conflict,
    InvalidParameter,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from ecocredit.ledger import events
from ecocredit.ledger import service as ledger

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")


def check_name(name: str) -> str:
    """Check an account name: 2-64 lowercase letters, digits, '.', '_' or '-'."""
    if not _NAME.match(name):
        raise InvalidParameter(
            f"account name {name!r} must be 2-64 characters of a-z, 0-9, '.', '_' or '-', "
            "starting with a letter or digit",
            field="name",
        )
    return name


def check_role(role: str) -> Role:
    """Return the role called ``role``, or name the roles there are."""
    try:
        return Role(role)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InvalidParameter(f"role {role!r} is not one of: {names}", field="role") from None


def create_account(session: Session, name: str, role: str, actor: str) -> tuple[int, str]:
    """Open an account and issue its first key; return the account id and the key (shown once)."""
    check_name(name)
    kind = check_role(role)
    exists = session.execute(select(accounts.c.id).where(accounts.c.name == name)).first()
    if exists is not None:
        raise Conflict(f"an account named {name!r} already exists", field="name")
    now = datetime.now(UTC)
    account_id = session.execute(
        insert(accounts).values(name=name, role=kind.value, created_at=now).returning(accounts.c.id)
    ).scalar_one()
    ledger.record(session, events.ACCOUNT_CREATED, actor, {"account": name, "role": kind.value})
    return int(account_id), issue_key(session, name, actor)


def issue_key(session: Session, name: str, actor: str) -> str:
    """Issue a new API key to the account ``name``; return it (it is never shown again)."""
    account_id = session.execute(select(accounts.c.id).where(accounts.c.name == name)).scalar()
    if account_id is None:
        raise NotFound(f"no account named {name!r}", field="name")
    key = keys.new_key()
    key_id = session.execute(
        insert(api_keys)
        .values(
            account_id=account_id,
            key_hash=keys.key_hash(key),
            prefix=keys.display_prefix(key),
            created_at=datetime.now(UTC),
        )
        .returning(api_keys.c.id)
    ).scalar_one()
    ledger.record(session, events.API_KEY_ISSUED, actor, {"account": name, "key_id": int(key_id)})
    return key


def authenticate(session: Session, key: str) -> Principal:
    """Return the account a key belongs to, or raise :class:`NotAuthenticated`."""
    query = (
        select(accounts.c.id, accounts.c.name, accounts.c.role)
        .join(api_keys, api_keys.c.account_id == accounts.c.id)
        .where(api_keys.c.key_hash == keys.key_hash(key), api_keys.c.revoked_at.is_(None))
    )
    row = session.execute(query).first()
    if row is None:
        raise NotAuthenticated("the API key is unknown or revoked")
    try:
        role = Role(row.role)
    except ValueError:
        # A role written by a newer version grants nothing here.
        raise PermissionDenied(
            f"account {row.name!r} has the role {row.role!r}, which this version does not know"
        ) from None
    return Principal(int(row.id), row.name, role)


def principal(session: Session, name: str) -> Principal:
    """Return the account ``name`` as the actor of an operator's command."""
    row = session.execute(
        select(accounts.c.id, accounts.c.role).where(accounts.c.name == name)
    ).first()
    if row is None:
        raise NotFound(f"no account named {name!r}", field="actor")
    try:
        return Principal(int(row.id), name, Role(row.role))
    except ValueError:
        raise PermissionDenied(
            f"account {name!r} has the unknown role {row.role!r}", field="actor"
        ) from None


def has_admin(session: Session) -> bool:
    """Whether an admin account exists."""
    query = select(accounts.c.id).where(accounts.c.role == Role.ADMIN.value).limit(1)
    return session.execute(query).first() is not None
