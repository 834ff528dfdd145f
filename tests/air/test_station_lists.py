"""Station list files: the national list's layout and an English one, and their rejects."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecocredit.air.model import StationKind
from ecocredit.air.readers import (
    read_stations,
    read_stations_bytes,
)
from ecocredit.errors import InvalidInput
from tests.air.reader_helpers import BAD_CODE

# --- station lists ------------------------------------------------------------------------


def test_cnemc_station_list_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "stations.csv"
    text = "监测点编码,监测点名称,城市,经度,纬度,对照点\n1001A,万寿西宫,北京,116.366,39.8673,N\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    stations, refused = read_stations(path)
    assert refused == []
    (s,) = stations
    assert (s.code, s.name, s.city, s.province) == ("1001A", "万寿西宫", "北京", "")
    assert (s.longitude, s.latitude, s.kind) == (116.366, 39.8673, StationKind.NATIONAL)


def test_english_station_list_and_its_rejects() -> None:
    text = (
        "code,name,city,province,longitude,latitude,kind\n"
        "1001A,Wanshou,Beijing,Beijing,116.37,39.87,\n"
        "M001,Sensor,Beijing,Beijing,116.4,39.9,Micro\n"
        "١٠٠١,Arabic digits,Beijing,Beijing,116.4,39.9,\n"
        "ABCDEFGHIJKLMNOPQ,Too long,Beijing,Beijing,116.4,39.9,\n"
        "1002A,East,Beijing,Beijing,181,39.9,\n"
        "1003A,North,Beijing,Beijing,116.4,north,\n"
        "1001A,Again,Beijing,Beijing,116.4,39.9,\n"
        "1004A,Kind,Beijing,Beijing,116.4,39.9,county\n"
        "1005A,Short,Beijing\n"
        "1006A,,Beijing,Beijing,116.4,-91,\n"
    )
    stations, refused = read_stations_bytes(text.encode(), "list.csv")
    assert [(s.code, s.kind, s.province) for s in stations] == [
        ("1001A", StationKind.NATIONAL, "Beijing"),
        ("M001", StationKind.MICRO, "Beijing"),
    ]
    assert [(r.line, r.field, r.reason) for r in refused] == [
        (4, "code", f"{BAD_CODE}'١٠٠١'"),
        (5, "code", f"{BAD_CODE}'ABCDEFGHIJKLMNOPQ'"),
        (6, "longitude", "longitude must be within ±180: '181'"),
        (7, "latitude", "latitude is not a number: 'north'"),
        (8, "code", "duplicate of line 2 (same station code)"),
        (9, "kind", "kind must be one of national, provincial, micro: 'county'"),
        (10, "", "expected 7 fields, found 3"),
        (11, "name", "missing station name"),
    ]
    assert {r.file for r in refused} == {"list.csv"}


def test_station_list_without_known_header_raises() -> None:
    with pytest.raises(InvalidInput, match=r"list\.csv: unknown station list header"):
        read_stations_bytes(b"id,label\n1,x\n", "list.csv")
    with pytest.raises(InvalidInput, match="missing required column 'latitude'"):
        read_stations_bytes(b"code,name,city,longitude\n", "list.csv")
