"""Reading stored station-day blocks back as arrays: the latest value of every hour.

Rows are overlaid real-time imports first, then audited ones, each in import order: a later
import's value of an hour replaces an earlier one, and an audited value is never displaced by
a real-time one fetched after the audit; every row stays stored. With ``sources=True`` the
loader also says which values are audited, so a report can say what data it used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import case, select
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
    audited: npt.NDArray[np.bool_] | None  # whether each value comes from an audited import

    @property
    def n_days(self) -> int:
        """How many days the arrays cover."""
        return int(self.codes.shape[1])

    def days_from(self, day: dt.date) -> Loaded:
        """The same values without the days before ``day``."""
        skip = (day - self.first).days
        audited = None if self.audited is None else self.audited[:, skip:]
        return Loaded(self.stations, day, self.codes[:, skip:], audited)

    def hourly(self) -> tuple[FloatArray, np.datetime64]:
        """``(values[pollutant, station, hour], start)``: the pollutants as an hourly grid."""
        s, d = self.codes.shape[:2]
        # One series at a time: a year of a national network is a gigabyte per copy.
        series = np.empty((blocks.PUBLISHED_AQI, s, d * 24))
        for i in range(blocks.PUBLISHED_AQI):
            series[i] = blocks.decode(self.codes[:, :, i, :]).reshape(s, d * 24)
        return series, day_start_utc(self.first)


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
    audited = np.zeros(shape, dtype=np.bool_) if sources else None
    is_audited = imports.c.status == DataStatus.AUDITED.value
    query = (
        select(station_days.c.station, station_days.c.day, station_days.c.block, is_audited)
        .join(imports, imports.c.id == station_days.c.import_id)
        .where(station_days.c.day >= first, station_days.c.day <= last)
        .order_by(case((is_audited, 1), else_=0), station_days.c.import_id)
    )
    if len(codes) <= 500:
        query = query.where(station_days.c.station.in_(list(codes)))
    # Streamed: a national year is 730,000 rows, too many to hold as Python objects at once.
    for code, day, blob, from_audit in session.execute(query.execution_options(yield_per=4096)):
        i = order.get(code)
        if i is None:
            continue
        j = (day - first).days
        block = blocks.from_bytes(blob)
        present = block != blocks.ABSENT
        out[i, j][present] = block[present]
        if audited is not None:
            audited[i, j][present] = bool(from_audit)
    return Loaded(tuple(codes), first, out, audited)


def statuses(loaded: Loaded) -> dict[str, int]:
    """How many of the loaded values are real-time and how many audited."""
    pollutants = slice(0, blocks.PUBLISHED_AQI)  # the published AQI is no measurement
    present = loaded.codes[:, :, pollutants] > blocks.INVALID
    audited = 0
    if loaded.audited is not None:
        audited = int(np.count_nonzero(present & loaded.audited[:, :, pollutants]))
    return {
        DataStatus.REALTIME.value: int(np.count_nonzero(present)) - audited,
        DataStatus.AUDITED.value: audited,
    }


def data_status(counts: dict[str, int]) -> str:
    """``audited``, ``realtime``, ``mixed`` or ``none`` for value counts by status."""
    audited, realtime = counts[DataStatus.AUDITED.value], counts[DataStatus.REALTIME.value]
    if audited and realtime:
        return "mixed"
    if audited:
        return DataStatus.AUDITED.value
    return DataStatus.REALTIME.value if realtime else "none"
