"""A year's import: checks name the file, line and field; it resumes; big loads drop indexes."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import func, inspect, select

from ecocredit.errors import Busy, Conflict, InvalidParameter
from ecocredit.inclusion import bulk
from ecocredit.inclusion.demo import plate
from ecocredit.inclusion.ops import actions, batch, bulk_load, redeem, year_import
from ecocredit.inclusion.ops.bulk import reserve_ids
from ecocredit.inclusion.ops.year_import import import_year
from ecocredit.inclusion.phash import perceptual_hash
from ecocredit.inclusion.tables import actions as action_table
from ecocredit.inclusion.tables import grants as grant_table
from ecocredit.inclusion.tables import imports
from ecocredit.runtime import Runtime
from tests.inclusion.test_batch import NOW, PLATE, make_programme, operator
from tests.inclusion.test_batch import runtime as runtime  # the fixture
from tests.inclusion.test_bulk import as_file, small_year


def _stored(runtime: Runtime, programme: str) -> list[tuple[Any, ...]]:
    """Keys, statuses, reasons (an action they cite named by its key) and points.

    By key, not id: PostgreSQL does not give back the ids of a transaction rolled back.
    """
    with runtime.db.read() as session:
        rows = session.execute(
            select(action_table.c.id, action_table.c.idempotency_key, action_table.c.status,
                   action_table.c.reason, action_table.c.points)
            .where(action_table.c.programme == programme).order_by(action_table.c.id)
        ).all()  # fmt: skip
    keys = {row[0]: row[1] for row in rows}

    def plain(reason: str) -> str:
        return re.sub(r"action (\d+)", lambda m: f"action {keys.get(int(m[1]), '?')}", reason)

    return [(key, status, plain(reason), points) for _, key, status, reason, points in rows]


def _indexes(runtime: Runtime) -> set[str]:
    with runtime.db.engine.connect() as conn:
        found = inspect(conn)
        return {str(i["name"]) for t in ("inclusion_actions", "inclusion_grants")
                for i in found.get_indexes(t)}  # fmt: skip


def test_a_load_that_drops_indexes_decides_the_same_and_rebuilds_them(
    runtime: Runtime, tmp_path: Path
) -> None:
    items = small_year(count=300)
    later = items[-1].at
    op = operator(runtime)
    path = as_file(items, tmp_path / "year.parquet")
    make_programme(runtime, "kept")
    import_year(runtime.db, "kept", [path], op, chunk_rows=70, now=later, drop_indexes=False)
    make_programme(runtime, "dropped")
    if not runtime.db.is_sqlite:
        with pytest.raises(InvalidParameter, match="for SQLite"):
            import_year(runtime.db, "dropped", [path], op, now=later, drop_indexes=True)
        return
    import_year(runtime.db, "dropped", [path], op, chunk_rows=70, now=later, drop_indexes=True)
    assert _stored(runtime, "kept") == _stored(runtime, "dropped")
    assert {i.name for i in bulk_load.secondary_indexes()} <= _indexes(runtime)
    with runtime.db.read() as session:
        jobs = session.execute(select(imports.c.state, imports.c.rows_done)).all()
    assert [tuple(j) for j in jobs] == [("done", 300), ("done", 300)]


def test_a_failed_import_resumes_where_it_stopped(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = small_year(count=300)
    later = items[-1].at
    op = operator(runtime)
    files = [as_file(items[:130], tmp_path / "a.parquet"),
             as_file(items[130:], tmp_path / "b.parquet")]  # fmt: skip
    make_programme(runtime, "whole")
    import_year(runtime.db, "whole", files, op, chunk_rows=50, now=later)
    make_programme(runtime, "bulk")
    real = year_import._insert
    calls = {"n": 0}

    def failing(*args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError("disk unplugged")
        real(*args)

    monkeypatch.setattr(year_import, "_insert", failing)
    drop = runtime.db.is_sqlite  # PostgreSQL loads with its indexes
    with pytest.raises(OSError):
        import_year(runtime.db, "bulk", files, op, chunk_rows=50, now=later, drop_indexes=drop)
    assert len(_stored(runtime, "bulk")) == 150  # three chunks, written whole
    if drop:
        with pytest.raises(Busy, match="loading"):
            runtime.db.write(lambda s: batch.submit_many(s, "whole", items[:1], op, now=later))
        with pytest.raises(Busy, match="loading"):
            runtime.db.write(lambda s: actions.submit(s, "whole", items[0], op, now=later))
        with pytest.raises(Busy, match="loading"):
            runtime.db.write(lambda s: redeem.expire(s, "whole", op))
    other = as_file(items[:10], tmp_path / "other.parquet")
    with pytest.raises(Conflict, match="unfinished"):
        import_year(runtime.db, "bulk", [other], op)
    monkeypatch.setattr(year_import, "_insert", real)
    totals = import_year(runtime.db, "bulk", files, op, chunk_rows=50, now=later)
    assert totals["skipped"] == 150 and totals["count"] == 150
    assert _stored(runtime, "bulk") == _stored(runtime, "whole")
    assert {i.name for i in bulk_load.secondary_indexes()} <= _indexes(runtime)
    runtime.db.write(lambda s: batch.submit_many(s, "whole", items[:1], op, now=later))


def test_grants_are_written_with_their_actions(runtime: Runtime, tmp_path: Path) -> None:
    items = small_year(count=120)
    make_programme(runtime, "bulk")
    totals = import_year(runtime.db, "bulk", [as_file(items, tmp_path / "y.csv")],
                         operator(runtime), now=items[-1].at)  # fmt: skip
    with runtime.db.read() as session:
        points = session.scalar(select(func.sum(grant_table.c.points)))
    assert points == totals["points"] > 0


def _bad(tmp_path: Path, change: dict[str, Any], suffix: str = ".csv") -> str:
    items = small_year(count=12)
    path = Path(as_file(items, tmp_path / f"bad{suffix}"))
    frame = pl.read_parquet(path) if suffix == ".parquet" else pl.read_csv(path, infer_schema=False)
    column, value = next(iter(change.items()))
    values = frame[column].to_list()
    values[5] = value
    frame = frame.with_columns(pl.Series(column, values, dtype=frame.schema[column]))
    if suffix == ".csv":
        frame.write_csv(path)
    else:
        frame.write_parquet(path)
    return str(path)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"participant": "two words"}, "bad.csv, line 7: participant"),
        ({"key": "bell\x07"}, "bad.csv, line 7: key"),
        ({"key": "k3"}, "key 'k3' is used by more than one action"),
        ({"evidence_sha256": "ABC"}, "bad.csv, line 7: evidence_sha256"),
        ({"phash": "xyz"}, "bad.csv, line 7: phash"),
        ({"at": ""}, "bad.csv, line 7: at"),
        ({"at": "yesterday"}, "bad.csv, line 7: at: not a time"),
        ({"at": "9999-12-20T00:00:00Z"}, "bad.csv, line 7: at: out of range"),
        ({"at": "2026-01-01T00:00:00Z"}, "bad.csv, line 7: at: earlier than the row before"),
        ({"km": "abc"}, "bad.csv, line 7: km: not a number"),
        ({"portions": "99999999999999999999999"}, "bad.csv, line 7: portions: not a number"),
    ],
    ids=[
        "participant",
        "key control",
        "key twice",
        "sha",
        "phash",
        "no time",
        "bad time",
        "year 9999",
        "back in time",
        "km",
        "portions",
    ],
)
def test_bad_rows_are_refused_naming_file_line_and_field_before_any_write(
    runtime: Runtime, tmp_path: Path, change: dict[str, Any], words: str
) -> None:
    path = _bad(tmp_path, change)
    with pytest.raises(InvalidParameter) as caught:
        import_year(runtime.db, "batch", [path], operator(runtime))
    assert words in caught.value.message
    assert _stored(runtime, "batch") == []
    with runtime.db.read() as session:
        assert session.scalar(select(func.count()).select_from(imports)) == 0


def test_a_parquet_row_is_named_by_its_row(runtime: Runtime, tmp_path: Path) -> None:
    path = _bad(tmp_path, {"participant": "a/b"}, ".parquet")
    with pytest.raises(InvalidParameter, match=r"bad\.parquet, row 6: participant"):
        import_year(runtime.db, "batch", [path], operator(runtime))


def test_a_key_already_stored_refuses_the_import(runtime: Runtime, tmp_path: Path) -> None:
    items = small_year(count=20)
    op = operator(runtime)
    later = items[-1].at + dt.timedelta(seconds=1)
    runtime.db.write(lambda s: batch.submit_many(s, "batch", items[:3], op, now=later))
    with pytest.raises(InvalidParameter, match="key 'k0' is already stored"):
        import_year(runtime.db, "batch", [as_file(items, tmp_path / "x.parquet")], op)
    assert len(_stored(runtime, "batch")) == 3


def test_a_participant_sending_their_own_photo_again_is_held_as_in_the_batch_path(
    runtime: Runtime, tmp_path: Path
) -> None:
    def check_in(who: str, n: int, minutes: int, photo: bytes) -> actions.Action:
        at = NOW + dt.timedelta(hours=5 * n, minutes=minutes)
        return actions.Action(who, f"{who}-{n}", "clean-plate", at, PLATE, photo)

    items = [
        check_in("p1", 0, 0, plate(1)),
        check_in("p2", 0, 1, plate(2)),
        check_in("p1", 1, 0, plate(1, side=48, quality=60)),  # p1's photo, re-saved
        check_in("p2", 1, 1, plate(3)),
        check_in("p2", 2, 1, plate(1, side=56, quality=70)),
    ]  # p1's photo, sent by p2
    op = operator(runtime)
    later = items[-1].at + dt.timedelta(minutes=1)
    batched = runtime.db.write(lambda s: batch.submit_many(s, "batch", items, op, now=later))
    make_programme(runtime, "bulk")
    rows = [{"participant": a.participant, "key": a.key, "methodology": a.methodology,
             "at": a.at, "evidence_sha256": hashlib.sha256(a.evidence).hexdigest(),
             "phash": f"{perceptual_hash(a.evidence):016x}", **a.inputs}
            for a in items]  # fmt: skip
    path = tmp_path / "photos.parquet"
    pl.DataFrame(rows).write_parquet(path)
    import_year(runtime.db, "bulk", [str(path)], op, now=later)
    stored = _stored(runtime, "bulk")
    assert [b["status"] for b in batched] == ["accepted", "accepted", "review", "accepted",
                                              "review"]  # fmt: skip
    # The bulk path compares a photo with the participant's own last ones only.
    assert [s[1] for s in stored] == ["accepted", "accepted", "review", "accepted", "accepted"]
    assert stored[2][2].startswith("the photo is a near duplicate of action p1-0 (")
    assert batched[2]["reason"].startswith(f"the photo is a near duplicate of action "
                                           f"{batched[0]['action']} (")  # fmt: skip


def test_files_out_of_order_are_refused(runtime: Runtime, tmp_path: Path) -> None:
    items = small_year(count=30)
    later = as_file(items[15:], tmp_path / "later.csv")
    earlier = as_file(items[:15], tmp_path / "earlier.csv")
    with pytest.raises(InvalidParameter, match=r"earlier\.csv starts before later\.csv ends"):
        import_year(runtime.db, "batch", [later, earlier], operator(runtime))
    assert _stored(runtime, "batch") == []


def test_another_load_with_indexes_down_refuses_any_import(
    runtime: Runtime, tmp_path: Path
) -> None:
    items = small_year(count=40)
    op = operator(runtime)
    make_programme(runtime, "other")
    digest = bulk_load.files_digest([as_file(items, tmp_path / "x.csv")])
    if not runtime.db.is_sqlite:
        with pytest.raises(InvalidParameter, match="for SQLite"):
            runtime.db.write(lambda s: bulk_load.open_job(s, "other", digest, 40, "op", True))
        return
    runtime.db.write(lambda s: bulk_load.open_job(s, "other", digest, 40, "op", True))
    with pytest.raises(Busy, match="'other' is loading"):
        import_year(runtime.db, "batch", [as_file(items, tmp_path / "y.csv")], op,
                    drop_indexes=False)  # fmt: skip
    assert year_import.finish_unfinished(runtime.db, "other")
    assert {i.name for i in bulk_load.secondary_indexes()} <= _indexes(runtime)


def test_two_runs_of_one_job_cannot_both_write(runtime: Runtime) -> None:
    job = runtime.db.write(lambda s: bulk_load.open_job(s, "batch", "0" * 64, 100, "op", False))
    runtime.db.write(lambda s: bulk_load.advance(s, job, 0, 50))
    with pytest.raises(Conflict, match="another run"):
        runtime.db.write(lambda s: bulk_load.advance(s, job, 0, 50))


def test_no_ids_are_reserved_for_nothing(runtime: Runtime) -> None:
    assert runtime.db.write(lambda s: reserve_ids(s, grant_table, 0)) == 0
    assert runtime.db.write(lambda s: reserve_ids(s, grant_table, 2)) >= 1


def test_the_bulk_and_service_evidence_keys_are_the_same_number() -> None:
    shas = [hashlib.sha256(bytes([n])).hexdigest() for n in range(50)] + ["f" * 64, "0" * 64]
    column = pl.Series(shas).to_frame("s").select(bulk.prefix60(pl.col("s"))).to_series()
    assert column.to_list() == [actions.evidence_prefix(s) for s in shas]
