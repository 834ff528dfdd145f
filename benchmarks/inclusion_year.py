"""Set-up and data of the inclusion benchmark: installations, photos, and a year on disk.

A year is written as one Parquet file per day, in time order, untimed: clean-plate check-ins
of ``participants`` people (ids ``p00000001`` …), at random times, with random evidence
SHA-256 and perceptual hashes and 0.1 % of the photos sent again later (exact duplicates).
The child process (``inclusion.py --year-child``) imports them on a fresh SQLite installation
and prints one ``result <json>`` line with its time and its own peak resident memory.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from PIL import Image

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Principal, Role
from ecocredit.db import Database
from ecocredit.inclusion.ops import programmes
from ecocredit.inclusion.ops.year_import import import_year
from ecocredit.inclusion.points import PointRule
from ecocredit.runtime import initialize
from ecocredit.settings import Settings

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) - dt.timedelta(hours=8)  # local midnight
FOODS = ("grain-mix", "rice", "wheat", "maize")
DUPLICATES = 0.001


def install(directory: Path) -> tuple[Database, Principal]:
    """A fresh SQLite installation with the clean-plate programme "plates" run by "op"."""
    db = initialize(Settings(data_dir=directory, database_url=f"sqlite:///{directory}/e.db")
                    ).runtime.db  # fmt: skip
    db.write(lambda s: accounts.create_account(s, "op", [Role.OPERATOR], "system"))
    with db.read() as session:
        op = accounts.principal(session, "op")
    rule = PointRule("clean-plate", points_per_action=5, max_actions_per_day=3)
    spec = programmes.Programme("plates", "光盘打卡", rules=[(rule, None)], validity_days=365)
    db.write(lambda s: programmes.create_programme(s, spec, op))
    return db, op


def small_jpegs(count: int, seed: int = 1) -> list[bytes]:
    """Distinct 64×48 JPEGs (about 1 KB each, a phone app's thumbnail of the plate)."""
    rng = np.random.default_rng(seed)
    found = []
    for _ in range(count):
        blocks = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
        image = Image.fromarray(blocks).resize((64, 48), Image.Resampling.BILINEAR)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        found.append(out.getvalue())
    return found


def _hex(rng: np.random.Generator, n: int, nbytes: int) -> list[str]:
    text = rng.bytes(n * nbytes).hex()
    width = 2 * nbytes
    return [text[i : i + width] for i in range(0, len(text), width)]


def write_year(directory: Path, actions: int, participants: int, days: int = 365,
               seed: int = 2026) -> list[str]:  # fmt: skip
    """Write ``actions`` check-ins over ``days`` days as one Parquet file per day."""
    rng = np.random.default_rng(seed)
    per_day = np.full(days, actions // days)
    per_day[: actions % days] += 1
    paths, earlier = [], _hex(rng, 1000, 32)
    for day, n in enumerate(per_day.tolist()):
        micros = np.sort(rng.integers(0, 86_400 * 10**6, n))
        shas = _hex(rng, n, 32)
        again = np.flatnonzero(rng.random(n) < DUPLICATES)
        for i in again.tolist():
            shas[i] = earlier[int(rng.integers(len(earlier)))]
        earlier = shas[-1000:]
        people = pl.Series(rng.integers(1, participants + 1, n)).cast(pl.String).str.zfill(8)
        frame = pl.DataFrame({
            "participant": "p" + people,
            "key": [f"d{day}-{i}" for i in range(n)],
            "methodology": "clean-plate",
            "at": pl.Series(micros + (START.timestamp() * 10**6 + day * 86_400 * 10**6))
            .cast(pl.Datetime("us", "UTC")),
            "food_type": np.array(FOODS)[rng.integers(0, len(FOODS), n)],
            "portions": rng.integers(1, 4, n), "evidence_sha256": shas,
            "phash": _hex(rng, n, 8),
        })  # fmt: skip
        path = directory / f"{day:03d}.parquet"
        frame.write_parquet(path)
        paths.append(str(path))
    return paths


def child_main(directory: str) -> int:
    """Import the year under ``directory`` on a fresh installation; print the result."""
    base = Path(directory)
    paths = sorted(str(p) for p in base.glob("*.parquet"))
    db, op = install(base / "var")
    started = time.perf_counter()
    try:
        totals = import_year(db, "plates", paths, op)
        error = None
    except Exception as exc:  # reported, not raised: the parent prints it
        totals, error = {}, repr(exc)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.write("result " + json.dumps({"seconds": seconds, "peak_rss_mb": peak,
                                            "totals": totals, "error": error}) + "\n")  # fmt: skip
    return 0 if error is None else 1
