"""Carbon-inclusion benchmark: actions through the service, a year in bulk, photo lookups.

Targets: >= 10,000 actions/s through the service with every check on SQLite; a year at the
brief's scale (11.248 million participants, 100 million actions) in <= 30 minutes and
<= 4 GB; a near-duplicate photo lookup among 1,000,000 stored hashes in <= 5 ms.

1. ``actions_per_s``: ``batch.submit_many`` in batches of 1,000 on a fresh SQLite
   installation, each action carrying its own 64×48 JPEG, timed whole (hashing the photos,
   reducing, every fact query, the decisions, the writes, one log entry per batch). Beside it,
   in the same run: the ceiling of writing the same rows with one raw executemany per batch.
2. ``year_at_brief_scale_s`` and ``bulk_actions_per_s``: a child process imports a year of
   clean-plate check-ins (written untimed first as daily Parquet files) with
   ``year_import.import_year`` on a fresh installation: checks, survey, decisions, writes,
   and the indexes rebuilt. It reports its own time and peak RSS. The year is the brief's
   scaled down: 10 times (10 million actions of 1.1248 million participants; about 6 GB of
   database) in full mode, 100 times with ``--quick``; its time is multiplied back and
   labelled as an extrapolation. The whole year is not run here: its database alone would
   take some 60 GB, beyond this machine's free disk.
3. ``phash_lookup_ms``: ``inclusion_phash.phash_figures`` (1,000,000 hashes; 100,000 quick).

The last line of stdout is one JSON object of the figures; ``--quick`` runs in under a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecocredit.inclusion.ops import batch
from ecocredit.inclusion.ops.actions import Action
from ecocredit.inclusion.ops.bulk import write_rows
from ecocredit.inclusion.tables import actions as action_table
from ecocredit.runtime import settle_heap
from inclusion_phash import phash_figures
from inclusion_year import child_main, install, small_jpegs, write_year

BRIEF_ACTIONS, BRIEF_PARTICIPANTS = 100_000_000, 11_248_000
NOW = dt.datetime(2026, 3, 1, 4, tzinfo=dt.UTC)


def service_rate(count: int, work: Path) -> dict[str, float]:
    """Actions per second through ``submit_many``, and the raw executemany ceiling."""
    photos = small_jpegs(count)
    items = [Action(f"p{i % (count // 2)}", f"k{i}", "clean-plate",
                    NOW - dt.timedelta(seconds=count - i), {"food_type": "rice", "portions": 1},
                    photo) for i, photo in enumerate(photos)]  # fmt: skip
    db, op = install(work / "service")
    settle_heap()  # as ``ecocredit serve`` does once the app is made
    started = time.perf_counter()
    statuses: list[str] = []
    for start in range(0, count, batch.MAX_BATCH):
        part = items[start : start + batch.MAX_BATCH]

        def decide(s: Session, p: list[Action] = part) -> list[dict[str, Any]]:
            return batch.submit_many(s, "plates", p, op, now=NOW)

        statuses += [a["status"] for a in db.write(decide)]
    service_s = time.perf_counter() - started
    with db.read() as session:
        rows = [dict(r) for r in session.execute(select(action_table)).mappings()]
    raw, _ = install(work / "raw")
    started = time.perf_counter()
    for start in range(0, count, batch.MAX_BATCH):
        chunk = rows[start : start + batch.MAX_BATCH]

        def insert(s: Session, p: list[dict[str, Any]] = chunk) -> None:
            write_rows(s, action_table, p)

        raw.write(insert)
    raw_s = time.perf_counter() - started
    return {"actions_per_s": count / service_s, "raw_executemany_per_s": count / raw_s,
            "service_accepted": statuses.count("accepted"),
            "service_review": statuses.count("review")}  # fmt: skip


def year_child(actions: int, participants: int, work: Path) -> dict[str, Any]:
    """Write the year untimed, import it in a child process; its time and peak RSS."""
    folder = work / "year"
    folder.mkdir()
    started = time.perf_counter()
    write_year(folder, actions, participants)
    generate_s = time.perf_counter() - started
    here = Path(__file__).resolve()
    proc = subprocess.run([sys.executable, str(here), "--year-child", str(folder)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    line = next((x for x in proc.stdout.splitlines() if x.startswith("result ")), None)
    if line is None:
        return {"error": proc.stderr[-2000:], "generate_s": generate_s}
    found: dict[str, Any] = json.loads(line.removeprefix("result "))
    found["generate_s"] = generate_s
    found["children_max_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run of under a minute")
    parser.add_argument("--year-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.year_child:
        return child_main(args.year_child)
    scale = 100 if args.quick else 10
    with tempfile.TemporaryDirectory(prefix="bench-inclusion-") as tmp:
        work = Path(tmp)
        service = service_rate(5_000 if args.quick else 50_000, work)
        year = year_child(BRIEF_ACTIONS // scale, BRIEF_PARTICIPANTS // scale, work)
    phash = phash_figures(100_000 if args.quick else 1_000_000, 200 if args.quick else 1000)
    year_s = year.get("seconds")
    figures = _report(service, year, phash, scale)
    figures["year_at_brief_scale_s"] = None if year_s is None else year_s * scale
    print(json.dumps(figures), flush=True)
    return 0


def _report(service: dict[str, Any], year: dict[str, Any], phash: dict[str, float],
            scale: int) -> dict[str, Any]:  # fmt: skip
    print("actions through batch.submit_many (SQLite, 1,000 a batch, a JPEG each):")
    print(f"  service, every check       {service['actions_per_s']:>12,.0f} /s (target >= 10,000)")
    print(f"  reference: raw executemany {service['raw_executemany_per_s']:>12,.0f} /s")
    count = (year.get("totals") or {}).get("count", 0)
    bulk_rate = count / year["seconds"] if year.get("seconds") else None
    if bulk_rate is not None:
        print(f"bulk import (polars, SQLite)  {bulk_rate:>12,.0f} /s, indexes rebuilt included")
    label = f"EXTRAPOLATED x{scale} from a measured 1/{scale} year"
    if year.get("seconds") is None:
        print(f"year at the brief's scale: failed: {year.get('error')}")
    else:
        print(
            f"year at the brief's scale ({label}): {year['seconds'] * scale:,.0f} s "
            f"(target <= 1,800 s); the child's own time {year['seconds']:.1f} s, "
            f"peak RSS {year['peak_rss_mb']:,.0f} MB (target <= 4,096 MB at full scale)"
        )
    print(f"near-duplicate lookup, median {phash['phash_lookup_ms']:.3f} ms (target <= 5 ms); "
          f"brute force {phash['brute_force_ms']:.3f} ms")  # fmt: skip
    return {"actions_per_s": service["actions_per_s"],
            "raw_executemany_per_s": service["raw_executemany_per_s"],
            "bulk_actions_per_s": bulk_rate,
            "phash_lookup_ms": phash["phash_lookup_ms"],
            "peak_rss_mb": year.get("peak_rss_mb"), "year_child_s": year.get("seconds"),
            "year_scale_divisor": scale, "year_extrapolated": True,
            "year_totals": year.get("totals"), "quick": scale != 10}  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
