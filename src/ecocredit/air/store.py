"""Reading stored station-day blocks back as arrays: the latest value of every hour.

Rows are overlaid in import order, so a later import's value of an hour replaces an earlier
one (an audited value replacing the real-time one) while both stay stored. With
``sources=True`` the import each value came from is kept beside it, so a report can say
whether it used real-time or audited data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecocredit.air import blocks
from ecocredit.air.averages import day_start_utc
from ecocredit.air.model import DataStatus, FloatArray
from ecocredit.air.tables import imports, station_days, stations


@dataclass(frozen=True)
class Loaded:
    """Latest values ``codes[station, day, series, 24]`` (thousandths) of days from ``first``."""

    stations: tuple[str, ...]
    first: dt.date
    codes: npt.NDArray[np.int32]
    sources: npt.NDArray[np.int32] | None  # import id of each value, 0 where none

    @property
    def n_days(self) -> int:
        """How many days the arrays cover."""
        return int(self.codes.shape[1])

    def hourly(self) -> tuple[FloatArray, FloatArray, np.datetime64]:
        """``(values[pollutant, station, hour], published_aqi[station, hour], start)``."""
        s, d = self.codes.shape[:2]
        # One series at a time: a year of a national network is a gigabyte per copy.
        series = np.empty((blocks.SERIES, s, d * 24))
        for i in range(blocks.SERIES):
            series[i] = blocks.decode(self.codes[:, :, i, :]).reshape(s, d * 24)
        return (
            series[: blocks.PUBLISHED_AQI],
            series[blocks.PUBLISHED_AQI],
            day_start_utc(self.first),
        )


def station_codes(session: Session) -> tuple[str, ...]:
    """Every registered station code, sorted."""
    return tuple(session.scalars(select(stations.c.code).order_by(stations.c.code)))


def load(
    session: Session,
    first: dt.date,
    last: dt.date,
    codes: Sequence[str],
    *,
    sources: bool = False,
) -> Loaded:
    """The latest values of stations ``codes`` on the days ``first`` … ``last``."""
    order = {c: i for i, c in enumerate(codes)}
    n_days = (last - first).days + 1
    shape = (len(codes), n_days, blocks.SERIES, 24)
    out = np.full(shape, blocks.ABSENT, dtype=np.int32)
    origin = np.zeros(shape, dtype=np.int32) if sources else None
    query = (
        select(
            station_days.c.station,
            station_days.c.day,
            station_days.c.import_id,
            station_days.c.block,
        )
        .where(station_days.c.day >= first, station_days.c.day <= last)
        .order_by(station_days.c.import_id)
    )
    if len(codes) <= 500:
        query = query.where(station_days.c.station.in_(list(codes)))
    for code, day, import_id, blob in session.execute(query):
        i = order.get(code)
        if i is None:
            continue
        j = (day - first).days
        block = blocks.from_bytes(blob)
        present = block != blocks.ABSENT
        out[i, j][present] = block[present]
        if origin is not None:
            origin[i, j][present] = import_id
    return Loaded(tuple(codes), first, out, origin)


def statuses(session: Session, import_ids: npt.NDArray[np.int32]) -> dict[str, int]:
    """How many values came from real-time and from audited imports."""
    ids, counts = np.unique(import_ids[import_ids > 0], return_counts=True)
    if ids.size == 0:
        return {DataStatus.REALTIME.value: 0, DataStatus.AUDITED.value: 0}
    query = select(imports.c.id, imports.c.status).where(imports.c.id.in_(ids.tolist()))
    status_of = {int(i): str(s) for i, s in session.execute(query)}
    out = {DataStatus.REALTIME.value: 0, DataStatus.AUDITED.value: 0}
    for import_id, count in zip(ids.tolist(), counts.tolist(), strict=True):
        out[status_of[import_id]] += int(count)
    return out


def data_status(counts: dict[str, int]) -> str:
    """``audited``, ``realtime``, ``mixed`` or ``none`` for value counts by status."""
    audited, realtime = counts[DataStatus.AUDITED.value], counts[DataStatus.REALTIME.value]
    if audited and realtime:
        return "mixed"
    if audited:
        return DataStatus.AUDITED.value
    return DataStatus.REALTIME.value if realtime else "none"
