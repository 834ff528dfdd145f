"""``ecocredit air aqi`` and ``air evaluate`` on files, with no database anywhere."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from ecocredit.air.demo import site_files
from ecocredit.air.demo_series import demo_stations, generate
from tests.cli_helpers import run_cli

DATA = Path(__file__).parent / "data"


def test_aqi_of_a_published_site_file(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)  # no ./var: nothing may need a database
    out = tmp_path / "aqi.csv"
    result = run_cli(
        ["air", "aqi", str(DATA / "published_sites_20170101_h00.csv"), "-o", str(out)],
        monkeypatch,
        capsys,
    )
    assert result.code == 0, result.err
    with out.open(encoding="utf-8") as f:
        rows = {r["station"]: r for r in csv.DictReader(f)}
    header = next(csv.reader(out.open(encoding="utf-8")))
    assert header == [
        "station",
        "time",
        "aqi",
        "primary_pollutants",
        "category",
        "iaqi_PM2.5",
        "iaqi_PM10",
        "iaqi_SO2",
        "iaqi_NO2",
        "iaqi_CO",
        "iaqi_O3",
    ]
    smog = rows["1008A"]  # PM2.5 587 µg/m³ on a January night: beyond the table
    assert (smog["time"], smog["aqi"], smog["category"]) == (
        "2017-01-01T00:00+08:00",
        "500",
        "严重污染",
    )
    assert smog["primary_pollutants"].split(";")[0] == "PM2.5"
    assert not (tmp_path / "var").exists()


def test_aqi_reports_bad_rows_by_file_and_line_and_exits_1(tmp_path, monkeypatch, capsys) -> None:
    source = tmp_path / "wide.csv"
    source.write_text(
        "station,time,PM2.5,PM10,SO2,NO2,CO,O3\n"
        "A1,2026-11-20T10:00,35,50,5,20,0.5,60\n"
        "A1,2026-11-20T11:00,x,50,5,20,0.5,60\n",
        encoding="utf-8",
    )
    out = tmp_path / "aqi.csv"
    result = run_cli(["air", "aqi", str(source), "-o", str(out)], monkeypatch, capsys)
    assert result.code == 1
    assert f"{source}:3" in result.err
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("A1,2026-11-20T10:00+08:00,")
    # The bad cell's hour is still there, scored from the pollutants that were valid.
    assert len(lines) == 3


def test_aqi_with_a_station_list_rejects_unknown_stations(tmp_path, monkeypatch, capsys) -> None:
    listing = tmp_path / "stations.csv"
    listing.write_text(
        "code,name,city,province,longitude,latitude,kind\nA1,One,City,,116.4,39.9,national\n",
        encoding="utf-8",
    )
    source = tmp_path / "long.csv"
    source.write_text(
        "station,time,pollutant,value\n"
        "A1,2026-11-20T10:00,PM2.5,80\n"
        "B2,2026-11-20T10:00,PM2.5,80\n",
        encoding="utf-8",
    )
    out = tmp_path / "aqi.csv"
    result = run_cli(
        ["air", "aqi", str(source), "--stations", str(listing), "-o", str(out)], monkeypatch, capsys
    )
    assert result.code == 1
    assert f"{source}:3" in result.err and "B2" in result.err
    rows = out.read_text(encoding="utf-8").splitlines()
    # HJ 633-2026: with five pollutants missing, an AQI of 119 (above 100) is still published.
    assert rows[1:] == ["A1,2026-11-20T10:00+08:00,119,PM2.5,轻度污染,119,,,,,"]


@pytest.fixture(scope="module")
def year_files(tmp_path_factory) -> tuple[list[Path], Path]:
    folder = tmp_path_factory.mktemp("year")
    stations = demo_stations()
    grid = generate(stations, dt.datetime(2025, 1, 1, 1), 365 * 24, seed=7)
    paths = []
    for source in site_files(grid):
        path = folder / source.name
        path.write_bytes(source.data)
        paths.append(path)
    listing = folder / "stations.csv"
    with listing.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["code", "name", "city", "province", "longitude", "latitude", "kind"])
        for s in stations:
            writer.writerow(
                [s.code, s.name, s.city, s.province, s.longitude, s.latitude, s.kind.value]
            )
    return paths, listing


def test_evaluate_a_year_of_site_files_by_city(year_files, tmp_path, monkeypatch, capsys) -> None:
    paths, listing = year_files
    out = tmp_path / "eval.csv"
    result = run_cli(
        [
            "air",
            "evaluate",
            *map(str, paths),
            "--year",
            "2025",
            "--stations",
            str(listing),
            "--cities",
            "-o",
            str(out),
        ],
        monkeypatch,
        capsys,
    )
    assert result.code == 0, result.err
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["subject"] for r in rows} == {"北京", "上海", "成都"}
    pm = {
        r["subject"]: r
        for r in rows
        if r["pollutant"] == "PM2.5" and r["statistic"] == "annual_mean"
    }
    assert pm["成都"]["standard"] == "GB3095-2012"
    assert pm["成都"]["valid"] == "true" and pm["成都"]["meets"] == "false"
    assert 30 <= float(pm["北京"]["value"]) <= 36


def test_a_days_files_are_read_as_one_series(tmp_path, monkeypatch, capsys) -> None:
    # HJ 633-2012: SO2 1-hour 801 is scored on the trailing 24-hour mean, 129.2 → IAQI 90,
    # and 23 of those 24 hours are in the previous day's file.
    first = tmp_path / "china_sites_20250501.csv"
    first.write_text(
        "date,hour,type,1001A\n" + "".join(f"20250501,{h},SO2,100\n" for h in range(1, 24)),
        encoding="utf-8",
    )
    second = tmp_path / "china_sites_20250502.csv"
    second.write_text(
        "date,hour,type,1001A\n20250502,0,SO2,100\n20250502,1,SO2,801\n", encoding="utf-8"
    )
    out = tmp_path / "aqi.csv"
    result = run_cli(["air", "aqi", str(first), str(second), "-o", str(out)], monkeypatch, capsys)
    assert result.code == 0, result.err
    rows = out.read_text(encoding="utf-8").splitlines()
    assert "1001A,2025-05-02T01:00+08:00,90,SO2,良,,,90,,," in rows


def test_a_station_hour_in_two_files_is_written_once(tmp_path, monkeypatch, capsys) -> None:
    one = tmp_path / "one.csv"
    one.write_text("station,time,PM2.5\nD1,2026-04-01T10:00,40\n", encoding="utf-8")
    two = tmp_path / "two.csv"
    two.write_text("station,time,pollutant,value\nD1,2026-04-01T10:00,PM2.5,41\n", encoding="utf-8")
    out = tmp_path / "aqi.csv"
    result = run_cli(["air", "aqi", str(one), str(two), "-o", str(out)], monkeypatch, capsys)
    assert result.code == 1 and f"{two}: 1 values were already given" in result.err
    assert out.read_text(encoding="utf-8").splitlines()[1:] == [
        "D1,2026-04-01T10:00+08:00,,,,60,,,,,"  # 2026: with five missing and AQI ≤ 100, none
    ]


def test_files_years_apart_are_scored_apart(tmp_path, monkeypatch, capsys) -> None:
    early = tmp_path / "early.csv"
    early.write_text("station,time,PM2.5\nA1,2000-01-01T01:00,40\n", encoding="utf-8")
    late = tmp_path / "late.csv"
    late.write_text("station,time,PM2.5\nA1,2099-12-31T01:00,40\n", encoding="utf-8")
    out = tmp_path / "aqi.csv"
    result = run_cli(["air", "aqi", str(early), str(late), "-o", str(out)], monkeypatch, capsys)
    assert result.code == 0, result.err  # two small runs, not one grid of a century
    rows = out.read_text(encoding="utf-8").splitlines()[1:]
    assert [r.split(",")[1] for r in rows] == ["2000-01-01T01:00+08:00", "2099-12-31T01:00+08:00"]
