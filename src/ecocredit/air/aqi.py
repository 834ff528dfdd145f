"""The Air Quality Index of HJ 633, vectorised: IAQI per pollutant, AQI, primary pollutants.

Every function takes arrays of any shape (a station-hour grid, a column of a million rows, or
a single value) and works column-wise with numpy, so a year of a national network is seconds
of work. The rules come from a :class:`~ecocredit.air.rules.RuleSet`; nothing here knows a
breakpoint by heart.

The real-time (hourly) AQI is the one the national platform publishes: SO2, NO2, CO and O3
1-hour values on their 1-hour tables, and the PM2.5 and PM10 1-hour values on the 24-hour
tables (HJ 633-2026 writes this down; the platform has done it since 2014). The O3 8-hour
value and the particulate 24-hour moving means are not part of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ecocredit.air.model import N_POLLUTANTS, POLLUTANTS, FloatArray, Pollutant
from ecocredit.air.rounding import round_up
from ecocredit.air.rules import MISSING, RuleSet, Table

# Where each pollutant's real-time value is scored.
HOURLY_TABLES: dict[Pollutant, str] = {
    Pollutant.PM25: "PM2.5_24h",
    Pollutant.PM10: "PM10_24h",
    Pollutant.SO2: "SO2_1h",
    Pollutant.NO2: "NO2_1h",
    Pollutant.CO: "CO_1h",
    Pollutant.O3: "O3_1h",
}
# The level of every AQI from MISSING (-1, level 0) to 500: I up to 50, II up to 100 …
_LEVEL_OF = np.searchsorted(np.array([50, 100, 150, 200, 300]), np.arange(-1, 501)).astype(
    np.int8
) + np.int8(1)
_LEVEL_OF[0] = 0
_SO2 = Pollutant.SO2.index
_CO = Pollutant.CO.index
_ABOVE_800 = 800.0


@dataclass(frozen=True)
class AqiArrays:
    """IAQI, AQI, primary pollutants and level for every element of the input shape.

    Values are small integers (``int16``), :data:`MISSING` (-1) where there is none:
    ``iaqi[p]`` where pollutant ``p`` had no value, ``aqi`` where the rule set publishes
    none (no value at all, or HJ 633-2026 with a pollutant missing and the AQI at most 100).
    ``primary`` is a bit mask over :data:`POLLUTANTS` (bit ``i`` is ``POLLUTANTS[i]``), set
    only where the AQI is above 50; ``level`` is 1–6, 0 where there is no AQI.
    ``beyond_table`` marks a concentration above its table's top, scored at the top's IAQI.
    """

    iaqi: npt.NDArray[np.int16]
    aqi: npt.NDArray[np.int16]
    primary: npt.NDArray[np.uint8]
    level: npt.NDArray[np.int8]
    beyond_table: npt.NDArray[np.bool_]


def score(
    concentration: FloatArray, table: Table, *, round_first: bool
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.bool_]]:
    """IAQI (rounded up) of concentrations on one table, and where they passed its top.

    With ``round_first`` the concentration is first rounded half-to-even to the table's
    resolution (GB/T 8170, as HJ 633-2026 requires); otherwise it is scored as measured, by
    the table's lookup where it lies on the resolution grid and by the formula elsewhere.
    Missing (NaN) and negative values score :data:`MISSING`; above the top scores the top.
    """
    scaled = concentration
    if table.scale != 1:
        # 0.85 mg/m³ is 0.8499999… as a double: drop the noise before deciding the half.
        scaled = np.round(concentration * table.scale, 6)
    index = np.rint(scaled)
    top = len(table.lut) - 2
    beyond = scaled > top
    # NaN differs from itself, so missing values count as off the grid; the formula keeps them
    # missing below. Few values are off the grid, so that path costs little.
    off_grid = None if round_first else index != scaled
    np.fmax(index, -1, out=index)  # NaN and negatives become -1, the lookup's MISSING entry
    np.minimum(index, top, out=index)
    out = table.lut.take(index.astype(np.intp))
    if off_grid is not None and off_grid.any():
        raw = np.interp(concentration[off_grid], table.concentrations, table.iaqi)
        out[off_grid] = np.where(np.isnan(raw), MISSING, round_up(raw)).astype(np.int16)
    return out, beyond


def hourly_aqi(
    concentrations: FloatArray, rules: RuleSet, *, so2_24h: FloatArray | None = None
) -> AqiArrays:
    """The real-time AQI of ``concentrations[pollutant, …]`` (1-hour values, NaN = missing).

    ``so2_24h`` is the SO2 24-hour mean at the same points; HJ 633-2012 scores SO2 from it
    when the 1-hour value is above 800. Where that mean is not known the hour gets no AQI:
    publishing one from the other pollutants would hide the SO2 episode.
    """
    conc = np.asarray(concentrations, dtype=np.float64)
    iaqi = np.empty(conc.shape, dtype=np.int16)
    beyond = np.zeros(conc.shape[1:], dtype=np.bool_)
    for p in POLLUTANTS:
        iaqi[p.index], over = score(
            conc[p.index], rules.table(HOURLY_TABLES[p]), round_first=rules.round_concentrations
        )
        if p is not Pollutant.SO2:
            beyond |= over
    unknown = _so2_above_800(iaqi, conc[_SO2], rules, so2_24h)
    result = combine(iaqi, rules, beyond)
    if unknown is not None:
        result.aqi[unknown] = MISSING
        result.level[unknown] = 0
        result.primary[unknown] = 0
    return result


def _so2_above_800(
    iaqi: npt.NDArray[np.int16], so2: FloatArray, rules: RuleSet, so2_24h: FloatArray | None
) -> npt.NDArray[np.bool_] | None:
    """Apply the rule set's SO2 rule above 800; return where SO2 could not be scored."""
    over = so2 > _ABOVE_800
    if not over.any():
        return None
    if rules.so2_1h_above_800 != "24h":
        iaqi[_SO2][over] = int(rules.so2_1h_above_800.removeprefix("fixed:"))
        return None
    mean = np.full(so2.shape, np.nan)
    if so2_24h is not None:
        mean = np.broadcast_to(np.asarray(so2_24h, dtype=np.float64), so2.shape)
    iaqi[_SO2][over] = score(mean[over], rules.table("SO2_24h"), round_first=False)[0]
    return np.asarray(over & np.isnan(mean))


def combine(
    iaqi: npt.NDArray[np.int16],
    rules: RuleSet,
    beyond: npt.NDArray[np.bool_] | None = None,
) -> AqiArrays:
    """AQI, level and primary pollutants from per-pollutant IAQIs ``iaqi[pollutant, …]``."""
    aqi = iaqi.max(axis=0)
    if rules.publish_when_incomplete == "above_100":
        incomplete = iaqi.min(axis=0) < 0
        aqi[incomplete & (aqi <= 100)] = MISSING
    level = _LEVEL_OF.take(aqi.astype(np.intp) + 1)
    primary = np.zeros(aqi.shape, dtype=np.uint8)
    for i in range(N_POLLUTANTS):
        primary |= (iaqi[i] == aqi).view(np.uint8) << np.uint8(i)
    primary *= (aqi > 50).view(np.uint8)
    return AqiArrays(
        iaqi=iaqi,
        aqi=aqi,
        primary=primary,
        level=level,
        beyond_table=np.zeros(aqi.shape, np.bool_) if beyond is None else beyond,
    )


def primary_names(mask: int) -> list[Pollutant]:
    """The pollutants of a primary bit mask, in the order of :data:`POLLUTANTS`."""
    return [p for i, p in enumerate(POLLUTANTS) if mask >> i & 1]
