"""Reads every registry operation starts with: the batch, the accounts, the caller's authority.

Each raises the error a user can act on (which batch or account is unknown, which role is
missing) before anything is written.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import bindparam, exists, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import REGISTRY_ACCOUNT, SYSTEM_ACTOR, AccountKind, Principal, Role
from ecocredit.accounts.tables import account_roles
from ecocredit.accounts.tables import accounts as accounts_table
from ecocredit.errors import InvalidParameter, NotFound, PermissionDenied
from ecocredit.fastsql import Compiled, compile_for, fetch
from ecocredit.registry import blocks, ids
from ecocredit.registry.model import Span
from ecocredit.registry.tables import (
    batches,
    class_issuers,
    classes,
    credit_types,
    projects,
)


@dataclass(frozen=True)
class BatchRef:
    """What an operation needs to know of a batch."""

    id: int
    denom: str
    class_id: str
    project_id: str
    precision: int


@functools.lru_cache(maxsize=16)
def _batch(dialect: Dialect) -> Compiled:
    c = batches.c
    stmt = (
        select(c.id, c.class_id, c.project_id, credit_types.c.precision)
        .join(classes, classes.c.id == c.class_id)
        .join(credit_types, credit_types.c.abbrev == classes.c.credit_type)
        .where(c.denom == bindparam("denom"))
    )
    return compile_for(stmt, dialect)


def batch(session: Session, denom: str, field: str = "batch") -> BatchRef:
    """The batch ``denom``, or :class:`NotFound` naming it."""
    ids.check(ids.BATCH, denom, field, "C01-001-20260101-20261231-001")
    rows = fetch(session, _batch(session.get_bind().dialect), denom=denom)
    if not rows:
        raise NotFound(f"no batch {denom}", field=field)
    batch_id, class_id, project_id, precision = rows[0]
    return BatchRef(int(batch_id), denom, str(class_id), str(project_id), int(precision))


# A holding fragmented by many moves has many blocks, and a move needs only the lowest few:
# read a page, and the rest only when the page does not cover the amount.
HOLDING_PAGE = 16


@dataclass(frozen=True)
class Holding:
    """A batch, what one owner holds of it in one state, and the recipient of a move."""

    batch: BatchRef
    source: list[Span]  # the first HOLDING_PAGE blocks, in serial order; more may follow
    recipient: int | None
    owner: int
    state: str


@functools.lru_cache(maxsize=16)
def _batch_and_recipient(dialect: Dialect) -> Compiled:
    c, a = batches.c, accounts_table.c
    recipient = select(a.id).where(a.name == bindparam("recipient")).scalar_subquery()
    can_hold = exists().where(
        account_roles.c.account_id == recipient, account_roles.c.role == bindparam("role")
    )
    stmt = (
        select(c.id, c.class_id, c.project_id, credit_types.c.precision, recipient, can_hold)
        .join(classes, classes.c.id == c.class_id)
        .join(credit_types, credit_types.c.abbrev == classes.c.credit_type)
        .where(c.denom == bindparam("denom"))
    )
    return compile_for(stmt, dialect)


def holding(session: Session, denom: str, owner: int, state: str, recipient: str = "") -> Holding:
    """The batch with the recipient's id (one query), then ``owner``'s lowest blocks in ``state``.

    The blocks are read on their own so that both databases take the owner's index, which
    also yields them in serial order: a holding is found without touching the rest of the
    batch, however many blocks it has.
    """
    ids.check(ids.BATCH, denom, "batch", "C01-001-20260101-20261231-001")
    if recipient:
        accounts.check_name(recipient, "recipient")
        refuse_pool(recipient, "recipient")
    rows = fetch(
        session,
        _batch_and_recipient(session.get_bind().dialect),
        denom=denom,
        recipient=recipient,
        role=Role.HOLDER.value,
    )
    if not rows:
        raise NotFound(f"no batch {denom}", field="batch")
    batch_id, class_id, project_id, precision, to, can_hold = rows[0]
    ref = BatchRef(int(batch_id), denom, str(class_id), str(project_id), int(precision))
    if recipient and to is None:
        raise NotFound(f"no account named {recipient!r}", field="recipient")
    if recipient and not can_hold:
        raise PermissionDenied(
            f"account {recipient!r} cannot hold credits: it does not have the holder role",
            field="recipient",
        )
    source = blocks.owned(session, ref.id, owner, state, limit=HOLDING_PAGE)
    return Holding(ref, source, None if to is None else int(to), owner, state)


def refuse_pool(name: str, field: str) -> None:
    """The registry's own account holds the buffer pool and nothing else."""
    if name == REGISTRY_ACCOUNT:
        raise PermissionDenied(
            f"account {name!r} is the registry's buffer pool; credits are not sent to it",
            field=field,
        )


@functools.lru_cache(maxsize=16)
def _holder(dialect: Dialect) -> Compiled:
    a = accounts_table.c
    is_holder = exists().where(
        account_roles.c.account_id == a.id, account_roles.c.role == bindparam("role")
    )
    stmt = select(a.id, is_holder).where(a.name == bindparam("name"))
    return compile_for(stmt, dialect)


def holder(session: Session, name: str, field: str) -> int:
    """The id of the account ``name``, which must hold the holder role to hold credits."""
    accounts.check_name(name, field)
    rows = fetch(session, _holder(session.get_bind().dialect), name=name, role=Role.HOLDER.value)
    if not rows:
        raise NotFound(f"no account named {name!r}", field=field)
    account_id, is_holder = rows[0]
    if not is_holder:
        raise PermissionDenied(
            f"account {name!r} cannot hold credits: it does not have the holder role",
            field=field,
        )
    return int(account_id)


def account_id(session: Session, name: str, field: str) -> int:
    """The id of the account ``name`` (any role)."""
    accounts.check_name(name, field)
    found = session.execute(
        select(accounts_table.c.id).where(accounts_table.c.name == name)
    ).scalar()
    if found is None:
        raise NotFound(f"no account named {name!r}", field=field)
    return int(found)


def account_with_role(session: Session, name: str, role: Role, field: str) -> int:
    """The id of the account ``name``, which must hold ``role``."""
    found = account_id(session, name, field)
    has = session.execute(
        select(account_roles.c.role).where(
            account_roles.c.account_id == found, account_roles.c.role == role.value
        )
    ).first()
    if has is None:
        raise InvalidParameter(f"account {name!r} does not have the {role} role", field=field)
    return found


def require_holder(caller: Principal) -> None:
    """Only accounts with the holder role move credits."""
    if not caller.has(Role.HOLDER):
        raise PermissionDenied(
            f"only holders move credits; {caller.name} has {caller.describe_roles()}"
        )


def require_admin(caller: Principal, action: str) -> None:
    """Only the registry admin may ``action``."""
    if not caller.has(Role.ADMIN):
        raise PermissionDenied(
            f"only the registry admin may {action}; {caller.name} has {caller.describe_roles()}"
        )


def is_class_issuer(session: Session, class_id: str, account: int) -> bool:
    """Whether ``account`` is one of the issuers of the class."""
    query = select(class_issuers.c.account_id).where(
        class_issuers.c.class_id == class_id, class_issuers.c.account_id == account
    )
    return session.execute(query).first() is not None


def require_class_issuer(session: Session, class_id: str, caller: Principal, action: str) -> None:
    """Only an issuer of the class may ``action``."""
    if not caller.has(Role.CLASS_ISSUER) or not is_class_issuer(
        session, class_id, caller.account_id
    ):
        raise PermissionDenied(
            f"only an issuer of class {class_id} may {action}; {caller.name} is not one"
        )


def class_row(session: Session, class_id: str, field: str = "class_id") -> dict[str, object]:
    """The class ``class_id``, or :class:`NotFound`."""
    ids.check(ids.CLASS, class_id, field, "C01")
    row = session.execute(
        select(classes, credit_types.c.precision)
        .join(credit_types, credit_types.c.abbrev == classes.c.credit_type)
        .where(classes.c.id == class_id)
    ).first()
    if row is None:
        raise NotFound(f"no class {class_id}", field=field)
    return dict(row._mapping)


def project_row(session: Session, project: str, field: str = "project") -> dict[str, object]:
    """The project ``project``, or :class:`NotFound`."""
    ids.check(ids.PROJECT, project, field, "C01-001")
    row = session.execute(select(projects).where(projects.c.id == project)).first()
    if row is None:
        raise NotFound(f"no project {project}", field=field)
    return dict(row._mapping)


def registry_account(session: Session) -> int:
    """The registry's own account (it holds the buffer pool), opened on first use."""
    found = session.execute(
        select(accounts_table.c.id).where(accounts_table.c.name == REGISTRY_ACCOUNT)
    ).scalar()
    if found is not None:
        return int(found)
    created, _ = accounts.create_account(
        session, REGISTRY_ACCOUNT, [Role.HOLDER], SYSTEM_ACTOR, AccountKind.REGISTRY, with_key=False
    )
    return created
