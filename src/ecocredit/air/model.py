"""Value types of air quality: pollutants, stations, rule sets, categories and hourly grids.

Everything downstream (readers, the AQI, the evaluation, the store) speaks of pollutants in
the one order of :data:`POLLUTANTS` — PM2.5, PM10, SO2, NO2, CO, O3 — which is also the order
ties between primary pollutants are listed in.

Times: a monitoring value is labelled with the *end* of its hour in China local time
(UTC+8), the way the national platform and HJ 663 label them: the value labelled 01:00 is
the mean of 00:00–01:00. A natural day therefore holds the labels 01:00 … 24:00 (the next
day's 00:00), which is also why the O3 8-hour windows of a day are those labelled 08 … 24.
Internally a time is a ``numpy.datetime64`` hour in UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
HourArray = npt.NDArray[np.datetime64]

# A station code: the national list's 1001A, or a network's own such as BJ-M01.
STATION_CODE_PATTERN = "^[A-Za-z0-9][A-Za-z0-9-]{0,15}$"
STATION_CODE = re.compile(STATION_CODE_PATTERN, re.ASCII)
# No reading above this is a concentration (and it keeps thousandths inside an int32).
MAX_CONCENTRATION = 2_000_000.0

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")
LOCAL_OFFSET = np.timedelta64(8, "h")
HOUR = np.timedelta64(1, "h")


class Pollutant(StrEnum):
    """The six pollutants of HJ 633, spelled the way the national platform spells them."""

    PM25 = "PM2.5"
    PM10 = "PM10"
    SO2 = "SO2"
    NO2 = "NO2"
    CO = "CO"
    O3 = "O3"

    @property
    def unit(self) -> str:
        """CO is reported in mg/m³, the rest in µg/m³."""
        return "mg/m3" if self is Pollutant.CO else "µg/m3"

    @property
    def index(self) -> int:  # type: ignore[override]  # str.index is never used on a pollutant
        """Position in :data:`POLLUTANTS` and along the first axis of a grid."""
        return POLLUTANTS.index(self)


POLLUTANTS: tuple[Pollutant, ...] = tuple(Pollutant)
N_POLLUTANTS = len(POLLUTANTS)

# Chinese names used by the national feed for the primary pollutant.
POLLUTANT_ZH = {
    Pollutant.PM25: "细颗粒物(PM2.5)",
    Pollutant.PM10: "颗粒物(PM10)",
    Pollutant.SO2: "二氧化硫",
    Pollutant.NO2: "二氧化氮",
    Pollutant.CO: "一氧化碳",
    Pollutant.O3: "臭氧",
}


class StationKind(StrEnum):
    """What network a station belongs to."""

    NATIONAL = "national"  # national control station (国控点)
    PROVINCIAL = "provincial"  # provincial control station (省控点)
    MICRO = "micro"  # micro sensor (微站): shown, never used in an evaluation


class RuleSetName(StrEnum):
    """The AQI technical regulations, chosen by the data's time unless overridden."""

    HJ633_2012 = "HJ633-2012"
    HJ633_2026 = "HJ633-2026"


class StandardVersion(StrEnum):
    """GB 3095 limit sets: the 2012 standard, and the 2026 one before and after 2031."""

    GB3095_2012 = "GB3095-2012"
    GB3095_2026_TRANSITIONAL = "GB3095-2026-transitional"
    GB3095_2026_FINAL = "GB3095-2026-final"


class DataStatus(StrEnum):
    """Real-time values are provisional; audited ones replace them after the monthly review."""

    REALTIME = "realtime"
    AUDITED = "audited"


class Layout(StrEnum):
    """The input layouts a reader understands."""

    SITE = "site"  # national daily site file: date,hour,type,<station codes…>
    WIDE = "wide"  # one row per station-hour: station,time,PM2.5,PM10,SO2,NO2,CO,O3
    LONG = "long"  # one row per value: station,time,pollutant,value (CSV or JSON)


@dataclass(frozen=True)
class Station:
    """A monitoring station (监测点)."""

    code: str
    name: str
    city: str
    province: str
    longitude: float
    latitude: float
    kind: StationKind = StationKind.NATIONAL


@dataclass(frozen=True)
class Category:
    """One AQI level (HJ 633 Table 2 / 2026 Table 1) with its colour (Annex A)."""

    level: int
    roman: str
    name_zh: str
    name_en: str
    colour: str
    lower: int
    upper: int


@dataclass(frozen=True)
class Reject:
    """A row or cell that was not taken, and why."""

    file: str
    line: int
    reason: str
    field: str = ""

    def describe(self) -> str:
        """``file:line: field: reason`` the way compilers say it (no line when 0: whole file)."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


@dataclass
class HourlyGrid:
    """Hourly concentrations of stations: ``values[pollutant, station, hour]``, NaN = none.

    ``hours`` are consecutive UTC hours starting at ``start``. ``published_aqi`` holds the
    AQI a source published beside the concentrations (the site files do), for comparison.
    ``covered`` marks the cells the file spoke of — a value, or a blank where one could have
    been — so that an audited file's blank can withdraw a real-time value; None when unknown.
    """

    stations: tuple[str, ...]
    start: np.datetime64
    values: FloatArray
    published_aqi: FloatArray | None = None
    covered: npt.NDArray[np.bool_] | None = None
    rejects: list[Reject] = field(default_factory=list)
    rows: int = 0

    @property
    def n_hours(self) -> int:
        """Length of the time axis."""
        return int(self.values.shape[2])

    @property
    def hours(self) -> HourArray:
        """The UTC hour of every column."""
        return self.start + np.arange(self.n_hours) * HOUR

    def present(self) -> npt.NDArray[np.bool_]:
        """``[station, hour]`` is True where any pollutant has a value."""
        return np.asarray(~np.all(np.isnan(self.values), axis=0))


def local_label(utc_hour: np.datetime64) -> dt.datetime:
    """The China-local, timezone-aware label of a UTC hour."""
    seconds = int(utc_hour.astype("datetime64[s]").astype(np.int64))
    return dt.datetime.fromtimestamp(seconds, CHINA_TZ)


def to_utc_hour(local: dt.datetime) -> np.datetime64:
    """A China-local label (naive = local) as a UTC ``datetime64`` hour."""
    aware = local if local.tzinfo else local.replace(tzinfo=CHINA_TZ)
    stamp = int(aware.timestamp())
    return np.datetime64(stamp // 3600, "h")


def local_day(utc_hours: HourArray) -> npt.NDArray[np.datetime64]:
    """The local natural day each hour label belongs to (labels 01:00 … 24:00 of a day)."""
    return np.asarray((utc_hours + LOCAL_OFFSET - HOUR).astype("datetime64[D]"))
