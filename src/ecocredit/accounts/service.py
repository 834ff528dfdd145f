"""Use cases of accounts: open an account, grant roles, issue a key, authenticate a request."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ecocredit.accounts import keys
from ecocredit.accounts.model import AccountKind, Principal, Role
from ecocredit.accounts.tables import account_roles, accounts, api_keys
from ecocredit.errors import (
    Conflict,
    InvalidParameter,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from ecocredit.ledger import events
from ecocredit.ledger import service as ledger

NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")


def check_name(name: str, field: str = "name") -> str:
    """Check an account name: 2-64 lowercase letters, digits, '.', '_' or '-'."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise InvalidParameter(
            f"account name {name!r} must be 2-64 characters of a-z, 0-9, '.', '_' or '-', "
            "starting with a letter or digit",
            field=field,
        )
    return name


def check_role(role: str) -> Role:
    """Return the role called ``role``, or name the roles there are."""
    try:
        return Role(role)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InvalidParameter(f"role {role!r} is not one of: {names}", field="role") from None


def check_roles(roles: Iterable[str]) -> list[Role]:
    """Return the roles, sorted and without repeats; at least one is needed."""
    checked = sorted({check_role(r) for r in roles})
    if not checked:
        raise InvalidParameter("an account needs at least one role", field="role")
    return checked


def check_kind(kind: str) -> AccountKind:
    """Return the account kind called ``kind``, or name the kinds there are."""
    try:
        return AccountKind(kind)
    except ValueError:
        names = ", ".join(k.value for k in AccountKind)
        raise InvalidParameter(f"kind {kind!r} is not one of: {names}", field="kind") from None


def create_account(
    session: Session,
    name: str,
    roles: Iterable[str],
    actor: str,
    kind: str = AccountKind.ORGANISATION,
    *,
    with_key: bool = True,
) -> tuple[int, str | None]:
    """Open an account; return its id and its first key (shown once), if one was asked for."""
    check_name(name)
    granted = check_roles([roles] if isinstance(roles, str) else roles)
    party = check_kind(kind)
    exists = session.execute(select(accounts.c.id).where(accounts.c.name == name)).first()
    if exists is not None:
        raise Conflict(f"an account named {name!r} already exists", field="name")
    now = datetime.now(UTC)
    row = insert(accounts).values(name=name, kind=party.value, created_at=now)
    account_id = session.execute(row.returning(accounts.c.id)).scalar_one()
    session.execute(
        insert(account_roles), [{"account_id": account_id, "role": r.value} for r in granted]
    )
    data = {"account": name, "kind": party.value, "roles": [r.value for r in granted]}
    ledger.record(session, events.ACCOUNT_CREATED, actor, data)
    key = issue_key(session, name, actor) if with_key else None
    return int(account_id), key


def set_roles(session: Session, name: str, roles: Iterable[str], actor: str) -> list[Role]:
    """Replace the roles of the account ``name``; return them."""
    granted = check_roles(roles)
    account_id = _account_id(session, name)
    session.execute(delete(account_roles).where(account_roles.c.account_id == account_id))
    session.execute(
        insert(account_roles), [{"account_id": account_id, "role": r.value} for r in granted]
    )
    data = {"account": name, "roles": [r.value for r in granted]}
    ledger.record(session, events.ACCOUNT_ROLES_SET, actor, data)
    return granted


def _account_id(session: Session, name: str, field: str = "name") -> int:
    account_id = session.execute(select(accounts.c.id).where(accounts.c.name == name)).scalar()
    if account_id is None:
        raise NotFound(f"no account named {name!r}", field=field)
    return int(account_id)


def issue_key(session: Session, name: str, actor: str) -> str:
    """Issue a new API key to the account ``name``; return it (it is never shown again)."""
    account_id = _account_id(session, name)
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


def _roles_of(session: Session, account_id: int, name: str, field: str | None) -> frozenset[Role]:
    rows = session.execute(
        select(account_roles.c.role).where(account_roles.c.account_id == account_id)
    ).scalars()
    roles = set()
    for value in rows:
        try:
            roles.add(Role(value))
        except ValueError:
            # A role written by a newer version grants nothing here, and says so.
            raise PermissionDenied(
                f"account {name!r} has the role {value!r}, which this version does not know",
                field=field,
            ) from None
    return frozenset(roles)


def authenticate(session: Session, key: str) -> Principal:
    """Return the account a key belongs to, or raise :class:`NotAuthenticated`."""
    query = (
        select(accounts.c.id, accounts.c.name)
        .join(api_keys, api_keys.c.account_id == accounts.c.id)
        .where(api_keys.c.key_hash == keys.key_hash(key), api_keys.c.revoked_at.is_(None))
    )
    row = session.execute(query).first()
    if row is None:
        raise NotAuthenticated("the API key is unknown or revoked")
    return Principal(int(row.id), row.name, _roles_of(session, int(row.id), row.name, None))


def principal(session: Session, name: str) -> Principal:
    """Return the account ``name`` as the actor of an operator's command."""
    account_id = _account_id(session, name, field="actor")
    return Principal(account_id, name, _roles_of(session, account_id, name, "actor"))


def exists(session: Session, name: str) -> bool:
    """Whether an account called ``name`` exists."""
    return session.execute(select(accounts.c.id).where(accounts.c.name == name)).first() is not None


def has_admin(session: Session) -> bool:
    """Whether an admin account exists."""
    query = select(account_roles.c.account_id).where(account_roles.c.role == Role.ADMIN.value)
    return session.execute(query.limit(1)).first() is not None
