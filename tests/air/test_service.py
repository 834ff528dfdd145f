"""Stations, imports, revisions, reports and evaluations through the service and the API."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Principal, Role
from ecocredit.air import service
from ecocredit.air.model import DataStatus, Station, StationKind
from ecocredit.air.tables import station_days
from ecocredit.errors import PermissionDenied
from ecocredit.ledger.tables import ledger_entries as entries
from ecocredit.runtime import InitResult, Runtime

STATIONS = [
    Station("1001A", "万寿西宫", "北京", "北京市", 116.366, 39.8673),
    Station("1003A", "东四", "北京", "北京市", 116.417, 39.9289),
    Station("BJ-M01", "micro", "北京", "北京市", 116.4, 39.9, StationKind.MICRO),
]
HEADER = "station,time,PM2.5,PM10,SO2,NO2,CO,O3\n"


def wide(day: str = "2026-11-20", pm25: int = 80, hours: range = range(1, 25)) -> bytes:
    """A day of both stations; label 24 is written as the next day's 00:00."""
    rows = []
    base = dt.datetime.fromisoformat(day)
    for code in ("1001A", "1003A"):
        for h in hours:
            t = (base + dt.timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M")
            rows.append(f"{code},{t},{pm25},{pm25 + 40},8,40,0.9,60\n")
    return (HEADER + "".join(rows)).encode()


@pytest.fixture
def monitor(installed: InitResult) -> tuple[Runtime, Principal, str]:
    runtime = installed.runtime

    def setup(session):
        _, key = accounts.create_account(session, "centre", [Role.MONITOR], "system")
        actor = accounts.principal(session, "centre")
        service.register_stations(session, STATIONS, actor)
        return actor, key

    actor, key = runtime.db.write(setup)
    return runtime, actor, key


def _import(
    runtime: Runtime,
    actor: Principal,
    data: bytes,
    name: str = "a.csv",
    status: DataStatus = DataStatus.REALTIME,
) -> service.ImportReport:
    source = service.SourceFile(name, data)
    return runtime.db.write(lambda s: service.import_files(s, [source], status=status, actor=actor))


def test_import_is_logged_with_hash_and_rows_and_is_idempotent(monitor) -> None:
    runtime, actor, _ = monitor
    data = wide()
    report = _import(runtime, actor, data)
    assert report.clean and report.values_written == 2 * 24 * 6
    with runtime.db.read() as s:
        last = s.execute(select(entries.c.entry).order_by(entries.c.idx.desc()).limit(2)).all()
    summary, file_entry = (json.loads(bytes(row[0])) for row in last)
    assert summary["type"] == "air.imported" and summary["data"]["files"] == 1
    assert summary["data"]["values"] == 2 * 24 * 6
    assert file_entry["type"] == "air.file_imported"
    assert file_entry["data"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert file_entry["data"]["rows"] == 48 and file_entry["data"]["name"] == "a.csv"
    again = _import(runtime, actor, data)
    assert again.import_id is None and again.files[0].imported_before == report.import_id
    # The same values in another file: recorded, but nothing is written twice.
    copy = _import(runtime, actor, data + b"\n", name="copy.csv")
    assert copy.import_id is not None and copy.values_written == 0


def test_a_later_value_is_a_revision_and_reports_say_which_data_they_used(monitor) -> None:
    runtime, actor, _ = monitor
    _import(runtime, actor, wide(pm25=80))
    with runtime.db.read() as s:
        before = service.daily_report(s, "1001A", dt.date(2026, 11, 20), dt.date(2026, 11, 20))
    assert before["days"][0]["values"]["PM2.5"] == 80.0
    assert before["data_status"] == "realtime"
    audited = _import(
        runtime, actor, wide(pm25=120, hours=range(1, 13)), "audit.csv", DataStatus.AUDITED
    )
    # 12 hours × 6 pollutants × 2 stations: PM2.5 and PM10 changed, the rest confirmed.
    assert audited.values_written == 12 * 6 * 2
    with runtime.db.read() as s:
        after = service.daily_report(s, "1001A", dt.date(2026, 11, 20), dt.date(2026, 11, 20))
        rows = s.scalar(select(func.count()).select_from(station_days))
    assert after["days"][0]["values"]["PM2.5"] == 100.0
    assert after["data_status"] == "mixed"
    assert after["values_by_status"] == {"realtime": 72, "audited": 72}
    assert rows == 4  # both imports' rows are kept


def test_an_audit_is_final_and_confirms_equal_values(monitor) -> None:
    runtime, actor, _ = monitor
    day = dt.date(2026, 11, 20)
    _import(runtime, actor, wide(pm25=80))
    confirmed = _import(runtime, actor, wide(pm25=80) + b"\n", "audit.csv", DataStatus.AUDITED)
    assert confirmed.values_written == 24 * 6 * 2
    with runtime.db.read() as s:
        report = service.daily_report(s, "1001A", day, day)
    assert report["data_status"] == "audited"
    _import(runtime, actor, wide(pm25=70), "audit2.csv", DataStatus.AUDITED)
    # The real-time feed fetched again after the audit (new bytes, old values) changes nothing.
    again = _import(runtime, actor, wide(pm25=80).replace(b"\n", b"\r\n"), "again.csv")
    assert again.values_written == 0
    with runtime.db.read() as s:
        report = service.daily_report(s, "1001A", day, day)
    assert report["days"][0]["values"]["PM2.5"] == 70.0
    assert report["values_by_status"] == {"realtime": 0, "audited": 144}


def test_bad_rows_are_reported_and_good_rows_still_taken(monitor) -> None:
    runtime, actor, _ = monitor
    bad = HEADER + (
        "1001A,2026-11-20T01:00,10,20,5,10,0.4,30\n"
        "9999Z,2026-11-20T01:00,10,20,5,10,0.4,30\n"
        "1001A,2026-11-20T02:00,abc,20,5,10,0.4,30\n"
        "1001A,2026-11-20T03:00,-5,20,5,10,0.4,30\n"
        "1001A,2026-02-30T03:00,5,20,5,10,0.4,30\n"
        "1001A,2026-11-20T01:00,10,20,5,10,0.4,30\n"
    )
    report = _import(runtime, actor, bad.encode(), "bad.csv")
    lines = sorted({r.line for r in report.rejects})
    assert lines == [3, 4, 5, 6, 7]
    assert all(r.file == "bad.csv" for r in report.rejects)
    assert report.values_written > 0


def test_only_a_monitor_may_import_and_nothing_is_half_written(monitor, installed) -> None:
    runtime, _, _ = monitor

    def as_admin_less(session):
        accounts.create_account(session, "someone", [Role.HOLDER], "system")
        return accounts.principal(session, "someone")

    someone = runtime.db.write(as_admin_less)
    with pytest.raises(PermissionDenied, match="monitor"):
        _import(runtime, someone, wide())
    with runtime.db.read() as s:
        assert s.scalar(select(func.count()).select_from(station_days)) == 0


def test_api_reads_and_writes(monitor, client: TestClient) -> None:
    _, _, key = monitor
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    answer = client.post(
        "/v1/air/observations?status=realtime&name=day.csv", content=wide(pm25=120), headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["rejected"] == 0
    refused = client.post(
        "/v1/air/observations", content=wide(), headers={"Content-Type": "text/csv"}
    )
    assert refused.status_code == 401
    latest = {r["code"]: r for r in client.get("/v1/air/latest").json()}
    assert latest["1001A"]["aqi"] == 158 and latest["1001A"]["category"] == "中度污染"
    assert latest["1001A"]["primary_pollutants"] == ["PM2.5"]
    assert latest["1001A"]["time"] == "2026-11-21T00:00:00+08:00"
    assert latest["BJ-M01"]["aqi"] is None
    cities = client.get("/v1/air/cities").json()
    assert cities[0]["city"] == "北京" and cities[0]["aqi"] == 158
    days = client.get("/v1/air/stations/1001A/days?start=2026-11-20&end=2026-11-20").json()
    assert days["days"][0]["aqi"] == 158 and days["days"][0]["rule_set"] == "HJ633-2026"
    hours = client.get("/v1/air/cities/北京/hours?start=2026-11-20&end=2026-11-20").json()
    assert len(hours["hours"]) == 24
    ev = client.get("/v1/air/cities/北京/evaluation?year=2026").json()
    assert ev["compliant"] is None and ev["items"][0]["valid"] is False
    assert (
        client.get("/v1/air/stations/1001A/days?start=2026-11-20&end=2026-11-20&x=1").status_code
        == 400
    )
    assert client.get("/v1/air/stations/NOPE").status_code == 404
    assert (
        client.get("/v1/air/stations/1001A/days?start=2026-11-21&end=2026-11-20").status_code == 400
    )


def test_api_refuses_garbage_bodies_with_400(monitor, client: TestClient) -> None:
    _, _, key = monitor
    headers = {"Authorization": f"Bearer {key}"}
    for body in (b"", b"\xff\xfe\x00garbage", b"hello,world\n1,2\n", b"[1, 2"):
        answer = client.post("/v1/air/observations", content=body, headers=headers)
        assert answer.status_code == 400, (body, answer.text)


def test_stray_dates_are_refused_and_do_not_hide_other_stations(monitor) -> None:
    runtime, actor, _ = monitor
    _import(runtime, actor, wide())
    future = (dt.datetime.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:00")
    stray = HEADER + (
        f"1003A,{future},10,20,5,10,0.4,30\n"
        "1003A,2052-01-01T01:00,10,20,5,10,0.4,30\n"
        "1003A,1999-06-01T01:00,10,20,5,10,0.4,30\n"
    )
    report = _import(runtime, actor, stray.encode(), "stray.csv")
    reasons = [r.describe() for r in report.rejects]
    assert any("future" in r for r in reasons), reasons
    assert any("stray.csv:4: time: year outside 2000–2099" in r for r in reasons), reasons
    assert report.values_written == 0
    with runtime.db.read() as s:
        latest = {r["code"]: r for r in service.latest(s)}
        cities = service.latest(s, city=True)
    assert latest["1001A"]["aqi"] is not None and latest["1003A"]["aqi"] is not None
    assert latest["BJ-M01"]["aqi"] is None  # listed, with nothing to show
    assert cities[0]["time"] == "2026-11-21T00:00:00+08:00"


def test_a_scattered_import_reads_only_the_days_it_touches(monitor) -> None:
    runtime, actor, _ = monitor
    rows = HEADER + "1001A,2001-01-01T01:00,1,1,1,1,0.1,1\n1001A,2026-01-01T01:00,1,1,1,1,0.1,1\n"
    report = _import(runtime, actor, rows.encode(), "two.csv")
    assert report.values_written == 12


def test_api_refuses_deeply_nested_json(monitor, client: TestClient) -> None:
    _, _, key = monitor
    body = b"[" * 100_000 + b"]" * 100_000
    answer = client.post(
        "/v1/air/observations", content=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert answer.status_code == 400 and "nested" in answer.text


def test_an_import_of_many_files_logs_each_in_an_entry_of_its_own(monitor) -> None:
    runtime, actor, _ = monitor
    sources = [
        service.SourceFile(
            f"hour-{h:03d}.csv",
            HEADER.encode()
            + (
                f"1001A,{(dt.datetime(2026, 1, 1) + dt.timedelta(hours=h + 1)):%Y-%m-%dT%H:%M},"
                "10,20,5,10,0.4,30\n"
            ).encode(),
        )
        for h in range(400)
    ]
    report = runtime.db.write(
        lambda s: service.import_files(s, sources, status=DataStatus.REALTIME, actor=actor)
    )
    assert report.clean and report.values_written == 400 * 6
    with runtime.db.read() as s:
        kinds = [json.loads(bytes(e))["type"] for e in s.scalars(select(entries.c.entry))]
    assert kinds.count("air.file_imported") == 400 and kinds[-1] == "air.imported"


def test_an_import_says_whether_it_reproduces_the_published_aqi(installed) -> None:
    runtime = installed.runtime
    data = (Path(__file__).parent / "data" / "published_sites_20170101_h00.csv").read_bytes()
    codes = data.decode().splitlines()[0].split(",")[3:]

    def work(session):
        admin = accounts.principal(session, "admin")
        stations = [Station(c, c, "city", "", 116.0, 39.0) for c in codes]
        service.register_stations(session, stations, admin)
        source = service.SourceFile("sites.csv", data)
        return service.import_files(session, [source], status=DataStatus.REALTIME, actor=admin)

    report = runtime.db.write(work)
    assert (report.published_compared, report.published_matched) == (28, 28)
    assert report.published_differences == []


def test_a_published_aqi_we_do_not_reproduce_is_named(installed) -> None:
    runtime = installed.runtime
    lines = (
        (Path(__file__).parent / "data" / "published_sites_20170101_h00.csv")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    codes = lines[0].split(",")[3:]
    aqi_row = next(i for i, line in enumerate(lines) if line.split(",")[2] == "AQI")
    cells = lines[aqi_row].split(",")
    cells[3] = str(int(cells[3]) + 1)  # 1001A's published AQI, off by one
    lines[aqi_row] = ",".join(cells)

    def work(session):
        admin = accounts.principal(session, "admin")
        service.register_stations(session, [Station(c, c, "x", "", 1.0, 1.0) for c in codes], admin)
        source = service.SourceFile("edited.csv", ("\n".join(lines) + "\n").encode())
        return service.import_files(session, [source], status=DataStatus.REALTIME, actor=admin)

    report = runtime.db.write(work)
    assert (report.published_compared, report.published_matched) == (28, 27)
    assert report.published_differences[0].startswith("1001A 2017-01-01 00:00: published ")


def test_an_audited_blank_withdraws_a_real_time_value(monitor) -> None:
    runtime, actor, _ = monitor
    day = dt.date(2026, 11, 20)
    _import(runtime, actor, wide(pm25=80))
    # The review found 1001A's PM2.5 at 10:00 invalid: the audited file leaves it blank.
    audit = HEADER + "1001A,2026-11-20T10:00,,120,8,40,0.9,60\n"
    report = _import(runtime, actor, audit.encode(), "audit.csv", DataStatus.AUDITED)
    assert report.values_withdrawn == 1 and report.clean
    with runtime.db.read() as s:
        hours = service.history(s, "1001A", day, day)["hours"]
        daily = service.daily_report(s, "1001A", day, day)
    ten = next(h for h in hours if h["time"] == "2026-11-20T10:00:00+08:00")
    assert ten["concentrations"]["PM2.5"] is None and ten["concentrations"]["PM10"] == 120.0
    assert daily["values_by_status"] == {"realtime": 138, "audited": 5}
    # A real-time value fetched again later does not bring it back.
    again = _import(runtime, actor, wide(pm25=80).replace(b"\n", b"\r\n"), "again.csv")
    assert again.values_written == 0
    # Blanks of a real-time file withdraw nothing.
    blank = HEADER + "1001A,2026-11-20T11:00,,,,,,\n"
    assert _import(runtime, actor, blank.encode(), "blank.csv").values_written == 0


def test_the_same_bytes_come_back_audited_and_confirm(monitor) -> None:
    runtime, actor, _ = monitor
    data = wide(pm25=80)
    first = _import(runtime, actor, data)
    audited = _import(runtime, actor, data, "same.csv", DataStatus.AUDITED)
    assert audited.files[0].imported_before is None and audited.values_written == 2 * 24 * 6
    again = _import(runtime, actor, data, "again.csv", DataStatus.AUDITED)
    assert again.files[0].imported_before == audited.import_id != first.import_id


def test_an_audited_import_keeps_what_its_files_say(monitor) -> None:
    runtime, actor, _ = monitor
    future = (dt.datetime.now() + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:00")
    one = HEADER + f"1001A,2026-11-20T10:00,,60,8,40,0.9,60\n1001A,{future},,,,,,\n"
    two = "station,time,PM2.5\n1001A,2026-11-20T10:00,55\n"
    sources = [
        service.SourceFile("one.csv", one.encode()),
        service.SourceFile("two.csv", two.encode()),
    ]
    report = runtime.db.write(
        lambda s: service.import_files(s, sources, status=DataStatus.AUDITED, actor=actor)
    )
    assert report.clean, [r.describe() for r in report.rejects]
    assert str(report.last_hour) == "2026-11-20T02"  # the blank future row spans nothing
    with runtime.db.read() as s:
        hours = service.history(s, "1001A", dt.date(2026, 11, 20), dt.date(2026, 11, 20))
    ten = next(h for h in hours["hours"] if h["time"] == "2026-11-20T10:00:00+08:00")
    assert ten["concentrations"]["PM2.5"] == 55.0  # a later file's value fills the blank


def test_values_written_count_measurements_not_the_published_aqi(monitor) -> None:
    runtime, actor, _ = monitor
    data = HEADER.replace("\n", ",aqi\n") + "1001A,2026-11-20T10:00,35,50,5,20,0.5,60,50\n"
    assert _import(runtime, actor, data.encode()).values_written == 6


def test_a_role_taken_away_after_authentication_no_longer_writes(
    monitor: tuple[Runtime, Principal, str],
) -> None:
    runtime, actor, _ = monitor  # the principal as it was when the caller authenticated
    runtime.db.write(lambda s: accounts.set_roles(s, "centre", [Role.HOLDER], "system"))
    with pytest.raises(PermissionDenied, match="monitor"):
        runtime.db.write(lambda s: service.register_stations(s, STATIONS[:1], actor))
