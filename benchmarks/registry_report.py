"""Report of the registry benchmark: the summary, the rounds, the checks, notes and JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

from registry_setup import HOLDERS

if TYPE_CHECKING:
    from registry import Bench, Plan, TransferRun
    from registry_issue import IssueRun
    from registry_setup import Check

MILLION = 1_000_000
_TARGETS = {"SQLite": 2_000.0, "PostgreSQL": 1_000.0}
ISSUE_TARGET_S = 60.0


def _verdict(ok: bool) -> str:
    return "[green]ok[/]" if ok else "[bold red]MISS[/]"


def _transfer_row(backend: str, run: TransferRun | None) -> list[str]:
    target = _TARGETS[backend]
    label = f"{backend}: transfers/s via registry.service.transfer, 1 per txn"
    if run is None:
        return [label, "skipped", "", f"≥ {target:,.0f}/s", "", "—"]
    rate, ceiling = run.rate, run.ceiling
    return [
        label,
        f"{rate:,.0f}/s",
        f"bare SQL {ceiling:,.0f}/s",
        f"≥ {target:,.0f}/s",
        f"{rate / ceiling:.2f} × bare SQL",
        _verdict(rate >= target),
    ]


def _issue_rows(issue: IssueRun) -> list[list[str]]:
    n, s, floor = issue.recipients, issue.seconds, issue.floor_seconds
    ratio = f"{s / floor:.1f} × bare SQL"
    target = f"≤ {ISSUE_TARGET_S:.0f} s"
    if n == MILLION:
        label = "issue one batch to 1,000,000 recipients, one txn"
        verdict = _verdict(s <= ISSUE_TARGET_S)
        return [[label, f"{s:.1f} s", f"bare SQL {floor:.1f} s", target, ratio, verdict]]
    scaled = issue.scaled(s)
    raw = [f"issue one batch to {n:,} recipients (raw, measured)", f"{s:.1f} s"]
    raw += [f"bare SQL {floor:.1f} s", "", ratio, ""]
    label = f"  scaled ×{MILLION / n:g} to 1,000,000 recipients (linear)"
    extrapolated = [label, f"{scaled:.1f} s", f"bare SQL {issue.scaled(floor):.1f} s", target]
    extrapolated += [ratio, _verdict(scaled <= ISSUE_TARGET_S)]
    return [raw, extrapolated]


def summary_table(plan: Plan, bench: Bench) -> Table:
    """The figures, each with its target and the reference measured beside it."""
    title = f"ecocredit registry benchmark: {plan.transfers:,} transfers per backend"
    table = Table(title=title)
    for name in ("measure", "ecocredit", "reference", "target", "ratio", "verdict"):
        table.add_column(name, justify="left" if name == "measure" else "right", no_wrap=True)
    for backend, run in bench.runs.items():
        table.add_row(*_transfer_row(backend, run))
    if bench.issue is not None:
        for row in _issue_rows(bench.issue):
            table.add_row(*row)
        setup = f"{bench.issue.setup_seconds:.1f} s"
        label = f"setup, untimed: bulk-insert {bench.issue.recipients:,} accounts"
        table.add_row(label, setup, "", "", "", "")
    return table


def rounds_table(bench: Bench) -> Table:
    """Each round of transfers beside its ceiling round, with latency and block movement."""
    table = Table(title="Transfer rounds (in order; the batch fragments as the run goes on)")
    for name in ("backend", "round", "transfers", "per s", "bare SQL per s", "ratio"):
        table.add_column(name, justify="left" if name == "backend" else "right")
    for name in ("blocks moved / transfer", "mean ms", "p50 ms", "p99 ms", "CPU ms"):
        table.add_column(name, justify="right")
    for backend, run in bench.runs.items():
        if run is None:
            continue
        for i, r in enumerate(run.rounds, 1):
            rate, ceiling = r.transfers / r.seconds, r.transfers / r.ceiling_seconds
            table.add_row(
                backend,
                str(i),
                f"{r.transfers:,}",
                f"{rate:,.0f}",
                f"{ceiling:,.0f}",
                f"{rate / ceiling:.2f}",
                f"{r.moved / r.transfers:.1f}",
                f"{1000 * r.seconds / r.transfers:.3f}",
                f"{r.p(0.5):.3f}",
                f"{r.p(0.99):.3f}",
                f"{1000 * r.cpu_seconds / r.transfers:.3f}",
            )
    return table


def checks_table(checks: list[Check]) -> Table:
    """What was verified after each phase, and what was found."""
    table = Table("check", "result", "found", title="State checks after the runs")
    for check in checks:
        table.add_row(check.name, "[green]ok[/]" if check.ok else "[bold red]FAIL[/]", check.found)
    return table


def grouped_notes(bench: Bench) -> list[str]:
    """The group-commit phase: the API's write path with concurrent clients."""
    found = []
    for backend, run in bench.grouped.items():
        single = bench.runs.get(backend)
        beside = f" (one writer, one commit each: {single.rate:,.0f}/s)" if single else ""
        found.append(
            f"{backend}, group commit (Database.submit, the API's path): {run.threads} client "
            f"threads in this process, {run.succeeded:,} transfers in {run.seconds:.1f} s = "
            f"{run.rate:,.0f}/s{beside}; {run.refused:,} refused for insufficient balance."
        )
    return found


def notes(plan: Plan, bench: Bench) -> list[str]:
    """How to read the figures."""
    found = [
        "Each transfer is its own runtime.db.write (BEGIN IMMEDIATE on SQLite, the log head's "
        "row lock on PostgreSQL) calling registry.service.transfer: one operation per commit, "
        "as the API gives a single client (its group commit shares commits only among "
        "concurrent requests). Callers are looked up once, as an authenticated request has "
        "its principal before it writes; no HTTP, no idempotency key. Random amounts below "
        f"1,000 credits (six decimals) between random pairs of {HOLDERS} holders of one batch, "
        "the same list on each backend.",
        f"A rate is all timed transfers over their total time ({plan.warmup} warm-up transfers "
        "untimed), not the best round: the batch fragments as transfers run, so rounds are "
        "not repeats. Ceiling rounds run beside them, alternately before and after.",
        "Bare SQL ceiling: per transaction one UPDATE of a balance row and one INSERT of a "
        "real transfer entry (bytes and leaf hash) into scratch tables of the same database, "
        "through the driver (sqlite3 with BEGIN IMMEDIATE … COMMIT; psycopg with commit()).",
    ]
    found.append(
        f"Load average (1 min) at start {bench.load[0]:.1f}, at end {bench.load[1]:.1f} on "
        f"{bench.cpus} CPUs: the machine may be shared, which is why each reference runs beside "
        "its figure."
    )
    for backend, run in bench.runs.items():
        if run is not None:
            found.append(
                f"{backend}: {run.settings}; {run.blocks_end:,} blocks in the batch after the "
                f"run; mean {run.mean_ms:.3f} ms per transfer, of which this process's CPU "
                f"{run.cpu_ms:.3f} ms."
            )
    issue = bench.issue
    if issue is not None:
        found.append(
            f"Issuance setup: {issue.recipients:,} holder accounts bulk-inserted into accounts "
            "and account_roles (two executemany, one transaction, untimed; no account.created "
            "entries). Timed: one db.write of registry.service.issue with a 10 % buffer share. "
            "Bare SQL floor: the same block rows and log entries inserted again through "
            f"sqlite3 in one transaction (then deleted). The issuance took {issue.seconds:.1f} s, "
            f"of which this process's CPU {issue.cpu_seconds:.1f} s."
        )
        if issue.recipients != MILLION:
            found.append(
                f"The issuance target is for 1,000,000 recipients; this run used "
                f"{issue.recipients:,} and scales linearly (issue_1m_recipients_s is scaled; "
                "issue_raw_s is measured). Linear scaling assumes the cost per recipient does not "
                "grow with the number of accounts; only a full run shows whether it does."
            )
    return found


def _rate(run: TransferRun | None, attr: str) -> int | None:
    return None if run is None else round(float(getattr(run, attr)))


def summary_json(plan: Plan, bench: Bench) -> dict[str, Any]:
    """The figures as one JSON object (the last line of stdout)."""
    lite, pg, issue = bench.runs["SQLite"], bench.runs["PostgreSQL"], bench.issue
    result: dict[str, Any] = {
        "transfer_per_s_sqlite": _rate(lite, "rate"),
        "sql_ceiling_per_s_sqlite": _rate(lite, "ceiling"),
        "transfer_per_s_postgres": _rate(pg, "rate"),
        "sql_ceiling_per_s_postgres": _rate(pg, "ceiling"),
        "issue_1m_recipients_s": None,
        "issue_recipients": plan.recipients,
        "transfers": plan.transfers,
    }
    if issue is not None:
        result["issue_1m_recipients_s"] = round(issue.scaled(issue.seconds), 2)
        result["issue_raw_s"] = round(issue.seconds, 2)
        result["issue_cpu_raw_s"] = round(issue.cpu_seconds, 2)
        result["issue_sql_floor_raw_s"] = round(issue.floor_seconds, 2)
        result["issue_setup_accounts_s"] = round(issue.setup_seconds, 2)
        result["issue_scaled"] = issue.recipients != MILLION
    for key, run in (("sqlite", lite), ("postgres", pg)):
        result[f"transfer_mean_ms_{key}"] = None if run is None else round(run.mean_ms, 3)
        result[f"transfer_cpu_ms_{key}"] = None if run is None else round(run.cpu_ms, 3)
        result[f"blocks_after_transfers_{key}"] = None if run is None else run.blocks_end
    for key, backend in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        grouped = bench.grouped.get(backend)
        result[f"transfer_per_s_{key}_group_commit"] = None
        if grouped is not None:
            result[f"transfer_per_s_{key}_group_commit"] = round(grouped.rate)
            result["group_commit_threads"] = grouped.threads
    result["pg_settings"] = None if pg is None else pg.settings
    result["checks_ok"] = all(check.ok for check in bench.checks)
    result["quick"] = plan.quick
    return result
