"""The year of a national network: import 365 site files, evaluate every station and city.

The parent writes the files (untimed) and starts a child process, ``air.py --year-child``,
which does the timed work on a fresh installation (a SQLite file, as ``ecocredit init`` makes
it), so that the peak resident memory it reports is the work's own and not the parent's.
The child reports on its stdout, one line per event: ``phase <name> <total>`` and
``advance <n>`` for the progress bar the parent draws, then ``result <json>``. An exception
in the code under test ends the child's work with its traceback in the result, not a crash.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from rich.progress import Progress, TaskID
from sqlalchemy.orm import Session

from air_data import Network, stations, write_year
from bench_common import pg_schema
from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import AccountKind, Role
from ecocredit.air import readers, service
from ecocredit.air.evaluate import Evaluation
from ecocredit.air.model import DataStatus, Station
from ecocredit.air.ops import imports
from ecocredit.db import Database
from ecocredit.runtime import initialize
from ecocredit.settings import Settings

YEAR = 2025
MONITOR = "bench-monitor"


@dataclass
class YearRun:
    """What the child measured, and what the parent knows of the files it wrote."""

    stations: int
    cities: int
    files: int = 0
    file_bytes: int = 0
    expected_values: int = 0
    generate_s: float = 0.0
    child: dict[str, Any] = field(default_factory=dict)

    @property
    def error(self) -> str | None:
        return self.child.get("error")

    def seconds(self, phase: str) -> float | None:
        value = self.child.get("seconds", {}).get(phase)
        return None if value is None else float(value)

    @property
    def total_s(self) -> float | None:
        return self.total_on("")

    def total_on(self, tag: str) -> float | None:
        """Import and both evaluations on one backend (``""`` SQLite, ``"postgres: "``)."""
        names = ("import", "evaluate_stations", "evaluate_cities")
        parts = [self.seconds(tag + p) for p in names]
        return None if any(p is None for p in parts) else sum(p or 0.0 for p in parts)

    @property
    def peak_mb(self) -> float | None:
        value = self.child.get("peak_rss_mb")
        return None if value is None else float(value)


class YearChild:
    """The child process, started before the parent grows (see :func:`year_bench`)."""

    def __init__(self, n_stations: int, n_cities: int) -> None:
        here = Path(__file__).with_name("air.py")
        args = [sys.executable, str(here), "--year-child"]
        args += ["--stations", str(n_stations), "--cities", str(n_cities)]
        self.process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        # Wait until it has imported everything, so that it is idle while the parent times.
        assert self.process.stdout is not None
        self.process.stdout.readline()

    def run(self, folder: Path, progress: Progress) -> dict[str, Any]:
        """Hand the child ``folder``; follow its progress; return its result."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(f"{folder}\n")
        stdin.close()
        result: dict[str, Any] = {"error": "the child process ended without a result"}
        task: tuple[TaskID, int] | None = None
        for line in stdout:
            word, _, rest = line.rstrip("\n").partition(" ")
            if word == "phase":
                name, _, total = rest.rpartition(" ")
                if task is not None:
                    progress.update(task[0], completed=task[1])
                task = (progress.add_task(f"child: {name}", total=int(total)), int(total))
            elif word == "advance" and task is not None:
                progress.advance(task[0], int(rest))
            elif word == "result":
                result = json.loads(rest)
        if self.process.wait() != 0 and "error" not in result:
            result["error"] = f"the child process exited with status {self.process.returncode}"
        return result

    def stop(self) -> None:
        """End a child that was given no work (it exits on the end of its input)."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        self.process.wait()


def year_bench(
    child: YearChild, n_stations: int, n_cities: int, seed: int, progress: Progress
) -> YearRun:
    """Write the year's files into a temporary folder and run the timed child on them.

    The child was started when the parent was small: Linux carries a process's peak RSS
    over ``fork`` and ``exec`` into ``ru_maxrss``, so a child started after the parent had
    held the throughput data would report the parent's peak instead of its own.
    """
    run = YearRun(n_stations, n_cities)
    with tempfile.TemporaryDirectory(prefix="ecocredit-bench-air-") as tmp:
        folder = Path(tmp) / "sites"
        folder.mkdir()
        codes = [s.code for s in stations(n_stations, n_cities)]
        days = (dt.date(YEAR + 1, 1, 1) - dt.date(YEAR, 1, 1)).days
        label = f"writing {days} site files of {n_stations:,} stations (untimed)"
        task = progress.add_task(label, total=days)
        start = time.perf_counter()
        for size, values in write_year(folder, YEAR, Network(n_stations, seed), codes):
            run.files, run.file_bytes = run.files + 1, run.file_bytes + size
            run.expected_values += values
            progress.advance(task)
        run.generate_s = time.perf_counter() - start
        run.child = child.run(folder, progress)
    return run


# --- the child ---------------------------------------------------------------------------


def _say(*words: object) -> None:
    print(*words, flush=True)


def _peak_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _high_water_mb() -> float | None:
    """VmHWM: the peak RSS of this process's own memory, not carried over from its parent."""
    try:
        with Path("/proc/self/status").open() as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@contextmanager
def _phase(out: dict[str, Any], name: str, total: int = 0) -> Iterator[Callable[[int], None]]:
    """Time one phase, record the peak RSS after it; announce it to the parent."""
    _say("phase", name, total or 1)
    start = time.perf_counter()
    yield lambda n: _say("advance", n)
    out["seconds"][name] = round(time.perf_counter() - start, 3)
    if not total:
        _say("advance", 1)
    out["rss_after_mb"][name] = round(_peak_mb(), 1)


def year_child(folder: Path, n_stations: int, n_cities: int) -> dict[str, Any]:
    """The timed work on the files in ``folder``; every figure goes into the result."""
    out: dict[str, Any] = {"seconds": {}, "rss_after_mb": {}, "rss_start_mb": _peak_mb()}
    with tempfile.TemporaryDirectory(prefix="ecocredit-bench-air-db-") as tmp:
        try:
            _child_work(folder, Path(tmp), n_stations, n_cities, out)
        except Exception:  # the code under test failed: report it, do not crash
            out["error"] = traceback.format_exc()
    out["peak_rss_mb"] = round(_peak_mb(), 1)
    high_water = _high_water_mb()
    out["vm_hwm_mb"] = None if high_water is None else round(high_water, 1)
    return out


def _install(data_dir: Path, network: list[Station], database_url: str = "") -> Database:
    """A fresh installation (as ``ecocredit init``), its monitoring operator and stations."""
    db = initialize(Settings(data_dir=data_dir, database_url=database_url)).runtime.db
    create = partial(
        accounts.create_account,
        name=MONITOR,
        roles=[Role.MONITOR],
        actor="admin",
        kind=AccountKind.ORGANISATION,
        with_key=False,
    )
    db.write(create)
    db.write(lambda s: service.register_stations(s, network, accounts.principal(s, MONITOR)))
    return db


def _child_work(
    folder: Path, data_dir: Path, n_stations: int, n_cities: int, out: dict[str, Any]
) -> None:
    network = stations(n_stations, n_cities)
    codes = [s.code for s in network]
    paths = sorted(folder.glob("*.csv"))
    with _phase(out, "parse floor: read_grid_bytes", len(paths)) as advance:
        rejected = 0
        for path in paths:
            grid = readers.read_grid_bytes(path.read_bytes(), path.name, stations=codes)
            rejected += len(grid.rejects)
            advance(1)
        out["parse_rejects"] = rejected
    _import_and_evaluate(_install(data_dir / "sqlite", network), paths, out, "")
    postgres = os.environ.get("ECOCREDIT_TEST_POSTGRES_URL")
    if postgres:
        # The production database, on the server `make bench` starts: the same work again.
        with pg_schema(postgres) as url:
            db = _install(data_dir / "postgres", network, url)
            _import_and_evaluate(db, paths, out, "postgres: ")


def _import_and_evaluate(db: Database, paths: list[Path], out: dict[str, Any], tag: str) -> None:
    with _phase(out, f"{tag}import", len(paths)) as advance:
        start = time.perf_counter()
        files = [imports.SourceFile(p.name, p.read_bytes()) for p in paths]
        out[f"{tag}read_files_s"] = round(time.perf_counter() - start, 3)
        report = db.write(partial(_import, files=files, advance=advance))
        files.clear()
    out[f"{tag}import"] = {
        "values_written": report.values_written,
        "rejects": len(report.rejects),
        "first_rejects": [r.describe() for r in report.rejects[:5]],
        "files": len(report.files),
        "published_compared": report.published_compared,
        "published_matched": report.published_matched,
    }
    for cities in (False, True):
        name = f"{tag}evaluate_cities" if cities else f"{tag}evaluate_stations"
        with _phase(out, name) as _, db.read() as session:
            evaluations = service.evaluate_year(session, YEAR, cities=cities)
        out[name] = _summary(evaluations)
    db.dispose()


def _import(
    session: Session, files: list[imports.SourceFile], advance: Callable[[int], None]
) -> imports.ImportReport:
    """All the files in one call, as the monitoring operator (in the caller's transaction)."""
    actor = accounts.principal(session, MONITOR)
    return imports.run(session, files, status=DataStatus.REALTIME, actor=actor, progress=advance)


def _summary(evaluations: list[Evaluation]) -> dict[str, Any]:
    """How many subjects were evaluated and what was found (for a sanity check)."""
    compliant = sum(e.compliant is True for e in evaluations)
    judged = sum(e.compliant is not None for e in evaluations)
    good = [e.good_day_share for e in evaluations if e.good_day_share is not None]
    return {
        "subjects": len(evaluations),
        "judged": judged,
        "compliant": compliant,
        "mean_good_day_share": round(sum(good) / len(good), 1) if good else None,
        "mean_days_with_aqi": (
            round(sum(e.days_with_aqi for e in evaluations) / len(evaluations), 1)
            if evaluations
            else None
        ),
    }


def child_main(n_stations: int, n_cities: int) -> int:
    """Entry of ``air.py --year-child``: wait for the folder on stdin, run, print the result."""
    _say("ready")
    folder = sys.stdin.readline().strip()
    if not folder:
        return 0  # the parent stopped before the year
    result = year_child(Path(folder), n_stations, n_cities)
    _say("result", json.dumps(result))
    return 0 if "error" not in result else 1
