"""Report of the ledger benchmark: the summary table, proof latencies, notes and the JSON line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

if TYPE_CHECKING:
    from ledger import Bench, Plan


def _rate_row(
    label: str, value: float | None, ref: str = "", ref_value: float = 0.0, target: float = 0.0
) -> list[str]:
    shown = "—" if value is None else f"{value:,.0f}/s"
    cells = [label, shown, f"{ref} {ref_value:,.0f}/s" if ref else "", "", "", ""]
    if ref and value is not None:
        cells[4] = f"{value / ref_value:.2f} × {ref.split()[0]}"
    if target:
        cells[3] = f"≥ {target:,.0f}/s"
        cells[5] = "—" if value is None else _verdict(value >= target)
    return cells


def _verdict(ok: bool) -> str:
    return "[green]ok[/]" if ok else "[bold red]MISS[/]"


def summary_table(plan: Plan, bench: Bench) -> Table:
    r, p = bench.rates, bench.proofs
    ceiling, pym = r["hash_ceiling_per_s"] or 0.0, r["pymerkle_append_per_s"] or 0.0
    batch, pym_n, pg_n = r["append_batch_per_s"], plan.pym_entries, plan.pg_entries
    rows = [
        _rate_row("RFC 9162 hashing: leaf + interior (ceiling)", ceiling),
        _rate_row("RFC 9162 hashing: leaf hashes only (info)", r["leaf_hash_per_s"]),
        _rate_row("SQLite append, batches of 1,000", batch, "ceiling", ceiling, 250_000),
        _rate_row("SQLite append, batches of 1,000", batch, f"pymerkle ({pym_n:,})", pym),
        _rate_row("SQLite append, 1 entry per transaction", r["append_single_per_s"], target=2e3),
        _rate_row("SQLite full verify_log", r["verify_per_s"], "ceiling", ceiling, 500_000),
        _rate_row(f"PostgreSQL append ({pg_n:,}), batches of 1,000", r["pg_append_batch_per_s"]),
        _rate_row("PostgreSQL append, 1 entry per transaction", r["pg_append_single_per_s"]),
    ]
    for kind in ("inclusion", "consistency"):
        ours, theirs = p[kind], p[f"pymerkle {kind}"]
        ratio = f"{theirs.mean / ours.mean:,.0f} × faster"
        label = f"{kind} proof, in one read txn"
        ref = f"pymerkle {theirs.mean:.2f} ms"
        rows.append([label, f"{ours.mean:.3f} ms", ref, "≤ 1 ms", ratio, _verdict(ours.mean <= 1)])
        label = f"{kind} proof, own read txn per call"
        rows.append([label, f"{p[kind + '+txn'].mean:.3f} ms", "", "", "", ""])
    table = Table(title=f"ecocredit ledger benchmark: {plan.entries:,} entries")
    for name in ("measure", "ecocredit", "reference", "target", "ratio", "verdict"):
        left = name == "measure"
        table.add_column(name, justify="left" if left else "right", no_wrap=name != "reference")
    for row in rows:
        table.add_row(*row)
    return table


def latency_table(plan: Plan, bench: Bench) -> Table:
    title = f"Proof latency (ms) at {plan.entries:,} entries; pymerkle at {plan.pym_entries:,}"
    table = Table("proofs by", title=title)
    for kind in ("incl.", "cons."):
        for stat in ("mean", "p50", "p99"):
            table.add_column(f"{kind} {stat}", justify="right")
    for label, key in (
        ("ecocredit, calls in one read transaction (JSON)", "{}"),
        ("ecocredit, each call opens a read transaction", "{}+txn"),
        ("pymerkle, subroot cache as shipped (JSON)", "pymerkle {}"),
        ("pymerkle, cache cleared before each call", "pymerkle {} cold"),
    ):
        cells = [label]
        for kind in ("inclusion", "consistency"):
            lat = bench.proofs[key.format(kind)]
            cells += [f"{lat.mean:.3f}", f"{lat.p50:.3f}", f"{lat.p99:.3f}"]
        table.add_row(*cells)
    return table


def summary_json(plan: Plan, bench: Bench) -> dict[str, Any]:
    def rate(key: str) -> int | None:
        value = bench.rates.get(key)
        return None if value is None else round(value)

    keys = ("append_batch_per_s", "append_single_per_s", "hash_ceiling_per_s")
    result: dict[str, Any] = {key: rate(key) for key in keys}
    result["inclusion_ms"] = round(bench.proofs["inclusion"].mean, 4)
    result["consistency_ms"] = round(bench.proofs["consistency"].mean, 4)
    result["verify_per_s"] = rate("verify_per_s")
    result["pymerkle_append_per_s"] = rate("pymerkle_append_per_s")
    result["pymerkle_inclusion_ms"] = round(bench.proofs["pymerkle inclusion"].mean, 2)
    result["pymerkle_consistency_ms"] = round(bench.proofs["pymerkle consistency"].mean, 2)
    result["leaf_hash_per_s"] = rate("leaf_hash_per_s")
    result["entries"], result["pymerkle_entries"] = plan.entries, plan.pym_entries
    result["pg_append_batch_per_s"] = rate("pg_append_batch_per_s")
    result["pg_append_single_per_s"] = rate("pg_append_single_per_s")
    return result


def notes(plan: Plan, repeats: int) -> list[str]:
    found = [
        f"Rates and our proof latencies are the best of {repeats} runs (pymerkle's appends too); "
        "the machine may be shared. Every sampled proof was verified, untimed.",
        "Proof latency in the JSON is timed inside one read transaction; the per-call figure "
        "that includes opening and closing a read transaction is printed beside it.",
        f"pymerkle's JSON figures: mean of {plan.pym_samples} random proofs of each kind with "
        "its subroot cache as shipped, starting empty; its cold figures clear the cache first.",
    ]
    if plan.entries != 1_000_000:
        found.append(f"The targets are for 1,000,000 entries; this run used {plan.entries:,}.")
    return found
