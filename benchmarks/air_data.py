"""Synthetic but realistic monitoring data for the air benchmark: hourly values and site files.

Nothing here is timed. Each station has its own level of every pollutant (lognormal across
stations), on which a seasonal cycle (particulates, SO2, NO2 and CO high in winter, O3 in
summer), a daily cycle (O3 peaking in the afternoon, NO2 and CO in the evening rush hour) and
a persistent hourly anomaly (an AR(1) process in log space, so that episodes last days) are
laid. Values are published the way the national platform publishes them: integer µg/m³, CO
in mg/m³ with one decimal. About 1% of the cells are missing: whole station-hours (a
station offline) and single cells (one analyser down).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ecocredit.air.aqi import hourly_aqi
from ecocredit.air.model import N_POLLUTANTS, FloatArray, Pollutant, Station
from ecocredit.air.rules import rule_set

# Per pollutant: median level, spread across stations and of the hourly anomaly (log
# space), amplitude of the seasonal cycle (positive: winter high), amplitude and local hour
# of the daily peak. PM10 follows PM2.5 (see Network.hours).
_PROFILE: dict[Pollutant, tuple[float, float, float, float, float, float]] = {
    Pollutant.PM25: (28.0, 0.35, 0.55, 0.35, 0.12, 21.0),
    Pollutant.PM10: (50.0, 0.30, 0.30, 0.10, 0.10, 19.0),
    Pollutant.SO2: (8.0, 0.50, 0.55, 0.35, 0.15, 11.0),
    Pollutant.NO2: (27.0, 0.35, 0.45, 0.25, 0.30, 20.0),
    Pollutant.CO: (0.7, 0.30, 0.40, 0.35, 0.15, 21.0),
    Pollutant.O3: (55.0, 0.20, 0.45, -0.35, 0.65, 15.0),
}
_PHI = 0.97  # hour-to-hour persistence of the anomaly
_OFFLINE = 0.006  # share of station-hours with no value at all
_CELL_GAP = 0.004  # share of single missing cells
_CO = Pollutant.CO.index
_PM25, _PM10 = Pollutant.PM25.index, Pollutant.PM10.index

# Rows of a national daily site file, in the order the platform writes them, and the series
# each one carries: ("1h", pollutant), ("24h", pollutant), ("8h", O3), ("8h_24h", O3), AQI.
SITE_TYPES: tuple[tuple[str, str, int], ...] = (
    ("PM2.5", "1h", _PM25),
    ("PM2.5_24h", "24h", _PM25),
    ("PM10", "1h", _PM10),
    ("PM10_24h", "24h", _PM10),
    ("SO2", "1h", Pollutant.SO2.index),
    ("SO2_24h", "24h", Pollutant.SO2.index),
    ("NO2", "1h", Pollutant.NO2.index),
    ("NO2_24h", "24h", Pollutant.NO2.index),
    ("O3", "1h", Pollutant.O3.index),
    ("O3_24h", "24h", Pollutant.O3.index),
    ("O3_8h", "8h", Pollutant.O3.index),
    ("O3_8h_24h", "8h_24h", Pollutant.O3.index),
    ("CO", "1h", _CO),
    ("CO_24h", "24h", _CO),
    ("AQI", "aqi", -1),
)
_LUT_SIZE = 100_000  # formatted integers (or tenths); anything larger is written as the top
_MISSING = _LUT_SIZE


@functools.cache
def _lut(tenths: bool) -> npt.NDArray[np.object_]:
    """Cell texts of 0 … _LUT_SIZE - 1 (in tenths for CO), and an empty cell after them."""
    texts = [f"{i // 10}.{i % 10}" if tenths else str(i) for i in range(_LUT_SIZE)]
    return np.array([t.encode() for t in texts] + [b""], dtype=object)


class Network:
    """A network of stations whose hourly values are drawn hour after hour."""

    def __init__(self, n_stations: int, seed: int) -> None:
        self.n = n_stations
        self.rng = np.random.default_rng(seed)
        medians = np.array([_PROFILE[p][0] for p in _PROFILE])
        spread = np.array([_PROFILE[p][1] for p in _PROFILE])
        self.base = np.log(medians)[:, None] + spread[:, None] * self.rng.standard_normal(
            (N_POLLUTANTS, n_stations)
        )
        self.sigma = np.array([_PROFILE[p][2] for p in _PROFILE])[:, None]
        self.anomaly = self.sigma * self.rng.standard_normal((N_POLLUTANTS, n_stations))

    def hours(self, start: dt.datetime, count: int) -> FloatArray:
        """Published values ``[pollutant, station, hour]`` of ``count`` hours from ``start``."""
        out = np.empty((N_POLLUTANTS, self.n, count))
        noise = np.sqrt(1 - _PHI**2) * self.sigma
        for h in range(count):
            moment = start + dt.timedelta(hours=h)
            self.anomaly *= _PHI
            self.anomaly += noise * self.rng.standard_normal((N_POLLUTANTS, self.n))
            out[:, :, h] = self.base + self.anomaly + _cycles(moment)[:, None]
        # PM10 is PM2.5 plus a coarse fraction: it moves with PM2.5.
        out[_PM10] += out[_PM25] - self.base[_PM25][:, None]
        values = np.exp(out)
        _publish(values)
        self._gaps(values)
        return values

    def _gaps(self, values: FloatArray) -> None:
        offline = self.rng.random(values.shape[1:]) < _OFFLINE
        values[:, offline] = np.nan
        values[self.rng.random(values.shape) < _CELL_GAP] = np.nan


def _cycles(moment: dt.datetime) -> FloatArray:
    """Seasonal and daily terms (log space) of every pollutant at a local hour."""
    day = moment.timetuple().tm_yday
    winter = math.cos(2 * math.pi * (day - 15) / 365.25)
    hour = moment.hour
    return np.array(
        [
            season * winter + amp * math.cos(2 * math.pi * (hour - peak) / 24)
            for _, _, _, season, amp, peak in _PROFILE.values()
        ]
    )


def _publish(values: FloatArray) -> None:
    """Round in place as published: integer µg/m³, CO to 0.1 mg/m³ (never zero)."""
    co = values[_CO].copy()
    np.rint(values, out=values)
    np.maximum(values, 1.0, out=values)
    values[_CO] = np.maximum(np.round(co, 1), 0.1)


def station_hours(count: int, seed: int, stations: int = 1_000) -> FloatArray:
    """``count`` station-hours ``[pollutant, count]``: hours of ``stations`` from 2025-01-01."""
    network = Network(stations, seed)
    hours = -(-count // stations)
    values = network.hours(dt.datetime(2025, 1, 1), hours)
    return np.ascontiguousarray(values.reshape(N_POLLUTANTS, -1)[:, :count])


def stations(count: int, cities: int) -> list[Station]:
    """``count`` national stations (codes ``1001A`` …) spread over ``cities`` cities."""
    rng = np.random.default_rng(count)
    # Every city gets a station; the rest go to cities at random, big cities getting more.
    weights = rng.pareto(1.5, cities) + 1
    city_of = np.concatenate(
        [np.arange(cities), rng.choice(cities, count - cities, p=weights / weights.sum())]
    )
    out = []
    for i in range(count):
        city = int(city_of[i])
        out.append(
            Station(
                code=f"{1001 + i}A",
                name=f"Station {i + 1}",
                city=f"City {city + 1:03d}",
                province=f"Province {city % 31 + 1:02d}",
                longitude=round(float(rng.uniform(75, 134)), 4),
                latitude=round(float(rng.uniform(18, 53)), 4),
            )
        )
    return out


@dataclass
class SiteWriter:
    """Writes one national daily site file per day, carrying the hours the means need."""

    codes: list[str]
    history: FloatArray  # the previous 24 hours [pollutant, station, 24]

    @classmethod
    def start(cls, codes: list[str]) -> SiteWriter:
        return cls(codes, np.full((N_POLLUTANTS, len(codes), 24), np.nan))

    def write(self, folder: Path, day: dt.date, values: FloatArray) -> tuple[int, int]:
        """Write the site file of ``day`` (``values[pollutant, station, 24]``).

        Returns its size and how many hourly pollutant values it holds, which is what an import
        of it must count as written (the AQI rows are stored too, as the source's AQI, but are
        no measurement).
        """
        window = np.concatenate([self.history, values], axis=2)
        self.history = values
        mean_24h = _moving_mean(window, 24)[:, :, 24:]
        o3_8h = _moving_mean(window[Pollutant.O3.index], 8)[:, 24:]
        o3_8h_max = np.fmax.accumulate(o3_8h, axis=1)
        aqi = hourly_aqi(values, rule_set("HJ633-2012")).aqi.astype(np.float64)
        aqi[aqi < 0] = np.nan
        series = {"1h": values, "24h": mean_24h}
        ints, tenths = _lut(tenths=False), _lut(tenths=True)
        lines = [b"date,hour,type," + ",".join(self.codes).encode()]
        stamp = day.strftime("%Y%m%d")
        for hour in range(24):
            for name, kind, p in SITE_TYPES:
                if kind == "aqi":
                    row = aqi[:, hour]
                elif kind == "8h":
                    row = o3_8h[:, hour]
                elif kind == "8h_24h":
                    row = o3_8h_max[:, hour]
                else:
                    row = series[kind][p, :, hour]
                cells = _cells(row, tenths if p == _CO else ints, 10 if p == _CO else 1)
                lines.append(f"{stamp},{hour},{name},".encode() + b",".join(cells))
        data = b"\n".join(lines) + b"\n"
        (folder / f"china_sites_{stamp}.csv").write_bytes(data)
        return len(data), int(np.count_nonzero(~np.isnan(values)))


def _cells(row: FloatArray, lut: npt.NDArray[np.object_], scale: int) -> list[bytes]:
    index = np.where(np.isnan(row), _MISSING, np.clip(np.rint(row * scale), 0, _LUT_SIZE - 1))
    return list(lut[index.astype(np.intp)].tolist())


def _moving_mean(window: FloatArray, width: int) -> FloatArray:
    """Trailing means over ``width`` hours of the last axis (NaN ignored, NaN if all are)."""
    present = ~np.isnan(window)
    zero = np.zeros((*window.shape[:-1], 1))
    sums = np.concatenate([zero, np.cumsum(np.where(present, window, 0.0), axis=-1)], axis=-1)
    counts = np.concatenate([zero, np.cumsum(present, axis=-1)], axis=-1)
    total, n = sums[..., width:] - sums[..., :-width], counts[..., width:] - counts[..., :-width]
    out = np.full(window.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[..., width - 1 :] = np.where(n > 0, total / n, np.nan)
    return out


def write_year(
    folder: Path, year: int, network: Network, codes: list[str]
) -> Iterator[tuple[int, int]]:
    """Write the site files of every day of ``year``; yield each one's size and values."""
    writer = SiteWriter.start(codes)
    day = dt.date(year, 1, 1)
    while day.year == year:
        values = network.hours(dt.datetime(day.year, day.month, day.day), 24)
        yield writer.write(folder, day, values)
        day += dt.timedelta(days=1)
