"""``ecocredit inclusion …`` as an operator types it: a programme, a bulk import, the queue.

A refusal exits 1 naming the file, the line and the field, and writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from tests.cli_helpers import Outcome, installation_cli
from tests.inclusion.test_bulk import as_file, small_year

Cli = Callable[..., Outcome]
PROGRAMME = """
code = "plates"
name = "光盘打卡"
validity_days = 365
[[rules]]
methodology = "clean-plate"
points_per_action = 5
max_actions_per_day = 3
[[rules]]
methodology = "green-travel"
grams_per_point = 100
[limits]
max_age_days = 30
"""


@pytest.fixture
def cli(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    run = installation_cli(database_url, tmp_path, monkeypatch, capsys)
    assert run("accounts create op --role operator").code == 0
    (tmp_path / "plates.toml").write_text(PROGRAMME, encoding="utf-8")
    done = run("inclusion programme-create plates.toml --as op")
    assert done.code == 0, done.err
    return run


def test_an_operator_imports_a_month_and_reads_the_dashboard(cli: Cli, tmp_path: Path) -> None:
    items = small_year(count=200)
    first = as_file(items[:120], tmp_path / "a.csv")
    second = as_file(items[120:], tmp_path / "b.csv")
    done = cli("inclusion import plates", first, second, "--as", "op", "--chunk-rows", "1000")
    assert done.code == 0, done.err
    assert "200 actions:" in done.out and "1 log entries" in done.out
    board = cli("inclusion dashboard plates --json")
    assert board.code == 0, board.err
    counts = json.loads(board.out)["totals"]["actions"]
    assert sum(counts.values()) == 200 and counts["accepted"] > 100
    again = cli("inclusion import plates", first, "--as", "op")
    assert again.code == 1 and "already stored" in again.err


def test_a_bad_row_is_named_and_nothing_is_written(cli: Cli, tmp_path: Path) -> None:
    path = Path(as_file(small_year(count=20), tmp_path / "bad.csv"))
    frame = pl.read_csv(path, infer_schema=False)
    keys = frame["key"].to_list()
    keys[4] = ""
    frame.with_columns(pl.Series("key", keys)).write_csv(path)
    done = cli("inclusion import plates", str(path), "--as", "op")
    assert done.code == 1
    assert "bad.csv, line 6: key" in done.err
    board = json.loads(cli("inclusion dashboard plates --json").out)
    assert sum(board["totals"]["actions"].values()) == 0


def test_only_an_operator_of_the_programme_imports(cli: Cli, tmp_path: Path) -> None:
    assert cli("accounts create viewer --role holder").code == 0
    path = as_file(small_year(count=5), tmp_path / "few.csv")
    done = cli("inclusion import plates", path, "--as", "viewer")
    assert done.code == 1 and "operator" in done.err
