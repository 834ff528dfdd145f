"""Ledger benchmark: appends, proofs and full verification of the stored Merkle log.

On the same deterministic ledger entries (canonical JSON, ~150-250 bytes each) it measures
appends/s in batches of 1,000 and one entry per transaction (SQLite, and PostgreSQL when
``ECOCREDIT_TEST_POSTGRES_URL`` is set, as ``make bench`` does), inclusion and consistency proof
latency at the full tree size, and full ``verify_log`` entries/s. Beside them: the raw RFC 9162
hashing rate of the same entries in this process (leaf and interior hashes, what an append must
hash: the ceiling) and pymerkle's SQLite backend. Every sampled proof is verified, untimed,
against roots computed in memory. The last line of stdout is one JSON object of the figures;
``--quick`` runs in under a minute.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pymerkle
import rfc8785
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy.orm import Session

from bench_common import pg_schema
from ecocredit import migrate
from ecocredit.db import Database
from ecocredit.ledger import merkle, store, verify
from ecocredit.ledger.note import Signer
from ledger_report import latency_table, notes, summary_json, summary_table

BATCH = 1_000
REPEATS = 3  # the machine may be shared: timings keep the best of this many runs
PG_ENV = "ECOCREDIT_TEST_POSTGRES_URL"
ProofQuery = Callable[[Session], list[bytes]]
_TEMPLATES = (  # payloads of four event types, keys in canonical (sorted) order
    ("credit.issued", '{{"amount":"{a}","batch":"{b}","project":"{p}","vintage":{v}}}'),
    ("credit.transferred", '{{"amount":"{a}","batch":"{b}","from":"{u}","to":"{w}"}}'),
    (
        "credit.retired",
        '{{"amount":"{a}","batch":"{b}","beneficiary":"{w}","reason":"offset {v}"}}',
    ),
    ("measurement.recorded", '{{"evidence":"{h}","method":"VM0042","project":"{p}","unit":"t"}}'),
)


@dataclass(frozen=True)
class Plan:
    """How much work each phase does."""

    entries: int
    singles: int
    samples: int
    pg_entries: int
    pg_singles: int
    pym_entries: int
    pym_samples: int
    pym_cold: int
    seed: int


@dataclass(frozen=True)
class Latency:
    """Mean, median and 99th percentile of a latency sample, in milliseconds."""

    mean: float
    p50: float
    p99: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        ms = sorted(s * 1000 for s in seconds)
        return cls(
            statistics.fmean(ms), ms[len(ms) // 2], ms[min(len(ms) - 1, len(ms) * 99 // 100)]
        )


class Reference:
    """Every complete subtree hash of the tree, computed in memory: the root at any size."""

    def __init__(self, leaves: list[bytes], completed: list[merkle.Completed]) -> None:
        self.levels: list[list[bytes]] = [leaves]
        for run in completed:  # one run per level, left to right, when built in one call
            if run.level == len(self.levels):
                self.levels.append([])
            self.levels[run.level].extend(run.hashes)

    def root(self, size: int) -> bytes:
        return merkle.fold([self.levels[n.level][n.index] for n in merkle.frontier_nodes(size)])


def make_plan(args: argparse.Namespace) -> Plan:
    quick = bool(args.quick)
    n = args.entries or (200_000 if quick else 1_000_000)
    return Plan(
        entries=n,
        singles=1_000 if quick else 5_000,
        samples=200 if quick else 1_000,
        pg_entries=min(n, 50_000 if quick else 200_000),
        pg_singles=500 if quick else 2_000,
        pym_entries=min(n, 50_000) if quick else n,
        pym_samples=20 if quick else 50,
        pym_cold=3 if quick else 5,
        seed=args.seed,
    )


def make_entries(count: int, seed: int) -> list[bytes]:
    """Return ``count`` ledger entries, made distinct by strictly increasing times."""
    rng, start, entries = random.Random(seed), 1_717_200_000_000, []  # 2024-06-01T00:00Z, ms
    for i in range(count):
        kind, template = _TEMPLATES[rng.randrange(len(_TEMPLATES))]
        vintage, project = rng.randrange(2015, 2025), f"VCS-{rng.randrange(1000, 10_000)}"
        data = template.format(
            a=f"{rng.randrange(1, 100_000)}.{rng.randrange(1000):03d}",
            b=f"{project}-{vintage}-{rng.randrange(10**6):06d}",
            p=project,
            v=vintage,
            u=f"acct-{rng.randrange(100_000):05d}",
            w=f"acct-{rng.randrange(100_000):05d}",
            h=f"{rng.getrandbits(256):064x}",
        )
        ms = start + i * 250 + rng.randrange(250)
        when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"
        actor = f"acct-{rng.randrange(100_000):05d}"
        entries.append(f'{{"actor":"{actor}","data":{data},"time":"{when}","type":"{kind}"}}')
    encoded = [e.encode() for e in entries]
    for entry in encoded[:200]:
        if rfc8785.dumps(json.loads(entry)) != entry:
            raise AssertionError(f"benchmark entry is not canonical JSON: {entry!r}")
    return encoded


def time_proofs(
    db: Database, queries: Sequence[ProofQuery], own_txn: bool
) -> tuple[list[float], list[list[bytes]]]:
    """Time each query: all inside one read transaction, or each opening its own."""
    times: list[float] = []
    proofs: list[list[bytes]] = []
    with db.read() as shared:
        for query in queries[:5]:  # warm SQLAlchemy's statement caches
            query(shared)
        for query in queries:
            t0 = time.perf_counter()
            with db.read() if own_txn else nullcontext(shared) as session:
                proofs.append(query(session))
            times.append(time.perf_counter() - t0)
    return times, proofs


def _proof_query(prove: Callable[..., list[bytes]], arg: int, size: int) -> ProofQuery:
    return lambda session: prove(session, arg, size)


class Bench:
    """One run: the plan, the entries (the tree's, then the single appends'), the figures."""

    def __init__(self, plan: Plan, entries: list[bytes], progress: Progress) -> None:
        self.plan, self.entries, self.progress = plan, entries, progress
        self.rates: dict[str, float | None] = {}
        self.proofs: dict[str, Latency] = {}
        self.notes: list[str] = []
        self.ref = self.hash_ceiling(entries[: plan.entries])

    def hash_ceiling(self, entries: Sequence[bytes], repeats: int = REPEATS) -> Reference:
        """Time leaf hashing, then leaf + interior hashing (``merkle.extend``); best of runs."""
        task = self.progress.add_task(f"hash ceiling (best of {repeats})", total=repeats)
        sha256, best_leaf, best_all = hashlib.sha256, float("inf"), float("inf")
        leaves: list[bytes] = []
        completed: list[merkle.Completed] = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            leaves = [sha256(b"\x00" + entry).digest() for entry in entries]  # as append does
            t1 = time.perf_counter()
            completed = merkle.extend([], 0, leaves)
            t2 = time.perf_counter()
            best_leaf, best_all = min(best_leaf, t1 - t0), min(best_all, t2 - t0)
            self.progress.advance(task)
        self.rates["leaf_hash_per_s"] = len(entries) / best_leaf
        self.rates["hash_ceiling_per_s"] = len(entries) / best_all
        if leaves[0] != merkle.leaf_hash(entries[0]):
            raise AssertionError("the inline leaf hash differs from merkle.leaf_hash")
        return Reference(leaves, completed)

    def append_rate(self, db: Database, entries: Sequence[bytes], batch: int, label: str) -> float:
        """Append ``entries`` in write transactions of ``batch`` entries; return entries/s."""
        task = self.progress.add_task(label, total=len(entries))
        t0 = time.perf_counter()
        for start in range(0, len(entries), batch):
            chunk = entries[start : start + batch]
            db.write(partial(store.append, entries=chunk))
            self.progress.advance(task, len(chunk))
        return len(entries) / (time.perf_counter() - t0)

    def check_proofs(
        self, kind: str, size: int, args: list[int], proofs: list[list[bytes]]
    ) -> None:
        root = self.ref.root(size)
        for arg, proof in zip(args, proofs, strict=True):
            if kind == "inclusion":
                merkle.verify_inclusion(merkle.leaf_hash(self.entries[arg]), arg, size, proof, root)
            else:
                merkle.verify_consistency(arg, size, self.ref.root(arg), root, proof)

    def time_our_proofs(self, db: Database, size: int) -> None:
        """Time random inclusion and consistency proofs at ``size``, best pass of REPEATS."""
        rng, count = random.Random(size), self.plan.samples
        args = {
            "inclusion": [rng.randrange(size) for _ in range(count)],
            "consistency": [rng.randrange(1, size) for _ in range(count)],
        }
        prove = {"inclusion": store.inclusion_proof, "consistency": store.consistency_proof}
        task = self.progress.add_task(f"proofs at {size:,} entries", total=4 * REPEATS * count)
        for kind, kind_args in args.items():
            queries = [_proof_query(prove[kind], a, size) for a in kind_args]
            for suffix, own_txn in (("", False), ("+txn", True)):
                passes = []
                for _ in range(REPEATS):
                    times, proofs = time_proofs(db, queries, own_txn)
                    self.check_proofs(kind, size, kind_args, proofs)  # untimed; raises if wrong
                    passes.append(Latency.of(times))
                    self.progress.advance(task, count)
                self.proofs[kind + suffix] = min(passes, key=lambda lat: lat.mean)

    def verify(self, db: Database, size: int) -> None:
        verifier = Signer.generate("bench.example/log").verifier
        label = f"verify_log of {size:,} entries (best of {REPEATS})"
        task, best = self.progress.add_task(label, total=REPEATS * size), 0.0
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            with db.read() as session:
                report = verify.verify_log(session, verifier, partial(self.progress.advance, task))
            best = max(best, size / (time.perf_counter() - t0))
            if report.size != size:
                raise AssertionError(f"verify_log covered {report.size} entries, not {size}")
        self.rates["verify_per_s"] = best

    def sqlite(self) -> None:
        """Batched appends (best of fresh logs), proofs at full size, single appends, verify."""
        n, best = self.plan.entries, 0.0
        with tempfile.TemporaryDirectory(prefix="ecocredit-bench-") as tmp:
            for attempt in range(1, REPEATS + 1):
                for old in Path(tmp).iterdir():  # the previous attempt's log
                    old.unlink()
                db = Database(f"sqlite:///{Path(tmp) / 'ledger.db'}")
                migrate.upgrade(db)
                label = f"SQLite: append {n:,} in batches of {BATCH:,} ({attempt}/{REPEATS})"
                best = max(best, self.append_rate(db, self.entries[:n], BATCH, label))
                if attempt < REPEATS:
                    db.dispose()
            self.rates["append_batch_per_s"] = best
            try:
                with db.read() as session:
                    if store.root_at(session, n) != self.ref.root(n):
                        raise AssertionError("the stored root differs from the in-memory root")
                self.time_our_proofs(db, n)
                self.rates["append_single_per_s"] = self.single_appends(db, self.entries[n:])
                self.verify(db, len(self.entries))
            finally:
                db.dispose()

    def single_appends(self, db: Database, entries: Sequence[bytes]) -> float:
        """Append one entry per transaction in REPEATS rounds; return the best round's rate."""
        k = -(-len(entries) // REPEATS)
        rounds = [entries[i : i + k] for i in range(0, len(entries), k)]
        name = "SQLite" if db.is_sqlite else "PostgreSQL"
        return max(
            self.append_rate(
                db, chunk, 1, f"{name}: append {len(chunk):,} x 1 entry ({r}/{REPEATS})"
            )
            for r, chunk in enumerate(rounds, 1)
        )

    def postgres(self, url: str | None) -> None:
        self.rates["pg_append_batch_per_s"] = self.rates["pg_append_single_per_s"] = None
        if not url:
            why = os.environ.get("ECOCREDIT_TEST_POSTGRES_SKIP", f"{PG_ENV} is not set")
            self.notes.append(f"PostgreSQL skipped: {why} (`make bench` starts one).")
            return
        n, k = self.plan.pg_entries, self.plan.pg_singles
        with pg_schema(url) as schema_url:
            db = Database(schema_url)
            try:
                migrate.upgrade(db)
                label = f"PostgreSQL: append {n:,} in batches of {BATCH:,}"
                self.rates["pg_append_batch_per_s"] = self.append_rate(
                    db, self.entries[:n], BATCH, label
                )
                singles = self.entries[n : n + k]
                self.rates["pg_append_single_per_s"] = self.single_appends(db, singles)
            finally:
                db.dispose()
        self.notes.append(
            f"PostgreSQL: {n:,} entries appended in batches (one run), then {k:,} singly "
            f"(best of {REPEATS} rounds)."
        )

    def pymerkle(self) -> None:
        """Time pymerkle's SqliteTree: bulk append (best of fresh trees), then proofs."""
        size, best = self.plan.pym_entries, 0.0
        label = f"pymerkle: append_entries({size:,}) (best of {REPEATS})"
        task = self.progress.add_task(label, total=REPEATS)
        with tempfile.TemporaryDirectory(prefix="ecocredit-bench-pymerkle-") as tmp:
            for attempt in range(REPEATS):
                tree = pymerkle.SqliteTree(str(Path(tmp) / f"pymerkle-{attempt}.db"))
                t0 = time.perf_counter()
                tree.append_entries(self.entries[:size])
                best = max(best, size / (time.perf_counter() - t0))
                self.progress.advance(task)
                if attempt < REPEATS - 1:
                    tree.close()
                    (Path(tmp) / f"pymerkle-{attempt}.db").unlink()
            self.rates["pymerkle_append_per_s"] = best
            try:
                self.time_pymerkle_proofs(tree, size, " cold", self.plan.pym_cold)
                tree.cache_clear()
                self.time_pymerkle_proofs(tree, size, "", self.plan.pym_samples)
            finally:
                tree.close()

    def time_pymerkle_proofs(self, tree: Any, size: int, suffix: str, count: int) -> None:
        """Time pymerkle's proofs (1-based); ``cold`` clears its subroot cache before each."""
        rng, root = random.Random(size + len(suffix)), self.ref.root(size)
        times: dict[str, list[float]] = {"inclusion": [], "consistency": []}
        task = self.progress.add_task(f"pymerkle: {2 * count} proofs{suffix}", total=2 * count)
        for _ in range(count):
            i, first = rng.randrange(size), rng.randrange(1, size)
            for kind, args in (("inclusion", (i + 1, size)), ("consistency", (first, size))):
                if suffix:
                    tree.cache_clear()
                prove = tree.prove_inclusion if kind == "inclusion" else tree.prove_consistency
                t0 = time.perf_counter()
                proof = prove(*args)
                times[kind].append(time.perf_counter() - t0)
                if kind == "inclusion":
                    pymerkle.verify_inclusion(merkle.leaf_hash(self.entries[i]), root, proof)
                else:
                    pymerkle.verify_consistency(self.ref.root(first), root, proof)
                self.progress.advance(task)
        for kind, sample in times.items():
            self.proofs[f"pymerkle {kind}{suffix}"] = Latency.of(sample)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the ecocredit Merkle log.")
    parser.add_argument("--quick", action="store_true", help="a run of under a minute")
    parser.add_argument("--entries", type=int, metavar="N", help="entries in the SQLite tree")
    parser.add_argument("--seed", type=int, default=9162, help="seed of the generated entries")
    args = parser.parse_args(argv)
    if args.entries is not None and args.entries < 16:
        parser.error("--entries must be at least 16")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    plan = make_plan(parse_args(argv))
    err = Console(stderr=True)
    with err.status(f"generating {plan.entries + plan.singles:,} ledger entries"):
        entries = make_entries(plan.entries + plan.singles, plan.seed)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err) as progress:
        bench = Bench(plan, entries, progress)
        gc.freeze()  # the entries and the reference tree are not under test: GC need not scan them
        bench.sqlite()
        bench.postgres(os.environ.get(PG_ENV))
        bench.pymerkle()
    out = Console(width=None if sys.stdout.isatty() else 140)
    out.print(summary_table(plan, bench))
    out.print(latency_table(plan, bench))
    for note in notes(plan, REPEATS) + bench.notes:
        out.print(f"* {note}", highlight=False)
    print(json.dumps(summary_json(plan, bench)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
