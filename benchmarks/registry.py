"""Registry benchmark: transfers per second and a million-recipient issuance.

Transfers go through ``registry.service.transfer``, each in its own ``db.write`` transaction
(one operation per commit, as the API gets with one client: its group commit only shares
commits among concurrent requests): random amounts (six decimals) between random pairs of 20
holders of one batch, on a SQLite file (WAL, as the product opens it) and on PostgreSQL when
``ECOCREDIT_TEST_POSTGRES_URL`` is set (as ``make bench`` does). Beside each rate, interleaved
round by round in the same run: the bare SQL ceiling on the same database, one UPDATE and one
INSERT per transaction through the driver, the least a transfer must write. Afterwards every
outcome and balance is replayed against an in-memory model, the log must have grown by exactly
the successful transfers, and the batch's blocks must add up to its supply columns.

The issuance issues one batch to 1,000,000 recipients through ``registry.service.issue`` in one
transaction (100,000 with ``--quick``, scaled linearly and labelled so), beside the bare SQL
floor of the same block and entry inserts. The last line of stdout is one JSON object of the
figures; ``--quick`` runs in under a minute.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bench_common import pg_schema
from ecocredit.accounts.model import Principal
from ecocredit.errors import InsufficientBalance
from ecocredit.ledger import store
from ecocredit.registry import amounts
from ecocredit.registry import service as registry
from registry_grouped import THREADS, GroupedRun, grouped_transfers
from registry_issue import IssueRun, issue_bench
from registry_report import (
    checks_table,
    grouped_notes,
    notes,
    rounds_table,
    summary_json,
    summary_table,
)
from registry_setup import (
    HOLDERS,
    PRECISION,
    Check,
    Installation,
    balances,
    block_count,
    holder_names,
    install,
    random_amount,
    supply_check,
)
from registry_sql import Ceiling, PgCeiling, SqliteCeiling

PG_ENV = "ECOCREDIT_TEST_POSTGRES_URL"
ROUNDS = 3  # rounds of transfers, each beside a round of the ceiling (shared-machine noise)
HOLDING = "1000000"  # credits each holder starts with: no random walk of the run empties one
MAX_TRANSFER = 1000  # credits; amounts are uniform below this, with six decimals


@dataclass(frozen=True)
class Plan:
    """How much work each phase does."""

    transfers: int
    warmup: int
    recipients: int
    seed: int
    quick: bool
    profile: str | None


@dataclass(frozen=True)
class Op:
    """One transfer of the workload."""

    sender: str
    recipient: str
    amount: str


@dataclass(frozen=True)
class Round:
    """One timed round of transfers and the ceiling round beside it."""

    transfers: int
    seconds: float
    ceiling_seconds: float
    moved: int  # blocks moved, summed over the round's transfers
    latencies: list[float]
    cpu_seconds: float  # this process's CPU time: wall time less waiting (disk, server, others)

    def p(self, q: float) -> float:
        """The ``q`` quantile of the transfer latencies, in milliseconds."""
        ms = sorted(self.latencies)
        return 1000 * ms[min(len(ms) - 1, int(len(ms) * q))]


@dataclass
class TransferRun:
    """The transfer figures of one backend."""

    backend: str
    rounds: list[Round] = field(default_factory=list)
    succeeded: int = 0
    rejected: int = 0
    blocks_end: int = 0
    settings: str = ""

    @property
    def rate(self) -> float:
        return sum(r.transfers for r in self.rounds) / sum(r.seconds for r in self.rounds)

    @property
    def ceiling(self) -> float:
        return sum(r.transfers for r in self.rounds) / sum(r.ceiling_seconds for r in self.rounds)

    @property
    def mean_ms(self) -> float:
        return 1000 * statistics.fmean(t for r in self.rounds for t in r.latencies)

    @property
    def cpu_ms(self) -> float:
        return (
            1000 * sum(r.cpu_seconds for r in self.rounds) / sum(r.transfers for r in self.rounds)
        )


def make_ops(count: int, holders: Sequence[str], seed: int) -> list[Op]:
    """Random transfers between distinct holders: the same list for every backend."""
    rng = random.Random(seed)
    ops = []
    for _ in range(count):
        sender, recipient = rng.sample(holders, 2)
        ops.append(Op(sender, recipient, random_amount(rng, MAX_TRANSFER)))
    return ops


class TransferBench:
    """Transfers through the service on one installation, beside the bare SQL ceiling."""

    def __init__(self, plan: Plan, inst: Installation, progress: Progress) -> None:
        self.plan, self.inst, self.progress = plan, inst, progress
        self.holders = holder_names(HOLDERS, "holder")
        self.ops = make_ops(plan.warmup + plan.transfers, self.holders, plan.seed)
        self.checks: list[Check] = []
        self.outcomes: list[bool] = []
        self.task = progress.add_task("transfers", visible=False)

    def setup(self) -> tuple[str, dict[str, Principal]]:
        """Open the holders and issue them one batch; return it and the holders as callers."""
        self.inst.open_accounts(self.holders)
        report = self.inst.file_report(HOLDERS * amounts.parse_amount(HOLDING, PRECISION))
        recipients = [(name, HOLDING) for name in self.holders]
        batch = self.inst.as_("issuer", registry.issue, report, recipients)["batch"]
        return str(batch), {name: self.inst.who(name) for name in self.holders}

    def transfers(self, batch: str, who: dict[str, Principal], ops: Sequence[Op]) -> Round:
        """Run ``ops`` one transaction each; time each and the whole."""
        write, task = self.inst.runtime.db.write, self.task
        latencies: list[float] = []
        moved, clock = 0, time.perf_counter
        start, cpu = clock(), time.process_time()
        for n, op in enumerate(ops, 1):
            t0 = clock()
            work = partial(
                registry.transfer,
                caller=who[op.sender],
                batch=batch,
                recipient=op.recipient,
                amount=op.amount,
            )
            try:
                moved += len(write(work)["blocks"])
                self.outcomes.append(True)
            except InsufficientBalance:
                self.outcomes.append(False)
            latencies.append(clock() - t0)
            if n % 100 == 0:
                self.progress.advance(task, 100)
        seconds, cpu = clock() - start, time.process_time() - cpu
        self.progress.advance(task, len(ops) % 100)
        return Round(len(ops), seconds, 0.0, moved, latencies, cpu)

    def run(self, ceiling: Ceiling, run: TransferRun) -> None:
        """Warm up, then alternate rounds of the ceiling and of transfers; check the state."""
        batch, who = self.setup()
        self.batch, self.who = batch, who
        head = self.inst.head()
        warm, rest = self.ops[: self.plan.warmup], self.ops[self.plan.warmup :]
        label = f"{run.backend}: {len(rest):,} transfers (+{len(warm)} warm-up), {ROUNDS} rounds"
        self.progress.update(self.task, description=label, total=len(self.ops), visible=True)
        self.transfers(batch, who, warm)
        last = self.inst.head() - 1  # a transfer's entry: the ceiling logs the same bytes
        with self.inst.runtime.db.read() as session:
            _, entry, leaf = store.read_entries(session, last, last + 1)[0]
        ceiling.prepare(entry, leaf, HOLDERS)
        ceiling.run(len(warm))
        run.settings = ceiling.settings()
        profiler = cProfile.Profile() if self.plan.profile else None
        size = -(-len(rest) // ROUNDS)
        for r, at in enumerate(range(0, len(rest), size)):
            chunk = rest[at : at + size]
            before = ceiling.run(len(chunk)) if r % 2 == 0 else 0.0
            if profiler is not None:
                profiler.enable()
            done = self.transfers(batch, who, chunk)
            if profiler is not None:
                profiler.disable()
            after = ceiling.run(len(chunk)) if r % 2 == 1 else 0.0
            run.rounds.append(replace(done, ceiling_seconds=before + after))
        if profiler is not None:
            profiler.dump_stats(f"{self.plan.profile}.{run.backend.lower()}")
        self.check(batch, who, head, run)

    def check(self, batch: str, who: dict[str, Principal], head: int, run: TransferRun) -> None:
        """Replay the outcomes on a model; compare the log and the blocks with it."""
        model = {name: amounts.parse_amount(HOLDING, PRECISION) for name in self.holders}
        expected: list[bool] = []
        for op in self.ops:
            units = amounts.parse_amount(op.amount, PRECISION)
            expected.append(model[op.sender] >= units)
            if expected[-1]:
                model[op.sender] -= units
                model[op.recipient] += units
        run.succeeded, run.rejected = sum(self.outcomes), self.outcomes.count(False)
        written = self.inst.entries_from(head)
        name = f"{run.backend}: ledger entries written == successful transfers"
        found = f"{written:,} entries, {run.succeeded:,} transfers ({run.rejected} rejected)"
        self.checks.append(Check(name, written == run.succeeded, found))
        with self.inst.runtime.db.read() as session:
            held = balances(session, batch)
            self.checks.append(supply_check(session, batch, run.backend))
            run.blocks_end = block_count(session, batch)
        wrong = [n for n in self.holders if held.get(who[n].account_id, 0) != model[n]]
        same = expected == self.outcomes
        name = f"{run.backend}: outcomes and balances match an in-memory model"
        found = "all match" if same and not wrong else f"outcomes {same}; differ: {wrong}"
        self.checks.append(Check(name, same and not wrong, found))


class Bench:
    """One run: the plan, the figures and the checks of every phase."""

    def __init__(self, plan: Plan, progress: Progress) -> None:
        self.plan, self.progress = plan, progress
        self.runs: dict[str, TransferRun | None] = {"SQLite": None, "PostgreSQL": None}
        self.issue: IssueRun | None = None
        self.grouped: dict[str, GroupedRun] = {}
        self.checks: list[Check] = []
        self.notes: list[str] = []
        self.load = (os.getloadavg()[0], 0.0)
        self.cpus = os.cpu_count() or 1

    def sqlite(self) -> None:
        with tempfile.TemporaryDirectory(prefix="ecocredit-bench-registry-") as tmp:
            inst = install(Path(tmp), "")
            try:
                path = inst.runtime.db.engine.url.database or ""
                with SqliteCeiling(path) as ceiling:
                    self.transfer_run("SQLite", inst, ceiling)
            finally:
                inst.dispose()

    def postgres(self, url: str | None) -> None:
        if not url:
            why = os.environ.get("ECOCREDIT_TEST_POSTGRES_SKIP", f"{PG_ENV} is not set")
            self.notes.append(f"PostgreSQL skipped: {why} (`make bench` starts one).")
            return
        with pg_schema(url) as schema_url, tempfile.TemporaryDirectory() as tmp:
            inst = install(Path(tmp), schema_url)
            try:
                with PgCeiling(schema_url) as ceiling:
                    self.transfer_run("PostgreSQL", inst, ceiling)
            finally:
                inst.dispose()

    def transfer_run(self, backend: str, inst: Installation, ceiling: Ceiling) -> None:
        bench = TransferBench(self.plan, inst, self.progress)
        run = TransferRun(backend)
        bench.run(ceiling, run)
        self.runs[backend] = run
        self.checks += bench.checks
        per_thread = max(1, self.plan.transfers // 2 // THREADS)
        grouped = grouped_transfers(inst, bench.batch, bench.who, per_thread, self.plan.seed)
        self.grouped[backend] = grouped
        name = f"{backend}: group commit, ledger entries written == successful transfers"
        found = f"{grouped.entries:,} entries, {grouped.succeeded:,} transfers"
        self.checks.append(Check(name, grouped.entries == grouped.succeeded, found))

    def issuance(self) -> None:
        self.issue = issue_bench(self.plan.recipients, self.plan.seed, self.progress)
        self.checks += self.issue.checks


def make_plan(args: argparse.Namespace) -> Plan:
    quick = bool(args.quick)
    return Plan(
        transfers=args.transfers or (1_500 if quick else 20_000),
        warmup=100,
        recipients=args.recipients or (100_000 if quick else 1_000_000),
        seed=args.seed,
        quick=quick,
        profile=args.profile,
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the ecocredit carbon registry.")
    parser.add_argument("--quick", action="store_true", help="a run of under a minute")
    parser.add_argument("--transfers", type=int, metavar="N", help="timed transfers per backend")
    parser.add_argument("--recipients", type=int, metavar="N", help="recipients of the issuance")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the random workload")
    parser.add_argument(
        "--profile",
        metavar="PREFIX",
        help="write cProfile stats of the timed transfers to PREFIX.sqlite, PREFIX.postgresql",
    )
    args = parser.parse_args(argv)
    if args.transfers is not None and args.transfers < ROUNDS:
        parser.error(f"--transfers must be at least {ROUNDS}")
    if args.recipients is not None and args.recipients < 1:
        parser.error("--recipients must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    plan = make_plan(parse_args(argv))
    err = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err) as progress:
        bench = Bench(plan, progress)
        bench.sqlite()
        bench.postgres(os.environ.get(PG_ENV))
        bench.issuance()
        bench.load = (bench.load[0], os.getloadavg()[0])
    out = Console(width=None if sys.stdout.isatty() else 140)
    out.print(summary_table(plan, bench))
    out.print(rounds_table(bench))
    out.print(checks_table(bench.checks))
    for note in grouped_notes(bench) + notes(plan, bench) + bench.notes:
        out.print(f"* {note}", highlight=False)
    result: dict[str, Any] = summary_json(plan, bench)
    print(json.dumps(result), flush=True)
    return 0 if result["checks_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
