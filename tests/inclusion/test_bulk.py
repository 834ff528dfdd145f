"""A year from files through the bulk path decides as the batch service does, chunk by chunk."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import select

from ecocredit.errors import InvalidParameter
from ecocredit.inclusion.ops import actions, batch
from ecocredit.inclusion.ops.bulk import decisions_csv
from ecocredit.inclusion.ops.year_import import import_year
from ecocredit.inclusion.tables import actions as action_table
from ecocredit.ledger.tables import ledger_entries
from ecocredit.runtime import Runtime
from tests.inclusion.test_batch import NOW, make_programme, operator
from tests.inclusion.test_batch import runtime as runtime  # the fixture

FOODS = ("rice", "wheat", "maize")


def small_year(seed: int = 7, count: int = 400) -> list[actions.Action]:
    """Clean plates and trips of eight people over days, with repeated slips and bursts.

    Only trips (which have no cap on actions) repeat a slip: a plate rejected for the day's cap
    with its slip sent again later is where the bulk path knowingly differs (see bulk.py).
    """
    rng = random.Random(seed)
    at = NOW
    found: list[actions.Action] = []
    for n in range(count):
        at += dt.timedelta(seconds=rng.choice([5, 5, 5, 60, 900, 3600]))
        who = found[-1].participant if found and rng.random() < 0.6 else f"p{rng.randrange(6)}"
        slip = f"trip-{rng.randrange(count)}".encode()  # some trips' slips come twice
        if rng.random() < 0.3:
            slip = f"plate-{n}".encode()
            inputs: dict[str, Any] = {"food_type": rng.choice(FOODS),
                                      "portions": rng.randint(1, 3)}  # fmt: skip
            found.append(actions.Action(who, f"k{n}", "clean-plate", at, inputs, slip, "slip"))
        else:
            inputs = {"mode": rng.choice(["metro", "bus", "bike"]), "km": rng.randint(1, 300) / 10}
            found.append(actions.Action(who, f"k{n}", "green-travel", at, inputs, slip, "trip"))
    return found


def as_file(items: list[actions.Action], path: Path) -> str:
    rows = [{"participant": a.participant, "key": a.key, "methodology": a.methodology,
             "at": a.at, "evidence_sha256": hashlib.sha256(a.evidence).hexdigest(),
             "phash": None, **a.inputs} for a in items]  # fmt: skip
    frame = pl.DataFrame(rows, infer_schema_length=None)
    if path.suffix == ".csv":
        frame = frame.with_columns(pl.col("at").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"))
        frame.write_csv(path)
    else:
        frame.write_parquet(path)
    return str(path)


def decisions(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["participant"], r["status"], r["reason"], r["points"], r["grams_co2e"])
            for r in rows]  # fmt: skip


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_year_in_bulk_decides_as_batches(runtime: Runtime, tmp_path: Path, suffix: str
                                           ) -> None:  # fmt: skip
    items = small_year()
    op = operator(runtime)
    later = items[-1].at
    batched = []
    for start in range(0, len(items), 100):
        part = items[start : start + 100]
        batched += runtime.db.write(lambda s, p=part: batch.submit_many(s, "batch", p, op,
                                                                       now=later))  # fmt: skip
    make_programme(runtime, "bulk")
    halves = [as_file(items[:250], tmp_path / f"a{suffix}"),
              as_file(items[250:], tmp_path / f"b{suffix}")]  # fmt: skip
    # received: one `now` for all, as the batches had
    totals = import_year(runtime.db, "bulk", halves, op, chunk_rows=64, now=later)
    with runtime.db.read() as session:
        stored = [dict(r) for r in session.execute(
            select(action_table).where(action_table.c.programme == "bulk")
            .order_by(action_table.c.id)).mappings()]  # fmt: skip
        entries = [json.loads(bytes(e)) for e in session.execute(
            select(ledger_entries.c.entry)).scalars()]  # fmt: skip
    first = {b["action"]: n for n, b in enumerate(batched)}
    ids = {r["id"]: n for n, r in enumerate(stored)}

    def plain(reason: str, where: dict[int, int]) -> str:
        head, _, tail = reason.rpartition(" ")
        return f"{head} #{where[int(tail)]}" if head.endswith("backs action") else reason

    want = [(*d[:2], plain(d[2], first), *d[3:]) for d in decisions(batched)]
    got = [(*d[:2], plain(d[2], ids), *d[3:]) for d in decisions(stored)]
    assert got == want
    assert {w[1] for w in want} == {"accepted", "rejected", "review"}
    assert any("same evidence" in w[2] for w in want) and any("cap" in w[2] for w in want)
    chunks = [e["data"] for e in entries if e["data"].get("programme") == "bulk"
              and e["type"] == "inclusion.actions_decided"]  # fmt: skip
    assert len(chunks) == totals["entries"] == 7 and sum(c["count"] for c in chunks) == 400
    rows = [r for r in stored if chunks[0]["first_action"] <= r["id"]][: chunks[0]["count"]]
    assert chunks[0]["sha256"] == hashlib.sha256(decisions_csv(rows)).hexdigest()


def test_actions_out_of_time_order_are_refused(runtime: Runtime, tmp_path: Path) -> None:
    items = small_year(count=20)
    path = as_file(items[10:] + items[:10], tmp_path / "x.parquet")
    with pytest.raises(InvalidParameter, match="time order"):
        import_year(runtime.db, "batch", [path], operator(runtime), chunk_rows=10)
