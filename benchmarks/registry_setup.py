"""Setup and checks of the registry benchmark: installations, accounts, batches, invariants.

Nothing here is timed. The installations are made the way ``ecocredit init`` makes them and
populated through the registry's services, except the issuance benchmark's million recipient
accounts, which are bulk-inserted into ``accounts`` and ``account_roles`` (their
``account.created`` entries are not written: that would be the benchmark of another path).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import AccountKind, Principal, Role
from ecocredit.accounts.tables import account_roles
from ecocredit.accounts.tables import accounts as accounts_table
from ecocredit.fastsql import insert_many
from ecocredit.ledger import store
from ecocredit.ledger.tables import ledger_entries
from ecocredit.registry import amounts, lookup
from ecocredit.registry import service as registry
from ecocredit.registry.tables import batches, blocks
from ecocredit.runtime import Runtime, initialize
from ecocredit.settings import Settings

T = TypeVar("T")
PRECISION = 6  # credit type C: 1 credit = 1 tCO2e, counted in grams
HOLDERS = 20  # accounts the transfers move credits between
SHA = "ab" * 32
SUPPLY = ("tradable", "retired", "cancelled", "buffer")
_STAFF: list[tuple[str, list[Role]]] = [
    ("registrar", [Role.CLASS_ADMIN]),
    ("issuer", [Role.CLASS_ISSUER, Role.HOLDER]),
    ("developer", [Role.PROJECT_ADMIN, Role.HOLDER]),
    ("verifier", [Role.VERIFIER]),
]


@dataclass
class Installation:
    """A fresh installation with credit type C, class C01 and one registered project."""

    runtime: Runtime
    project: str
    reports: int = 0

    def write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one write transaction, as the API does."""
        return self.runtime.db.write(work)

    def who(self, name: str) -> Principal:
        """The account ``name`` as the caller of an operation."""
        with self.runtime.db.read() as session:
            return accounts.principal(session, name)

    def as_(self, name: str, op: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a registry operation as the account ``name``, in its own transaction."""
        actor = self.who(name)
        return self.write(lambda session: op(session, actor, *args, **kwargs))

    def open_accounts(self, names: Sequence[str]) -> None:
        """Open holder accounts through the accounts service (one transaction each)."""
        for name in names:
            create = partial(
                accounts.create_account,
                name=name,
                roles=[Role.HOLDER],
                actor="admin",
                kind=AccountKind.PERSON,
                with_key=False,
            )
            self.write(create)

    def file_report(self, verified_units: int) -> str:
        """File the project's next verification report; return its id."""
        self.reports += 1
        year = 2000 + self.reports  # one report per vintage year
        verified = amounts.format_amount(verified_units, PRECISION)
        start, end = f"{year}-01-01", f"{year}-12-31"
        args = (self.project, start, end, verified, SHA)
        return str(self.as_("verifier", registry.file_report, *args)["report"])

    def head(self) -> int:
        """The log's size."""
        with self.runtime.db.read() as session:
            return store.read_head(session).size

    def entries_from(self, start: int) -> int:
        """How many entries the log stores from ``start`` on (counted, not read off the head)."""
        query = select(func.count()).where(ledger_entries.c.idx >= start)
        with self.runtime.db.read() as session:
            return int(session.execute(query).scalar_one())

    def dispose(self) -> None:
        """Close the pooled connections."""
        self.runtime.db.dispose()


def install(data_dir: Path, url: str) -> Installation:
    """Initialise an installation at ``url`` (empty: a SQLite file in ``data_dir``)."""
    result = initialize(Settings(data_dir=data_dir, database_url=url))
    runtime = result.runtime
    for name, roles in _STAFF:
        create = partial(accounts.create_account, name=name, roles=roles, actor="admin")
        runtime.db.write(create)
    inst = Installation(runtime, "")
    # Credit type C (tCO2e, precision 6) is built in.
    inst.as_(
        "admin",
        registry.create_class,
        "C",
        "Grassland restoration",
        "CCER-14-001",
        "V01",
        "registrar",
        ["issuer"],
    )
    project = inst.as_(
        "issuer",
        registry.create_project,
        "C01",
        "Xilingol grassland restoration",
        "developer",
        "CN-NM",
        "Xilinhot, Inner Mongolia",
        "XL-2026-01",
        "registered",
    )
    inst.project = str(project["project"])
    return inst


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL ``url`` as a libpq connection URI for psycopg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def holder_names(count: int, prefix: str) -> list[str]:
    """Account names ``prefix-0000000`` …, valid account names in serial order."""
    return [f"{prefix}-{i:07d}" for i in range(count)]


def random_amount(rng: random.Random, whole: int) -> str:
    """A decimal amount below ``whole`` credits with all six decimals used (never zero)."""
    return f"{rng.randrange(whole)}.{rng.randrange(1, 10**PRECISION):06d}"


def _stamp(table: Table, dialect: Dialect, moment: datetime) -> Any:
    # Raw inserts skip SQLAlchemy's type processing: store what the DateTime type would store.
    processor = table.c.created_at.type.bind_processor(dialect)
    return processor(moment) if processor is not None else moment


def bulk_accounts(inst: Installation, names: Sequence[str]) -> int:
    """Insert holder accounts in one transaction with two executemany calls; return the first id.

    Setup only: this skips what opening an account does (checks, ``account.created`` entries).
    """

    def work(session: Session) -> int:
        first = int(session.execute(select(func.max(accounts_table.c.id))).scalar_one()) + 1
        stamp = _stamp(accounts_table, session.get_bind().dialect, datetime.now(UTC))
        kind = AccountKind.PERSON.value
        ids = range(first, first + len(names))
        rows = zip(ids, names, [kind] * len(names), [stamp] * len(names), strict=True)
        insert_many(session, accounts_table, rows)
        insert_many(session, account_roles, ((i, Role.HOLDER.value) for i in ids))
        return first

    return inst.write(work)


def open_registry_account(inst: Installation) -> None:
    """Open the registry's buffer-pool account now, so an issuance's entries are all its own."""
    inst.write(lookup.registry_account)


@dataclass(frozen=True)
class Check:
    """One invariant checked after a run, and what was found."""

    name: str
    ok: bool
    found: str


def supply_check(session: Session, denom: str, label: str) -> Check:
    """Blocks partition 1…issued and their sums per state equal the batch's supply columns."""
    b = batches.c
    row = session.execute(
        select(b.id, b.issued, *(b[c] for c in SUPPLY)).where(b.denom == denom)
    ).one()
    batch_id, issued, columns = int(row[0]), int(row[1]), dict(zip(SUPPLY, row[2:], strict=True))
    size = blocks.c.last - blocks.c.first + 1
    per_state = {
        str(state): (int(units), int(count))
        for state, units, count in session.execute(
            select(blocks.c.state, func.sum(size), func.count())
            .where(blocks.c.batch_id == batch_id)
            .group_by(blocks.c.state)
        )
    }
    problems = [
        f"{state}: blocks {per_state.get(state, (0, 0))[0]} ≠ column {int(columns[state])}"
        for state in SUPPLY
        if per_state.get(state, (0, 0))[0] != int(columns[state])
    ]
    if sum(int(v) for v in columns.values()) != issued:
        problems.append(f"supply columns do not add up to issued {issued}")
    expected_first, count = 1, 0
    spans = select(blocks.c.first, blocks.c.last).where(blocks.c.batch_id == batch_id)
    for first, last in session.execute(spans.order_by(blocks.c.first)):
        if int(first) != expected_first or int(last) < int(first):
            problems.append(f"blocks do not partition 1…{issued}: gap or overlap at {first}")
            break
        expected_first, count = int(last) + 1, count + 1
    else:
        if expected_first != issued + 1:
            problems.append(f"blocks end at {expected_first - 1}, not {issued}")
    held = ", ".join(f"{s} {u:,}" for s, (u, _) in sorted(per_state.items()))
    found = "; ".join(problems) or f"{count:,} blocks partition 1…{issued:,} ({held} units)"
    return Check(f"{label}: supply conserved", not problems, found)


def balances(session: Session, denom: str) -> dict[int, int]:
    """Tradable units of the batch per owner id."""
    size = blocks.c.last - blocks.c.first + 1
    query = (
        select(blocks.c.owner_id, func.sum(size))
        .join(batches, batches.c.id == blocks.c.batch_id)
        .where(batches.c.denom == denom, blocks.c.state == "tradable")
        .group_by(blocks.c.owner_id)
    )
    return {int(owner): int(units) for owner, units in session.execute(query)}


def block_count(session: Session, denom: str) -> int:
    """How many blocks the batch has."""
    query = (
        select(func.count())
        .select_from(blocks)
        .join(batches, batches.c.id == blocks.c.batch_id)
        .where(batches.c.denom == denom)
    )
    return int(session.execute(query).scalar_one())
