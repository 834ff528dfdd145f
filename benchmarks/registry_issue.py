"""The issuance phase of the registry benchmark: one batch to very many recipients.

Setup (untimed): a fresh SQLite installation, the recipients' holder accounts bulk-inserted,
the registry's buffer-pool account opened, a verification report large enough. Timed: one
``db.write`` running ``registry.service.issue`` (name resolution, block inserts, ledger
entries) with a 10 % buffer share. Then the bare SQL floor of the same inserts, and checks.
"""

from __future__ import annotations

import gc
import math
import random
import tempfile
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from rich.progress import Progress

from ecocredit.registry import amounts
from ecocredit.registry import service as registry
from ecocredit.registry.ops.recipients import CHUNK
from ecocredit.registry.tables import batches
from registry_setup import (
    PRECISION,
    Check,
    Installation,
    balances,
    block_count,
    bulk_accounts,
    holder_names,
    install,
    open_registry_account,
    random_amount,
    supply_check,
)
from registry_sql import issue_floor

BUFFER_SHARE = "0.1"
MAX_GRANT = 100  # credits per recipient, six decimals


@dataclass
class IssueRun:
    """What the issuance took, and what was checked after it."""

    recipients: int
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    floor_seconds: float = 0.0
    setup_seconds: float = 0.0
    entries: int = 0
    blocks: int = 0
    checks: list[Check] = field(default_factory=list)

    def scaled(self, seconds: float, to: int = 1_000_000) -> float:
        """``seconds`` scaled linearly from this run's recipients to ``to``."""
        return seconds * to / self.recipients


def issue_bench(recipients: int, seed: int, progress: Progress) -> IssueRun:
    """Issue one batch to ``recipients`` new accounts on a fresh SQLite installation."""
    with tempfile.TemporaryDirectory(prefix="ecocredit-bench-issue-") as tmp:
        inst = install(Path(tmp), "")
        try:
            return _issue(inst, IssueRun(recipients), seed, progress)
        finally:
            inst.dispose()


def _issue(inst: Installation, run: IssueRun, seed: int, progress: Progress) -> IssueRun:
    n = run.recipients
    task = progress.add_task(f"setup: bulk-insert {n:,} recipient accounts", total=1)
    names = holder_names(n, "member")
    start = time.perf_counter()
    first_id = bulk_accounts(inst, names)
    run.setup_seconds = time.perf_counter() - start
    progress.advance(task)
    open_registry_account(inst)
    rng = random.Random(seed)
    grants = [(name, random_amount(rng, MAX_GRANT)) for name in names]
    units = [amounts.parse_amount(amount, PRECISION) for _, amount in grants]
    report = inst.file_report(2 * sum(units))  # room for the buffer share
    caller, head = inst.who("issuer"), inst.head()
    task = progress.add_task(f"issue one batch to {n:,} recipients, one transaction", total=n)
    work = partial(
        registry.issue,
        caller=caller,
        report=report,
        recipients=grants,
        buffer_share=BUFFER_SHARE,
        progress=partial(progress.advance, task),
    )
    gc.collect()  # the setup's garbage is not the issuance's to collect
    start, cpu = time.perf_counter(), time.process_time()
    result = inst.write(work)
    run.seconds, run.cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    run.entries = int(result["entries"])
    batch = str(result["batch"])
    _floor(inst, run, batch, range(head, head + run.entries), progress)
    _check(inst, run, batch, head, dict(zip(range(first_id, first_id + n), units, strict=True)))
    return run


def _floor(
    inst: Installation, run: IssueRun, batch: str, entries: range, progress: Progress
) -> None:
    task = progress.add_task("bare SQL: the same blocks and entries, one transaction", total=1)
    with inst.runtime.db.read() as session:
        row = session.execute(
            batches.select()
            .with_only_columns(batches.c.id, batches.c.issued)
            .where(batches.c.denom == batch)
        ).one()
    path = inst.runtime.db.engine.url.database or ""
    dialect = inst.runtime.db.engine.dialect
    run.floor_seconds = issue_floor(path, dialect, int(row[0]), int(row[1]), entries)
    progress.advance(task)


def _check(
    inst: Installation, run: IssueRun, batch: str, head: int, granted: dict[int, int]
) -> None:
    n, written = run.recipients, inst.entries_from(head)
    expected = 1 + math.ceil(n / CHUNK)
    found = f"{written:,} entries: batch_issued + {written - 1:,} credits_issued of ≤ {CHUNK:,}"
    name = "issue: ledger entries written == 1 + ceil(recipients / 1,000)"
    run.checks.append(Check(name, written == run.entries == expected, found))
    with inst.runtime.db.read() as session:
        run.checks.append(supply_check(session, batch, "issue"))
        run.blocks = block_count(session, batch)
        held = balances(session, batch)
    wrong = sum(1 for owner, units in granted.items() if held.get(owner) != units)
    extra = len(held) - len(granted)
    name = "issue: every recipient holds exactly its grant (buffer block aside)"
    found = f"{n - wrong:,} of {n:,} match; {run.blocks:,} blocks; {extra} other owners"
    run.checks.append(Check(name, wrong == 0 and extra == 0 and run.blocks == n + 1, found))
