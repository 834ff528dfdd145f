"""Air-quality benchmark: hourly AQI throughput, and a year of a national network end to end.

Hourly AQI: ``air.aqi.hourly_aqi`` on 10,000,000 station-hours (1,000,000 with ``--quick``)
of realistic values (see ``air_data``: integer µg/m³, CO in mg/m³ with one decimal, about 1%
missing) under HJ 633-2012 and HJ 633-2026, the median of 5 runs after a warm-up, beside the
bare numpy ceiling on the same data (``np.interp`` per pollutant, ``np.ceil``, the maximum)
timed the same way, and beside python-aqi (pure Python, ``decimal``) timed on a random
sample of 20,000 station-hours, whose answers are also compared with ours.

The year: 365 national daily site files of 2025 for 2,000 stations in 300 cities (200 in 30
with ``--quick``) are written untimed; a child process then imports them through
``air.ops.imports.run`` in one call and one transaction on a fresh SQLite installation, and
evaluates every station and every city with ``air.service.evaluate_year``. Beside it, the
parse floor: reading the same files with ``air.readers.read_grid_bytes`` alone. The child's
own peak RSS is reported. The last line of stdout is one JSON object of the figures;
``--quick`` runs in under a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from air_data import station_hours
from air_rates import (
    RULE_SETS,
    PeerRun,
    Rate,
    ceiling_agreement,
    paired_rates,
    peer_json,
    peer_run,
)
from air_report import checks, notes, summary_json, summary_table
from air_year import YearChild, YearRun, child_main, year_bench

RUNS = 5


@dataclass(frozen=True)
class Plan:
    """How much work each phase does."""

    station_hours: int
    sample: int
    stations: int
    cities: int
    seed: int
    quick: bool
    year: bool


@dataclass
class Bench:
    """The figures of one run."""

    plan: Plan
    ours: dict[str, Rate] = field(default_factory=dict)
    ceiling: dict[str, Rate] = field(default_factory=dict)
    agreement: dict[str, tuple[int, int]] = field(default_factory=dict)
    peer: PeerRun | None = None
    year: YearRun | None = None
    load: tuple[float, float] = (0.0, 0.0)
    cpus: int = 1


def rates(bench: Bench, progress: Progress) -> None:
    """Figures 1–3: the hourly AQI, its numpy ceiling, python-aqi on a sample."""
    plan = bench.plan
    task = progress.add_task(f"generating {plan.station_hours:,} station-hours", total=None)
    values = station_hours(plan.station_hours, plan.seed)
    progress.update(task, total=1, completed=1)
    for name in RULE_SETS:
        label = f"hourly_aqi and numpy ceiling {name}: warm-up + {RUNS} runs each"
        task = progress.add_task(label, total=RUNS + 1)
        tick = partial(progress.advance, task)
        bench.ours[name], bench.ceiling[name] = paired_rates(values, name, RUNS, tick)
        bench.agreement[name] = ceiling_agreement(values, name)
    task = progress.add_task(f"python-aqi on {plan.sample:,} station-hours", total=plan.sample)
    bench.peer = peer_run(values, plan.sample, plan.seed, lambda n: progress.advance(task, n))
    progress.update(task, completed=plan.sample)


def make_plan(args: argparse.Namespace) -> Plan:
    quick = bool(args.quick)
    stations = args.stations or (200 if quick else 2_000)
    return Plan(
        station_hours=args.station_hours or (1_000_000 if quick else 10_000_000),
        sample=args.sample,
        stations=stations,
        cities=max(1, round(stations * 0.15)),
        seed=args.seed,
        quick=quick,
        year=not args.no_year,
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the ecocredit air-quality code.")
    parser.add_argument("--quick", action="store_true", help="a run of under a minute")
    parser.add_argument(
        "--station-hours", type=int, metavar="N", help="station-hours of the AQI throughput"
    )
    parser.add_argument(
        "--sample", type=int, default=20_000, metavar="N", help="station-hours for python-aqi"
    )
    parser.add_argument("--stations", type=int, metavar="N", help="stations of the year")
    parser.add_argument("--no-year", action="store_true", help="skip the year (import, evaluate)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the synthetic data")
    parser.add_argument("--year-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cities", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.station_hours is not None and args.station_hours < 1:
        parser.error("--station-hours must be at least 1")
    if args.stations is not None and args.stations < 1:
        parser.error("--stations must be at least 1")
    if args.station_hours is not None and args.sample > args.station_hours:
        parser.error("--sample must not exceed --station-hours")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.year_child:
        return child_main(args.stations, args.cities)
    plan = make_plan(args)
    bench = Bench(plan, load=(os.getloadavg()[0], 0.0), cpus=os.cpu_count() or 1)
    err = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    # Started now, while this process is small: see year_bench.
    child = YearChild(plan.stations, plan.cities) if plan.year else None
    try:
        with Progress(*columns, TimeElapsedColumn(), console=err) as progress:
            rates(bench, progress)
            if child is not None:
                bench.year = year_bench(child, plan.stations, plan.cities, plan.seed, progress)
    finally:
        if child is not None:
            child.stop()
    bench.load = (bench.load[0], os.getloadavg()[0])
    out = Console(width=None if sys.stdout.isatty() else 140)
    out.print(summary_table(bench))
    found = checks(bench)
    out.print(found.table)
    for note in notes(bench):
        out.print(f"* {note}", highlight=False)
    result: dict[str, Any] = summary_json(bench, found.ok)
    if bench.peer is not None:
        result["python_aqi"] = peer_json(bench.peer)
    print(json.dumps(result), flush=True)
    return 0 if found.ok else 1


if __name__ == "__main__":
    sys.exit(main())
