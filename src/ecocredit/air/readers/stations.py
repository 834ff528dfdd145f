"""Station lists: the CNEMC list and an English one, into :class:`Station` values.

Two headers are understood (columns found by name, in any order; extra columns ignored):

- CNEMC: ``监测点编码,监测点名称,城市,经度,纬度,对照点`` — the national list has no province,
  so it is left empty, and every station is national (对照点 marks background stations and
  is not kept);
- English: ``code,name,city,province,longitude,latitude,kind`` with ``province`` and
  ``kind`` optional (``national``, ``provincial`` or ``micro``; empty = national).

Lists are small (a few thousand stations), so they are read with the ``csv`` module.
Bad rows become rejects as in the grid readers; a repeated code is rejected naming the
line of the first.
"""

from __future__ import annotations

import math
from pathlib import Path

from ecocredit.air.model import Reject, Station, StationKind
from ecocredit.air.readers.cells import NUMBER, code_problem, shown
from ecocredit.air.readers.source import load, prepare
from ecocredit.air.readers.table import quoted_table
from ecocredit.errors import InvalidInput

# Our field name → the column of each layout; None = not in that layout.
CNEMC = {
    "code": "监测点编码",
    "name": "监测点名称",
    "city": "城市",
    "longitude": "经度",
    "latitude": "纬度",
}
ENGLISH = {
    "code": "code",
    "name": "name",
    "city": "city",
    "longitude": "longitude",
    "latitude": "latitude",
}
OPTIONAL = ("province", "kind")
RANGES = {"longitude": 180.0, "latitude": 90.0}


class _Refused(Exception):
    """A row that cannot be a station; carries the reason and the column to blame."""

    def __init__(self, reason: str, field: str) -> None:
        super().__init__(reason)
        self.reason, self.field = reason, field


def read_stations(path: Path) -> tuple[list[Station], list[Reject]]:
    """The stations of a list file and the rows refused."""
    return read_stations_bytes(load(path), str(path))


def read_stations_bytes(data: bytes, name: str) -> tuple[list[Station], list[Reject]]:
    """:func:`read_stations` of bytes in memory; ``name`` names the file in rejects."""
    table = quoted_table(prepare(data, name).decode(), name)
    positions = _columns(table.header, name)
    stations: list[Station] = []
    rejects = list(table.rejects)
    first_line: dict[str, int] = {}
    for line, record in zip(table.lines.tolist(), table.cells or [], strict=True):
        try:
            station = _station({k: record[i].strip() for k, i in positions.items()})
        except _Refused as refused:
            rejects.append(Reject(name, line, refused.reason, refused.field))
            continue
        if station.code in first_line:
            reason = f"duplicate of line {first_line[station.code]} (same station code)"
            rejects.append(Reject(name, line, reason, "code"))
            continue
        first_line[station.code] = line
        stations.append(station)
    return stations, sorted(rejects, key=lambda r: r.line)


def _columns(header: list[str], name: str) -> dict[str, int]:
    """Our field name → column position, for whichever layout the header is."""
    names = [cell.strip().lower() for cell in header]
    layout = CNEMC if CNEMC["code"] in names else ENGLISH
    if layout is ENGLISH and "code" not in names:
        raise InvalidInput(
            f"{name}: unknown station list header: expected 监测点编码,监测点名称,城市,经度,纬度 "
            "or code,name,city,province,longitude,latitude,kind"
        )
    positions: dict[str, int] = {}
    for key, column in layout.items():
        if column not in names:
            raise InvalidInput(f"{name}: missing required column '{column}'", field=column)
        positions[key] = names.index(column)
    if layout is ENGLISH:
        positions |= {key: names.index(key) for key in OPTIONAL if key in names}
    return positions


def _coordinate(cells: dict[str, str], key: str) -> float:
    text = cells[key]
    if not text:
        raise _Refused(f"missing {key}", key)
    value = float(text) if NUMBER.fullmatch(text) else math.nan
    if not math.isfinite(value):
        raise _Refused(f"{key} is not a number: {shown(text)}", key)
    if abs(value) > RANGES[key]:
        raise _Refused(f"{key} must be within ±{RANGES[key]:g}: {shown(text)}", key)
    return value


def _station(cells: dict[str, str]) -> Station:
    """A station from a row's cells (stripped), or _Refused naming the first bad cell."""
    problem = code_problem(cells["code"], None)
    if problem is not None:
        raise _Refused(problem, "code")
    if not cells["name"]:
        raise _Refused("missing station name", "name")
    longitude = _coordinate(cells, "longitude")
    latitude = _coordinate(cells, "latitude")
    kind_text = cells.get("kind", "").lower() or StationKind.NATIONAL.value
    if kind_text not in {k.value for k in StationKind}:
        choices = ", ".join(k.value for k in StationKind)
        raise _Refused(f"kind must be one of {choices}: {shown(cells['kind'])}", "kind")
    return Station(
        code=cells["code"],
        name=cells["name"],
        city=cells["city"],
        province=cells.get("province", ""),
        longitude=longitude,
        latitude=latitude,
        kind=StationKind(kind_text),
    )
