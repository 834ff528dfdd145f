"""Register monitoring stations, or change their description; each change is logged."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.air.model import STATION_CODE, Station, StationKind
from ecocredit.air.ops.common import append, begin, require_monitor
from ecocredit.air.tables import stations as stations_table
from ecocredit.errors import InvalidParameter
from ecocredit.ledger.events import AIR_STATION_REGISTERED
from ecocredit.text import check_text


def check(station: Station, where: str = "station") -> Station:
    """The station with its fields checked, or an error naming the bad field."""
    if not STATION_CODE.fullmatch(station.code):
        raise InvalidParameter(
            f"{where}: code {station.code!r} must be 1-16 ASCII letters, digits or '-'",
            field="code",
        )
    name = check_text(station.name, f"{where} {station.code}: name", 100)
    city = check_text(station.city, f"{where} {station.code}: city", 50)
    province = check_text(station.province, f"{where} {station.code}: province", 50, required=False)
    for axis, bound in (("longitude", 180.0), ("latitude", 90.0)):
        value = getattr(station, axis)
        if not math.isfinite(value) or abs(value) > bound:
            raise InvalidParameter(
                f"{where} {station.code}: {axis} {value} is outside -{bound:g}..{bound:g}",
                field=axis,
            )
    try:
        kind = StationKind(station.kind)
    except ValueError:
        known = ", ".join(k.value for k in StationKind)
        raise InvalidParameter(
            f"{where} {station.code}: kind {station.kind!r} is not one of {known}", field="kind"
        ) from None
    return Station(
        station.code,
        name,
        city,
        province,
        float(station.longitude),
        float(station.latitude),
        kind,
    )


def _row(station: Station) -> dict[str, object]:
    return {
        "code": station.code,
        "name": station.name,
        "city": station.city,
        "province": station.province,
        "longitude": station.longitude,
        "latitude": station.latitude,
        "kind": station.kind.value,
    }


def register(session: Session, items: Sequence[Station], actor: Principal) -> dict[str, int]:
    """Add new stations and update changed ones; return how many of each (and unchanged)."""
    require_monitor(session, actor)
    checked = [check(s) for s in items]
    moment = begin(session)
    existing = {
        row.code: row
        for row in session.execute(
            select(stations_table).where(stations_table.c.code.in_([s.code for s in checked]))
        )
    }
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    for station in checked:
        counts[_apply(session, station, existing.get(station.code), actor, moment)] += 1
    return counts


def _apply(
    session: Session, station: Station, old: object, actor: Principal, moment: datetime
) -> str:
    row = _row(station)
    if old is not None:
        if all(getattr(old, k) == v for k, v in row.items()):
            return "unchanged"
        table = stations_table
        session.execute(table.update().where(table.c.code == station.code).values(**row))
        outcome = "updated"
    else:
        session.execute(stations_table.insert().values(**row, created_at=moment))
        outcome = "added"
    append(session, AIR_STATION_REGISTERED, actor.name, row, moment)
    return outcome
