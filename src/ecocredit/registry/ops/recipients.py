"""The recipients of an issuance: parsed, checked, resolved to accounts, laid out in blocks.

A payout can name a million recipients, so each step is one pass: amounts parsed once per
distinct value, names resolved five thousand to a query through the primary key, blocks laid
out in recipient order and cut into log entries that fit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import BindParameter, bindparam, exists, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import REGISTRY_ACCOUNT, Role
from ecocredit.accounts.tables import account_roles
from ecocredit.accounts.tables import accounts as accounts_table
from ecocredit.errors import InvalidParameter
from ecocredit.fastsql import Compiled, compile_for, fetch
from ecocredit.registry import amounts, lookup
from ecocredit.registry.model import BlockState

CHUNK = 1000  # blocks per credits_issued entry at most
CHUNK_BYTES = 60_000  # and at most this much of them: a log entry holds 65,535 bytes
_NAMES_PER_QUERY = 5000

Progress = Callable[[int], None]


@functools.lru_cache(maxsize=64)
def _holders_in(dialect: Dialect, count: int) -> Compiled:
    a = accounts_table.c
    wanted: list[BindParameter[str]] = [bindparam(f"v{i}") for i in range(count)]
    # The role is checked per account through its primary key; a join on the role's own
    # index would make SQLite scan every holder for each list of names.
    holds = exists().where(
        account_roles.c.account_id == a.id, account_roles.c.role == bindparam("role")
    )
    stmt = select(a.name, a.id).where(a.name.in_(wanted), holds)
    return compile_for(stmt, dialect)


def resolve(session: Session, names: Sequence[str], progress: Progress | None) -> list[int]:
    """The account ids of ``names``; the first that is unknown or cannot hold is named."""
    dialect = session.get_bind().dialect
    found: dict[str, int] = {}
    for start in range(0, len(names), _NAMES_PER_QUERY):
        chunk = names[start : start + _NAMES_PER_QUERY]
        params = {f"v{i}": n for i, n in enumerate(chunk)} | {"role": Role.HOLDER.value}
        found.update(
            (str(n), int(i)) for n, i in fetch(session, _holders_in(dialect, len(chunk)), **params)
        )
        if progress is not None:
            progress(len(chunk) // 2)
    if len(found) < len(names):
        position, name = next((p, n) for p, n in enumerate(names) if n not in found)
        # Say whether the account is unknown or just cannot hold credits.
        lookup.holder(session, name, f"recipients[{position}]")
    return [found[n] for n in names]


def parse(recipients: Sequence[tuple[str, str]], precision: int) -> tuple[list[str], list[int]]:
    """The names and amounts (smallest units) of (account, decimal) pairs, each checked."""
    if not recipients:
        raise InvalidParameter("a batch needs at least one recipient", field="recipients")
    names: list[str] = []
    units: list[int] = []
    seen: set[str] = set()
    parsed: dict[str, int] = {}  # a payout repeats a few amounts (a check-in earns 0.144)
    for position, item in enumerate(recipients):
        if not isinstance(item, tuple | list) or len(item) != 2:
            where = f"recipients[{position}]"
            raise InvalidParameter(f"{where} must be an account and an amount", field=where)
        name, amount = item
        if not isinstance(name, str) or name in seen:
            where = f"recipients[{position}]"
            accounts.check_name(name, where)
            raise InvalidParameter(f"{where}: account {name!r} is listed twice", field=where)
        seen.add(name)
        names.append(name)
        value = parsed.get(amount) if isinstance(amount, str) else None
        if value is None:
            value = amounts.parse_amount(amount, precision, f"recipients[{position}].amount")
            parsed[amount] = value
        units.append(value)
    _check_names(names)
    return names, units


def _check_names(names: Sequence[str]) -> None:
    # Checked after the loop, so the common case costs one pattern match per name.
    for position, name in enumerate(names):
        if not accounts.NAME.fullmatch(name):
            accounts.check_name(name, f"recipients[{position}]")
        if name == REGISTRY_ACCOUNT:
            lookup.refuse_pool(name, f"recipients[{position}]")


def lay_out(
    names: Sequence[str], owners: Sequence[int], units: Sequence[int]
) -> tuple[list[tuple[int, int, int, str, int | None]], list[list[Any]]]:
    """The recipients' blocks as (first, last, owner) rows and as the log's [name, first, last]."""
    rows: list[tuple[int, int, int, str, int | None]] = []
    moved: list[list[Any]] = []
    first = 1
    tradable = BlockState.TRADABLE.value
    for name, owner, amount in zip(names, owners, units, strict=True):
        last = first + amount - 1
        rows.append((first, last, owner, tradable, None))
        moved.append([name, first, last])
        first = last + 1
    return rows, moved


def chunks(moved: list[list[Any]]) -> Iterator[list[list[Any]]]:
    """The blocks in runs of at most CHUNK, each small enough for one log entry.

    A block is written ``["name",first,last],``: its size is known without encoding it.
    """
    start, size = 0, 0
    for end, (name, first, last) in enumerate(moved):
        cost = len(name) + len(str(first)) + len(str(last)) + 6
        if end > start and (end - start == CHUNK or size + cost > CHUNK_BYTES):
            yield moved[start:end]
            start, size = end, 0
        size += cost
    if start < len(moved):
        yield moved[start:]
