"""``ecocredit air …`` on an installation, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_helpers import Outcome, installation_cli

Cli = Callable[..., Outcome]
STATIONS = (
    "code,name,city,province,longitude,latitude,kind\n"
    "1001A,万寿西宫,北京,北京市,116.366,39.8673,national\n"
    "1003A,东四,北京,北京市,116.417,39.9289,national\n"
)


@pytest.fixture
def cli(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    run = installation_cli(database_url, tmp_path, monkeypatch, capsys)
    assert run("accounts create centre --role monitor").code == 0
    return run


def _site_file(path: Path, pm25: int) -> Path:
    lines = ["date,hour,type,1001A,1003A"]
    for hour in range(24):
        for kind, value in (
            ("PM2.5", pm25),
            ("PM10", pm25 + 30),
            ("SO2", 8),
            ("NO2", 40),
            ("CO", 0.9),
            ("O3", 60),
            ("PM2.5_24h", 50),
        ):
            lines.append(f"20261120,{hour},{kind},{value},{value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_with_its_station_list_then_read_the_day(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "stations.csv").write_text(STATIONS, encoding="utf-8")
    site = _site_file(tmp_path / "china_sites_20261120.csv", 80)
    first = cli(f"air import {site} --stations stations.csv --as centre --json")
    assert first.code == 0, first.err
    body = json.loads(first.out)
    assert body["values_written"] == 2 * 24 * 6 and body["files"][0]["layout"] == "site"
    again = cli(f"air import {site} --as centre")
    assert again.code == 0 and "already imported in import 1" in again.out
    report = cli("air report 1001A --start 2026-11-20 --end 2026-11-20 --json")
    day = json.loads(report.out)["days"][0]
    # Labels 01:00-23:00 of the 20th are 23 hours: enough for a daily mean (20 needed).
    assert day["values"]["PM2.5"] == 80.0 and day["aqi"] == 119
    latest = cli("air latest --cities")
    assert "北京: 2026-11-20T23:00:00+08:00 AQI 119 轻度污染 PM2.5" in latest.out


def test_a_bad_row_of_the_station_list_makes_the_import_exit_1(cli: Cli, tmp_path: Path) -> None:
    listing = STATIONS + "2001A,Far,Nowhere,,999,10,national\n"
    (tmp_path / "stations.csv").write_text(listing, encoding="utf-8")
    site = _site_file(tmp_path / "china_sites_20261120.csv", 80)
    result = cli(f"air import {site} --stations stations.csv --as centre")
    assert result.code == 1 and "stations.csv:4: longitude" in result.err
    assert "1 rejected" not in result.out  # the site file itself was clean


def test_an_import_with_bad_rows_exits_1_and_keeps_the_good_ones(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "stations.csv").write_text(STATIONS, encoding="utf-8")
    assert cli("air stations import stations.csv --as centre").code == 0
    bad = tmp_path / "wide.csv"
    bad.write_text(
        "station,time,PM2.5\n1001A,2026-11-20T10:00,35\n9999Z,2026-11-20T10:00,1\n",
        encoding="utf-8",
    )
    result = cli(f"air import {bad} --as centre")
    assert result.code == 1
    assert "wide.csv:3: station: unknown station code '9999Z'" in result.err
    assert "1 values written" in result.out
    assert cli("accounts create someone --role holder").code == 0
    other = tmp_path / "other.csv"
    other.write_text("station,time,PM2.5\n1003A,2026-11-20T10:00,35\n", encoding="utf-8")
    denied = cli(f"air import {other} --as someone")
    assert denied.code != 0 and "monitor" in denied.err
