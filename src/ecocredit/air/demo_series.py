"""Demo monitoring data: real national stations of three cities and synthetic hourly values.

The portal, the CLI and the tests need data that looks like the national feed without a
network. :func:`demo_stations` reads ``data/demo_stations.csv`` (national control stations of
北京, 上海 and 成都 with their CNEMC codes, names and coordinates and the source of each, plus
a few invented micro sensors). :func:`generate` makes hourly concentrations for any stations
and any window, shaped like published data:

* one regional signal per city, shared by its stations: clean air after a cold front, a
  build-up over a few days and the next front clearing it within a few hours; in the
  northern heating season (北京, 15 Nov – 15 Mar) build-ups reach AQI 150–250;
* seasons: more PM2.5, NO2, CO and SO2 in winter, more O3 in summer (so that some summer
  afternoons are O3-primary), PM10 1.3–2 × PM2.5 with a spring dust bump;
* daily cycles: NO2 and CO peak in the morning and evening rush hours, O3 in mid-afternoon
  and low at night, PM2.5 higher at night in winter and around noon in summer;
* per-station offsets and noise (micro sensors noisier, 对照点 background stations cleaner),
  about 0.7 % missing values, some of them whole station-hours;
* published precision: integers in µg/m³, CO in mg/m³ with one decimal.

Every random draw is keyed by (seed, what it is for, city or station, 4-week block of absolute
time), so an hour gets the same value whatever window it is asked in, and a station's values
do not depend on which other stations are generated with it.
"""

from __future__ import annotations

import csv
import datetime as dt
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import numpy.typing as npt

from ecocredit.air.model import (
    N_POLLUTANTS,
    FloatArray,
    HourlyGrid,
    IntArray,
    Pollutant,
    Station,
    StationKind,
    to_utc_hour,
)
from ecocredit.errors import InvalidParameter

BoolArray = npt.NDArray[np.bool_]

# Random draws are made per block of absolute time so that windows overlap consistently.
BLOCK_HOURS = 672
YEAR_DAYS = 365.2425
TAU = 2 * np.pi
PM25, PM10, SO2, NO2, CO, O3 = (p.index for p in Pollutant)

# What a keyed random stream is for; part of the key so that streams never coincide.
_STAGNATION, _CITY_NOISE, _OFFSETS, _STATION_NOISE, _WHITE, _MISSING = range(1, 7)

# Published precision and plausible bounds of hourly values (CO in mg/m³).
# fmt: off
_BOUNDS = {PM25: (2, 500), PM10: (2, 600), SO2: (3, 20), NO2: (2, 250), CO: (0.2, 2.5),
           O3: (2, 320)}
# fmt: on

# Share of single values lost (analyser faults) and outages per station and block (all six).
_VALUE_LOSS = 0.003
_OUTAGES_PER_BLOCK = 1.0


@dataclass(frozen=True)
class CityClimate:
    """The knobs of one city's synthetic air.

    They are invented, and tuned so that a year's PM2.5 lands near recent published annual
    means (北京 ≈ 32, 上海 ≈ 30, 成都 ≈ 40 µg/m³). Pairs are (summer, winter) values; the
    season blends between them.
    """

    pm_clean: tuple[float, float]  # PM2.5 right after a cold front, µg/m³
    episode: tuple[float, float]  # log growth of PM2.5 over a full build-up
    cycle_days: tuple[float, float]  # shortest and longest front-to-front cycle
    heating: bool  # central heating 15 Nov – 15 Mar: full winter, more CO and SO2
    pm10_ratio: float  # typical PM10 / PM2.5 outside episodes
    no2: float  # µg/m³
    co: float  # mg/m³
    so2: float  # µg/m³
    o3_peak: tuple[float, float]  # mid-afternoon O3 on a sunny day, µg/m³
    o3_night: tuple[float, float]


# fmt: off
CLIMATES = {
    "北京": CityClimate(
        pm_clean=(18, 12.5), episode=(0.75, 2.55), cycle_days=(2.5, 5), heating=True,
        pm10_ratio=1.7, no2=21, co=0.45, so2=3, o3_peak=(200, 55), o3_night=(45, 8)),
    "上海": CityClimate(
        pm_clean=(16, 23.4), episode=(0.6, 1.45), cycle_days=(3, 6), heating=False,
        pm10_ratio=1.6, no2=28, co=0.55, so2=6, o3_peak=(175, 60), o3_night=(45, 15)),
    "成都": CityClimate(
        pm_clean=(20, 38), episode=(0.5, 1.1), cycle_days=(3.5, 6.5), heating=False,
        pm10_ratio=1.5, no2=30, co=0.6, so2=4, o3_peak=(190, 50), o3_night=(40, 10)),
}
# Any other city gets middling air.
DEFAULT_CLIMATE = CityClimate(
    pm_clean=(15, 25), episode=(0.6, 1.5), cycle_days=(3, 6), heating=False,
    pm10_ratio=1.6, no2=25, co=0.6, so2=6, o3_peak=(170, 55), o3_night=(40, 12))
# fmt: on


def demo_stations() -> list[Station]:
    """The stations of ``data/demo_stations.csv``, in file order."""
    text = resources.files("ecocredit.air").joinpath("data/demo_stations.csv").read_text("utf-8")
    return [
        Station(
            code=row["code"],
            name=row["name"],
            city=row["city"],
            province=row["province"],
            longitude=float(row["longitude"]),
            latitude=float(row["latitude"]),
            kind=StationKind(row["kind"]),
        )
        for row in csv.DictReader(text.splitlines())
    ]


def generate(
    stations: Sequence[Station], start_local: dt.datetime, hours: int, seed: int = 2026
) -> HourlyGrid:
    """Hourly concentrations of ``stations`` for ``hours`` hours from ``start_local``.

    ``start_local`` is the China-local label of the first hour (the value labelled 01:00 is
    the mean of 00:00–01:00). The grid's stations are sorted by code. The same seed, station
    and hour always give the same value.
    """
    if hours < 1:
        raise InvalidParameter("hours must be at least 1", field="hours")
    ordered = sorted(stations, key=lambda s: s.code)
    codes = tuple(s.code for s in ordered)
    if len(set(codes)) != len(codes):
        raise InvalidParameter("station codes must be unique", field="stations")
    if seed < 0:
        raise InvalidParameter("seed must not be negative", field="seed")
    start = to_utc_hour(start_local)
    u = start.astype(np.int64) + np.arange(hours, dtype=np.int64)
    values = np.empty((N_POLLUTANTS, len(ordered), hours))
    regional: dict[str, FloatArray] = {}
    for i, station in enumerate(ordered):
        if station.city not in regional:
            regional[station.city] = _regional(u, station.city, seed)
        values[:, i, :] = _station_values(u, station, regional[station.city], seed)
    return HourlyGrid(stations=codes, start=start, values=values)


# --- time --------------------------------------------------------------------------------


def _local_hour(u: IntArray) -> IntArray:
    """The local label hour 0–23 of each UTC hour (0 is the label 24:00 of the day before)."""
    return np.asarray((u + 8) % 24)


def _days(u: IntArray) -> FloatArray:
    """Local days since 1970-01-01, at the middle of each labelled hour."""
    return np.asarray((u + 8 - 0.5) / 24.0)


def _season(u: IntArray, peak_day: float) -> FloatArray:
    """1 on day-of-year ``peak_day``, 0 half a year later, a cosine in between."""
    return np.asarray(0.5 * (1 + np.cos(TAU * (_days(u) - peak_day) / YEAR_DAYS)))


def _heating(u: IntArray) -> BoolArray:
    """Inside the northern heating season, 15 November to 15 March."""
    day_of_year = _days(u) % YEAR_DAYS
    return np.asarray((day_of_year >= 318) | (day_of_year < 73))


def _winter(u: IntArray, climate: CityClimate) -> FloatArray:
    """How wintry an hour is, 0–1: mid-January is 1, and all the heating season where heated."""
    w = _season(u, 14)
    return np.where(_heating(u), 1.0, w) if climate.heating else w


def _blend(pair: tuple[float, float], w: FloatArray) -> FloatArray:
    """Summer value at ``w`` = 0, winter value at ``w`` = 1."""
    return np.asarray(pair[0] + (pair[1] - pair[0]) * w)


def _diurnal(centre: float, width: float) -> FloatArray:
    """A bump around local hour ``centre`` for label hours 0–23 (value at mid-hour)."""
    mid = (np.arange(24) - 0.5) % 24
    distance = (mid - centre + 12) % 24 - 12
    return np.asarray(np.exp(-0.5 * (distance / width) ** 2))


def _unit_mean(table: FloatArray) -> FloatArray:
    return np.asarray(table / table.mean())


# --- keyed randomness ----------------------------------------------------------------------


def _key(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _per_block(
    u: IntArray, keys: list[int], draw: Callable[[np.random.Generator], npt.NDArray[np.generic]]
) -> npt.NDArray[np.generic]:
    """Concatenate ``draw`` (…, BLOCK_HOURS) over the blocks ``u`` touches; take ``u``'s hours."""
    first, last = int(u[0]) // BLOCK_HOURS, int(u[-1]) // BLOCK_HOURS
    parts = [draw(np.random.default_rng([*keys, b % 2**32])) for b in range(first, last + 1)]
    return np.concatenate(parts, axis=-1)[..., u - first * BLOCK_HOURS]


def _smooth(u: IntArray, keys: list[int], rows: int, every: int) -> FloatArray:
    """Noise of standard deviation 0.7–1 that drifts smoothly over ``every`` hours."""
    per_block = BLOCK_HOURS // every
    first, last = int(u[0]) // BLOCK_HOURS, int(u[-1]) // BLOCK_HOURS + 1
    knots = np.concatenate(
        [
            np.random.default_rng([*keys, b % 2**32]).standard_normal((rows, per_block))
            for b in range(first, last + 1)
        ],
        axis=1,
    )
    x = (u - first * BLOCK_HOURS) / every
    i = np.floor(x).astype(np.int64)
    f = x - i
    f = f * f * (3 - 2 * f)  # smoothstep: no kinks at the knots
    return np.asarray(knots[:, i] * (1 - f) + knots[:, i + 1] * f)


def _stagnation_block(rng: np.random.Generator, climate: CityClimate) -> FloatArray:
    """Rows (stagnation 0…1, strength of the cycle) for one block of front-to-front cycles.

    Each cycle: clean air for 6–30 h after a front, stagnation rising steadily (so
    concentrations grow exponentially) for the rest, and the next front clearing it in
    2–5 hours. A front always closes the block, so blocks join in clean air.
    """
    out = np.zeros((2, BLOCK_HOURS))
    lo, hi = climate.cycle_days
    pos = 0
    while pos < BLOCK_HOURS:
        length = min(int(rng.uniform(lo, hi) * 24), BLOCK_HOURS - pos)
        clean = min(int(rng.integers(6, 31)), length // 3)
        front = min(int(rng.integers(2, 6)), length - clean)
        rise = length - clean - front
        cycle = out[0, pos : pos + length]
        cycle[clean : clean + rise] = np.arange(1, rise + 1) / max(rise, 1)
        cycle[clean + rise :] = np.linspace(1, 0, front + 1)[1:] if rise else 0.0
        out[1, pos : pos + length] = rng.uniform(0.65, 1.0)
        pos += length
    return out


# --- the regional signal -----------------------------------------------------------------


def _regional(u: IntArray, city: str, seed: int) -> FloatArray:
    """The city-wide concentrations (6, hours) that all its stations share."""
    climate = CLIMATES.get(city, DEFAULT_CLIMATE)
    keys = [seed, _STAGNATION, _key(city)]
    stagnation, strength = _per_block(u, keys, lambda rng: _stagnation_block(rng, climate))
    w = _winter(u, climate)
    heat = _heating(u) & climate.heating
    # How far the air has built up: 0 after a front, up to the cycle's full episode growth.
    build = np.asarray(_blend(climate.episode, w) * strength * stagnation)
    noise = _smooth(u, [seed, _CITY_NOISE, _key(city)], rows=4, every=6)
    hour = _local_hour(u)
    out = np.empty((N_POLLUTANTS, len(u)))
    out[PM25] = _pm25(climate, w, heat, build, hour) * np.exp(0.12 * noise[0])
    out[PM10] = _pm10_ratio(u, climate, build, hour)  # a ratio: each station applies it
    out[NO2] = climate.no2 * (0.75 + 0.5 * w) * _traffic()[hour] * np.exp(0.33 * build)
    out[NO2] *= np.exp(0.12 * noise[1])
    out[CO] = climate.co * (0.8 + 0.4 * w) * np.where(heat, 1.3, 1.0) * np.exp(0.38 * build)
    out[CO] *= _traffic()[hour] ** 0.5 * np.exp(0.08 * noise[2])
    so2_day = _unit_mean(1 + 0.4 * _diurnal(11, 3))
    out[SO2] = climate.so2 * (0.85 + 0.3 * w) * np.where(heat, 1.4, 1.0) * so2_day[hour]
    out[SO2] *= np.exp(0.2 * build + 0.1 * noise[2])  # same burning as CO: same noise
    out[O3] = _ozone(u, climate, build, hour, noise[3])
    return out


def _traffic() -> FloatArray:
    """Rush-hour shape of NO2 (and, softened, CO): peaks at 08–09 and 19–21, low mid-afternoon."""
    shape = 1 + 0.45 * _diurnal(8.5, 1.5) + 0.6 * _diurnal(20.5, 2.5) - 0.35 * _diurnal(14.5, 3)
    return _unit_mean(shape)


def _pm25(
    climate: CityClimate, w: FloatArray, heat: BoolArray, build: FloatArray, hour: IntArray
) -> FloatArray:
    """PM2.5: the clean level times the episode's growth.

    It is higher at night in winter (inversions) and around noon in summer (secondary
    aerosol forms in sunlight).
    """
    clean = _blend(climate.pm_clean, w) * np.where(heat, 1.15, 1.0)
    night = np.cos(TAU * ((np.arange(24) - 0.5) - 23) / 24)
    noon = np.cos(TAU * ((np.arange(24) - 0.5) - 13) / 24)
    daily = 1 + w * 0.15 * night[hour] + (1 - w) * 0.08 * noon[hour]
    return np.asarray(clean * np.exp(build) * daily)


def _pm10_ratio(u: IntArray, climate: CityClimate, build: FloatArray, hour: IntArray) -> FloatArray:
    """PM10 / PM2.5: more coarse dust in spring and by day, less in secondary-aerosol episodes."""
    spring = np.exp(-0.5 * (((_days(u) % YEAR_DAYS) - 100) / 25) ** 2)
    wet_summer = 1 - 0.1 * _season(u, 196)  # rain keeps coarse dust down in July
    daytime = 1 + 0.06 * _diurnal(13, 4)[hour]
    ratio = climate.pm10_ratio * (1 + 0.15 * spring) * wet_summer * daytime
    ratio *= np.exp(-0.12 * build)
    return np.asarray(np.clip(ratio, 1.3, 2.0))


def _ozone(
    u: IntArray, climate: CityClimate, build: FloatArray, hour: IntArray, noise: FloatArray
) -> FloatArray:
    """O3: a night floor plus an afternoon photochemical bump.

    The bump is large in early summer and damped on cloudy days (``noise``) and under haze.
    """
    summer = _season(u, 165)
    night = _blend(climate.o3_night, 1 - summer)
    peak = _blend(climate.o3_peak, 1 - summer)
    sun = np.exp(0.2 * noise) * np.exp(-0.25 * build)
    return np.asarray(night + (peak - night) * _diurnal(15, 2.8)[hour] * sun)


# --- stations ------------------------------------------------------------------------------


def _station_values(u: IntArray, station: Station, regional: FloatArray, seed: int) -> FloatArray:
    """One station's published values (6, hours).

    The regional signal times the station's own offsets and noise, rounded the way the
    platform publishes, with the values the station lost set to NaN.
    """
    key = _key(station.code)
    micro = station.kind is StationKind.MICRO
    drift_sd, white_sd, offset_sd = (0.2, 0.15, 0.15) if micro else (0.08, 0.04, 0.05)
    offsets = np.random.default_rng([seed, _OFFSETS, key]).normal(0.0, offset_sd, N_POLLUTANTS)
    offsets[NO2] *= 2  # traffic exposure differs more between sites than regional air does
    offsets[O3] = -0.5 * offsets[NO2] + 0.3 * offsets[O3]  # NO emitted near a site eats O3
    log_noise = drift_sd * _smooth(u, [seed, _STATION_NOISE, key], rows=N_POLLUTANTS, every=3)
    white = _per_block(
        u, [seed, _WHITE, key], lambda rng: rng.standard_normal((N_POLLUTANTS, BLOCK_HOURS))
    )
    log_noise += white_sd * np.asarray(white, dtype=np.float64)
    values = regional * np.exp(offsets[:, None] + log_noise) * _background(station)[:, None]
    # PM10 is the station's own PM2.5 times the regional ratio, so it never falls below it.
    values[PM10] = values[PM25] * np.clip(regional[PM10] * np.exp(log_noise[PM10] / 3), 1.3, 2.0)
    rounded = _published(values)
    rounded[_lost(u, seed, key)] = np.nan
    return rounded


def _background(station: Station) -> FloatArray:
    """Concentration factors of a station.

    对照点 (background stations far from town) see less traffic and PM and keep more O3.
    """
    factors = np.ones(N_POLLUTANTS)
    if "对照点" in station.name:
        factors[[PM25, PM10, SO2, NO2, CO, O3]] = (0.85, 0.85, 0.8, 0.55, 0.8, 1.15)
    return factors


def _published(values: FloatArray) -> FloatArray:
    """Values as the platform publishes them: bounded, integers in µg/m³, CO to 0.1 mg/m³.

    ``numpy.round`` rounds half to even, GB/T 8170's 四舍六入五成双.
    """
    out = np.empty_like(values)
    for p, (lo, hi) in _BOUNDS.items():
        out[p] = np.clip(np.round(values[p], 1 if p == CO else 0), lo, hi)
    return out


def _lost(u: IntArray, seed: int, key: int) -> BoolArray:
    """Which values (6, hours) a station did not deliver.

    Single analyser faults, and outages of one to four hours in which the whole station is
    silent.
    """

    def draw(rng: np.random.Generator) -> BoolArray:
        lost = rng.random((N_POLLUTANTS, BLOCK_HOURS)) < _VALUE_LOSS
        for _ in range(int(rng.poisson(_OUTAGES_PER_BLOCK))):
            start = int(rng.integers(0, BLOCK_HOURS))
            lost[:, start : start + int(rng.integers(1, 5))] = True
        return lost

    return np.asarray(_per_block(u, [seed, _MISSING, key], draw), dtype=np.bool_)
