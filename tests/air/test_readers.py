"""Readers of monitoring files: layouts, China-local hour labels, rejects and file errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ecocredit.air.model import Layout
from ecocredit.air.readers import (
    detect_layout,
    detect_layout_bytes,
    read_grid,
    read_grid_bytes,
    read_grid_text,
)
from ecocredit.air.readers import grid as grid_module
from ecocredit.errors import InvalidInput
from tests.air.reader_helpers import BAD_CODE, CO, NO2, O3, PM10, PM25, SO2, at, read, rejects

# --- national daily site file -------------------------------------------------------------

SITE = """date,hour,type,1002A,1001A
20260301,8,AQI,55,40
20260301,8,PM2.5,35,20
20260301,8,PM2.5_24h,30,25
20260301,8,PM10,60,
20260301,8,SO2,5,6
20260301,8,NO2,40,41
20260301,8,CO,0.8,0.7
20260301,8,O3,100,90
20260301,8,O3_8h,95,85
20260301,8,O3_8h_24h,95,85
20260301,9,PM2.5,36,21
"""


def test_site_file_values_land_at_station_hour_and_pollutant(tmp_path: Path) -> None:
    grid = read(tmp_path, SITE, "site_20260301.csv")
    assert grid.stations == ("1001A", "1002A")  # sorted, whatever the column order
    assert grid.start == np.datetime64("2026-03-01T00", "h")  # local 08:00 is 00:00 UTC
    assert grid.n_hours == 2 and grid.rows == 11 and grid.rejects == []
    assert at(grid, PM25, "1002A", "2026-03-01T00") == 35
    assert at(grid, PM25, "1001A", "2026-03-01T01") == 21
    assert at(grid, CO, "1002A", "2026-03-01T00") == 0.8
    assert at(grid, O3, "1001A", "2026-03-01T00") == 90  # the 1-hour value, not O3_8h
    assert np.isnan(at(grid, PM10, "1001A", "2026-03-01T00"))  # empty cell: no value
    assert np.isnan(at(grid, SO2, "1001A", "2026-03-01T01"))


def test_site_file_published_aqi_comes_from_aqi_rows(tmp_path: Path) -> None:
    grid = read(tmp_path, SITE)
    assert at(grid, None, "1002A", "2026-03-01T00") == 55
    assert at(grid, None, "1001A", "2026-03-01T00") == 40
    assert np.isnan(at(grid, None, "1001A", "2026-03-01T01"))


def test_site_hour_zero_is_the_previous_utc_day(tmp_path: Path) -> None:
    grid = read(tmp_path, "date,hour,type,1001A\n20260301,0,PM10,7\n")
    assert grid.start == np.datetime64("2026-02-28T16", "h")
    assert at(grid, PM10, "1001A", "2026-02-28T16") == 7
    assert grid.published_aqi is None


def test_site_file_bad_rows_and_cells_become_rejects(tmp_path: Path) -> None:
    text = (
        "date,hour,type,1001A,1002A\n"
        "20260301,1,PM2.5,10,11\n"
        "20260301,1,PM25_1h,1,1\n"
        "20260230,1,PM2.5,1,1\n"
        "20261301,1,PM2.5,1,1\n"
        "20260301,24,PM2.5,1,1\n"
        "20260301,-1,PM2.5,1,1\n"
        "20260301,2,PM10,abc,-4\n"
        "20260301,2,SO2,NaN,inf\n"
        "20260301,1,PM2.5,12,13\n"
        "20260301,2,NO2,1\n"
        "20260301,2,CO,123456789,\n"
    )
    grid = read(tmp_path, text, "s.csv")
    assert rejects(grid) == [
        (3, "type", "unknown type 'PM25_1h'"),
        (4, "date", "impossible date (expected YYYYMMDD): '20260230'"),
        (5, "date", "impossible date (expected YYYYMMDD): '20261301'"),
        (6, "hour", "hour must be 0–23: '24'"),
        (7, "hour", "hour must be 0–23: '-1'"),
        (8, "1001A", "not a number: 'abc'"),
        (8, "1002A", "negative concentration: '-4'"),
        (9, "1001A", "not a finite number: 'NaN'"),
        (9, "1002A", "not a finite number: 'inf'"),
        (10, "", "duplicate of line 2 (same date, hour and type)"),
        (11, "", "expected 5 fields, found 4"),
        (12, "1001A", "not a concentration (above 2,000,000): '123456789'"),
    ]
    assert {r.file for r in grid.rejects} == {str(tmp_path / "s.csv")}
    assert at(grid, PM25, "1001A", "2026-02-28T17") == 10  # the first of the duplicates
    assert np.isnan(at(grid, PM10, "1001A", "2026-02-28T18"))  # the refused cells
    assert np.isnan(at(grid, PM10, "1002A", "2026-02-28T18"))
    assert np.isnan(at(grid, CO, "1001A", "2026-02-28T18"))  # no concentration is that high
    assert grid.rows == 11


def test_site_station_columns_unknown_bad_or_repeated(tmp_path: Path) -> None:
    text = "date,hour,type,1001A,9999Z,١٠٠٢,1002A,1001A\n20260301,1,PM2.5,1,2,3,4,5\n"
    grid = read(tmp_path, text, stations={"1001A", "1002A"})
    assert grid.stations == ("1001A", "1002A")
    assert rejects(grid) == [
        (1, "9999Z", "unknown station code '9999Z'"),
        (1, "١٠٠٢", f"{BAD_CODE}'١٠٠٢'"),
        (1, "1001A", "duplicate station column, first in column 4"),
    ]
    assert at(grid, PM25, "1001A", "2026-02-28T17") == 1
    assert at(grid, PM25, "1002A", "2026-02-28T17") == 4


def test_site_cells_padded_or_blank_are_not_rejects(tmp_path: Path) -> None:
    grid = read(tmp_path, "date,hour,type,A1,A2,A3\n20260301,1,PM10, 12 ,  ,7\n")
    assert grid.rejects == []
    assert at(grid, PM10, "A1", "2026-02-28T17") == 12
    assert np.isnan(at(grid, PM10, "A2", "2026-02-28T17"))


@pytest.mark.parametrize(
    "variant",
    [
        SITE.replace("date,hour,type", '"date","hour","type"').replace(",55,", ',"55",'),
        "\ufeff" + SITE.replace("\n", "\r\n"),
    ],
    ids=["quoted", "bom-crlf"],
)
def test_site_file_variants_read_the_same(tmp_path: Path, variant: str) -> None:
    plain, other = read(tmp_path, SITE, "a.csv"), read(tmp_path, variant, "b.csv")
    assert other.stations == plain.stations and other.start == plain.start
    assert other.rejects == []
    np.testing.assert_array_equal(other.values, plain.values)
    assert other.published_aqi is not None and plain.published_aqi is not None
    np.testing.assert_array_equal(other.published_aqi, plain.published_aqi)


# --- wide CSV -----------------------------------------------------------------------------


def test_wide_values_spellings_offsets_and_aqi(tmp_path: Path) -> None:
    text = (
        "station,time,o3,pm2_5,SO2,PM10,Aqi\n"
        "1001A,2026-03-01T08:00,80,35,5,60,50\n"
        "1001A,2026-03-01 09:00,81,,6,61,\n"
        "1002A,2026-03-01T10:00:00,82,37,7,62,52\n"
        "1002A,2026-03-01T03:00Z,83,38,8,63,53\n"
        "1003A,2026-03-01T12:00+08:00,84,39,9,64,54\n"
    )
    grid = read(tmp_path, text)
    assert grid.rejects == [] and grid.rows == 5
    assert grid.stations == ("1001A", "1002A", "1003A")
    assert grid.start == np.datetime64("2026-03-01T00", "h") and grid.n_hours == 5
    assert at(grid, PM25, "1001A", "2026-03-01T00") == 35
    assert at(grid, O3, "1001A", "2026-03-01T01") == 81
    assert np.isnan(at(grid, PM25, "1001A", "2026-03-01T01"))
    assert at(grid, SO2, "1002A", "2026-03-01T02") == 7
    assert at(grid, PM10, "1002A", "2026-03-01T03") == 63  # Z: already UTC
    assert at(grid, O3, "1003A", "2026-03-01T04") == 84
    assert np.isnan(grid.values[CO.index]).all()  # no CO column: no values
    assert at(grid, None, "1002A", "2026-03-01T02") == 52


def test_wide_24_00_is_the_next_days_midnight(tmp_path: Path) -> None:
    grid = read(tmp_path, "station,time,PM2.5\nA1,2026-03-01T24:00,9\nA1,2026-03-02T01:00,10\n")
    assert grid.start == np.datetime64("2026-03-01T16", "h")  # local 03-02 00:00
    assert at(grid, PM25, "A1", "2026-03-01T16") == 9
    assert at(grid, PM25, "A1", "2026-03-01T17") == 10


def test_wide_bad_rows_and_cells_become_rejects(tmp_path: Path) -> None:
    text = (
        "station,time,PM2.5,CO\n"
        "1001A,2026-03-01T08:00,10,1\n"
        "9999Z,2026-03-01T08:00,10,1\n"
        "1001A,2026-03-01T09:30,10,1\n"
        "1001A,2026-02-30T09:00,10,1\n"
        "1001A,2026-13-01T09:00,10,1\n"
        "1001A,01/03/2026 09:00,10,1\n"
        "1001A,2026-03-01T10:00,x,-1\n"
        "1001A,2026-03-01T11:00,nan,Infinity\n"
        "1001A,2026-03-01T00:00Z,11,1\n"
        "1001A,2026-03-01T12:00,1\n"
        "\n"
        "1001A,2026-03-01T13:00,1e300,\n"
        "1001A,,1,1\n"
    )
    grid = read(tmp_path, text, "w.csv", stations=["1001A"])
    assert rejects(grid) == [
        (3, "station", "unknown station code '9999Z'"),
        (4, "time", "minutes and seconds must be :00 (hourly data): '2026-03-01T09:30'"),
        (5, "time", "impossible date: '2026-02-30T09:00'"),
        (6, "time", "impossible date: '2026-13-01T09:00'"),
        (7, "time", "not an ISO 8601 time such as 2026-03-01T13:00: '01/03/2026 09:00'"),
        (8, "PM2.5", "not a number: 'x'"),
        (8, "CO", "negative concentration: '-1'"),
        (9, "PM2.5", "not a finite number: 'nan'"),
        (9, "CO", "not a finite number: 'Infinity'"),
        (10, "", "duplicate of line 2 (same station and hour)"),  # the same UTC hour
        (11, "", "expected 4 fields, found 3"),
        (13, "PM2.5", "not a concentration (above 2,000,000): '1e300'"),
        (14, "time", "missing time"),  # line 12 is blank: skipped, lines still physical
    ]
    assert at(grid, PM25, "1001A", "2026-03-01T00") == 10
    assert np.isnan(at(grid, PM25, "1001A", "2026-03-01T05"))
    assert grid.rows == 12


def test_wide_refused_cell_is_quoted_as_written(tmp_path: Path) -> None:
    # Every cell here parses as a number: the reason must still quote the text, not -1.0.
    text = "station,time,PM2.5,SO2\nA1,2026-03-01T08:00,-1,2\nA1,2026-03-01T09:00,NaN,3\n"
    grid = read(tmp_path, text)
    assert rejects(grid) == [
        (2, "PM2.5", "negative concentration: '-1'"),
        (3, "PM2.5", "not a finite number: 'NaN'"),
    ]
    assert at(grid, SO2, "A1", "2026-03-01T01") == 3


def test_wide_unknown_column_is_reported_not_read(tmp_path: Path) -> None:
    grid = read(tmp_path, "station,time,PM2.5,name\nA1,2026-03-01T08:00,1,Wanliu\n")
    assert rejects(grid) == [(1, "name", "unknown column 4, not read")]
    assert at(grid, PM25, "A1", "2026-03-01T00") == 1


def test_wide_quoted_fields_keep_physical_line_numbers(tmp_path: Path) -> None:
    text = 'station,time,PM10\n"A1","2026-03-01T08:00","5"\n\n"A1","2026-03-01T09:00","-5"\n'
    grid = read(tmp_path, text)
    assert at(grid, PM10, "A1", "2026-03-01T00") == 5
    assert rejects(grid) == [(4, "PM10", "negative concentration: '-5'")]


# --- long CSV and JSON --------------------------------------------------------------------

LONG = """station,time,pollutant,value
1001A,2026-03-01T08:00,PM2.5,35
1001A,2026-03-01T08:00,co,0.9
1001A,2026-03-01T08:00,AQI,48
1002A,2026-03-01T09:00,O3,120
1002A,2026-03-01T09:00,PM2.5_24h,40
"""


def test_long_csv_values_and_published_aqi(tmp_path: Path) -> None:
    grid = read(tmp_path, LONG)
    assert grid.rejects == [] and grid.rows == 5
    assert grid.stations == ("1001A", "1002A")
    assert grid.start == np.datetime64("2026-03-01T00", "h")
    assert at(grid, PM25, "1001A", "2026-03-01T00") == 35
    assert at(grid, CO, "1001A", "2026-03-01T00") == 0.9
    assert at(grid, O3, "1002A", "2026-03-01T01") == 120
    assert at(grid, None, "1001A", "2026-03-01T00") == 48


def test_long_csv_rejects(tmp_path: Path) -> None:
    extra = "A,2026-03-01T08:00,PM2.5,36\nA,2026-03-01T10:00,PM1,3\nA,2026-03-01T10:00,SO2,-3\n"
    grid = read(tmp_path, LONG.replace("1001A", "A") + extra + "A,2026-03-01T10:00,NO2,\n")
    assert rejects(grid) == [
        (7, "", "duplicate of line 2 (same station, hour and pollutant)"),
        (8, "pollutant", "unknown pollutant 'PM1'"),
        (9, "value", "negative concentration: '-3'"),
    ]
    assert at(grid, PM25, "A", "2026-03-01T00") == 35


def test_json_array_reads_and_rejects_by_object_index(tmp_path: Path) -> None:
    base = {"station": "1001A", "pollutant": "PM10"}
    objects: list[object] = [
        base | {"time": "2026-03-01T08:00", "value": 70},
        base | {"time": "2026-03-01T09:00", "value": "71.5"},
        base | {"time": "2026-03-01T10:00", "value": None},
        base | {"time": "2026-03-01T11:00", "value": "seventy"},
        base | {"time": "2026-03-01T11:00"},
        base | {"time": "2026-03-01T11:00", "value": True},
        ["not", "an", "object"],
    ]
    grid = read(tmp_path, json.dumps(objects), "feed.json")
    assert at(grid, PM10, "1001A", "2026-03-01T00") == 70
    assert at(grid, PM10, "1001A", "2026-03-01T01") == 71.5
    assert grid.n_hours == 3 and grid.rows == 7  # a null value's hour is in the file
    assert rejects(grid) == [
        (4, "value", "not a number: 'seventy' (in a JSON array, line 4 means object 4)"),
        (5, "value", "missing key 'value' (in a JSON array, line 5 means object 5)"),
        (6, "value", "value must be a number, found true (in a JSON array, line 6 means object 6)"),
        (7, "", "expected an object, found list (in a JSON array, line 7 means object 7)"),
    ]


def test_json_lines_reads_and_rejects_by_line(tmp_path: Path) -> None:
    row = '{"station": "A1", "time": "2026-03-01T08:00%s", "pollutant": "NO2", "value": %d}\n'
    text = row % ("", 30) + "\n{not json\n" + row % ("+08:00", 31)
    grid = read(tmp_path, text, "feed.jsonl")
    assert at(grid, NO2, "A1", "2026-03-01T00") == 30
    assert rejects(grid) == [
        (3, "", "not a JSON object (Expecting property name enclosed in double quotes)"),
        (4, "", "duplicate of line 1 (same station, hour and pollutant)"),
    ]
    assert grid.rows == 3


# --- whole-file problems and layout detection ---------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b" \n\n", "the file is empty"),
        (b"\xef\xbb\xbf", "the file is empty"),
        (b"station,time,PM10\nA1,2026-03-01T08:00,\xff\n", "not UTF-8 text"),
        (b"\nstation,time,PM10\n", "no header"),
        (b"foo,bar\n1,2\n", "unknown header 'foo,bar'"),
        (b"station,PM10\nA1,1\n", "missing required column 'time'"),
        (b"station,time,pollutant\nA1,2026-03-01T08:00,PM10\n", "missing required column 'value'"),
        (b"station,time,name\nA1,2026-03-01T08:00,x\n", "no pollutant column"),
        (b"station,time,PM2.5,pm25\n", "columns 'PM2.5' and 'pm25' both hold PM2.5"),
        (b'[{"station": "A1",', r"upload.csv:1: not valid JSON"),
    ],
)
def test_whole_file_problems_raise_naming_the_file(content: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as error:
        read_grid_bytes(content, "upload.csv")
    assert error.value.message.startswith("upload.csv")


def test_missing_column_and_layout_mismatch() -> None:
    with pytest.raises(InvalidInput) as error:
        read_grid_text("date,hour,station\n", "s.csv", layout=Layout.SITE)
    assert error.value.message == "s.csv: missing required column 'type'"
    assert error.value.field == "type"
    with pytest.raises(InvalidInput, match="JSON input is read in the long layout"):
        read_grid_text("[]", "x.json", layout=Layout.WIDE)


def test_unreadable_path_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"missing\.csv: cannot read the file"):
        read_grid(tmp_path / "missing.csv")


def test_detect_layout_from_the_header() -> None:
    assert detect_layout("date,hour,type,1001A\n") is Layout.SITE
    assert detect_layout("\ufeffstation,time,PM2.5\n") is Layout.WIDE
    assert detect_layout("Station,Time,Pollutant,Value") is Layout.LONG
    assert detect_layout('  [{"station": "A1"}]') is Layout.LONG
    assert detect_layout_bytes(b'{"station": "A1"}\n', "f") is Layout.LONG
    assert detect_layout_bytes(b"\xef\xbb\xbfdate,hour,type\n", "f") is Layout.SITE


def test_text_bytes_and_path_read_the_same(tmp_path: Path) -> None:
    from_path = read(tmp_path, LONG, "long.csv")
    for grid in (read_grid_text(LONG, "long.csv"), read_grid_bytes(LONG.encode(), "long.csv")):
        np.testing.assert_array_equal(grid.values, from_path.values)
        assert grid.stations == from_path.stations and grid.start == from_path.start


def test_a_stray_date_cannot_allocate_a_huge_grid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grid_module, "MAX_CELLS", 1000)
    text = "station,time,PM10\nA1,2026-03-01T08:00,1\nA1,2006-03-01T08:00,1\n"
    with pytest.raises(InvalidInput, match=r"w\.csv: the rows span 175,321 hours"):
        read_grid_text(text, "w.csv")


def test_nothing_readable_gives_an_empty_grid_with_its_rejects() -> None:
    grid = read_grid_text("station,time,PM10\nA1,bad,1\n", "w.csv")
    assert grid.values.shape == (6, 0, 0) and grid.rows == 1
    assert rejects(grid) == [(2, "time", "not an ISO 8601 time such as 2026-03-01T13:00: 'bad'")]


def test_missing_markers_are_no_value_not_a_reject(tmp_path: Path) -> None:
    text = (
        "station,time,PM2.5,PM10,SO2\n"
        "1001A,2026-03-01T08:00,NA,/,—\n"
        "1001A,2026-03-01T09:00,-,na,5\n"
    )
    grid = read(tmp_path, text, "feed.csv")
    assert rejects(grid) == []
    assert np.isnan(at(grid, PM25, "1001A", "2026-03-01T00"))
    assert at(grid, SO2, "1001A", "2026-03-01T01") == 5


def test_covered_marks_blanks_the_file_spoke_of_but_not_refused_cells(tmp_path: Path) -> None:
    site = "date,hour,type,1001A,1002A\n20260301,8,PM2.5,,x\n"
    grid = read(tmp_path, site, "s.csv")
    assert grid.covered is not None
    s1, s2 = grid.stations.index("1001A"), grid.stations.index("1002A")
    assert bool(grid.covered[PM25.index, s1, 0]) is True  # blank: covered
    assert bool(grid.covered[PM25.index, s2, 0]) is False  # refused 'x': says nothing
    assert bool(grid.covered[PM10.index, s1, 0]) is False  # no PM10 row at all
    wide = read(tmp_path, "station,time,PM2.5,PM10\nA1,2026-03-01T08:00,,x\n", "w.csv")
    assert wide.covered is not None
    assert wide.covered[:2, 0, 0].tolist() == [True, False]
