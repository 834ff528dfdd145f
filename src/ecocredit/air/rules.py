"""The versioned rule sets of HJ 633 and the GB 3095 limits, loaded from ``data/``.

A rule set is chosen by the time of the data (HJ 633-2012 before 2026-03-01, HJ 633-2026
from then on) unless the caller names one. The breakpoints, the behaviour of each version
where its tables stop, the categories and the limits are all data files with their sources;
this module only reads them.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import tomllib
from dataclasses import dataclass
from importlib import resources

import numpy as np
import numpy.typing as npt

from ecocredit.air.model import Category, FloatArray, Pollutant, RuleSetName, StandardVersion
from ecocredit.errors import InvalidParameter

# An IAQI or AQI that could not be given (no value, or a rule set that does not publish it).
MISSING = -1
HJ633_2026_FROM = dt.date(2026, 3, 1)
GB3095_2026_FROM = dt.date(2026, 3, 1)
GB3095_2026_FINAL_FROM = dt.date(2031, 1, 1)


@dataclass(frozen=True)
class Table:
    """One indicator's breakpoints: concentrations and the IAQI at each.

    ``lut[i]`` is the IAQI (rounded up) of the concentration ``i / scale`` for every step of
    the table's resolution (1 µg/m³, or 0.1 mg/m³ for CO), so that values on that grid —
    every value once HJ 633-2026 has rounded it, and nearly every published value — are
    scored by one array lookup. Its last entry, ``lut[-1]``, is :data:`MISSING`.
    """

    concentrations: FloatArray
    iaqi: FloatArray
    scale: int
    lut: npt.NDArray[np.int16]

    @property
    def top(self) -> float:
        """The highest concentration the table defines."""
        return float(self.concentrations[-1])


@dataclass(frozen=True)
class RuleSet:
    """One version of HJ 633: its tables and how it treats what the tables leave open."""

    name: RuleSetName
    tables: dict[str, Table]
    so2_1h_above_800: str  # "24h" (report the 24-hour IAQI) or "fixed:<iaqi>"
    o3_8h_above_800: str  # "1h" (report the 1-hour IAQI) or "fixed:<iaqi>"
    round_concentrations: bool
    publish_when_incomplete: str  # "always" or "above_100"
    daily_o3_1h: bool

    def table(self, indicator: str) -> Table:
        """The breakpoints of ``indicator`` (``PM2.5_24h``, ``SO2_1h`` …)."""
        return self.tables[indicator]


def _read(name: str) -> str:
    return resources.files("ecocredit.air").joinpath(f"data/{name}").read_text("utf-8")


def _floats(cell: str) -> FloatArray:
    return np.array([float(v) for v in cell.split(";")], dtype=np.float64)


def _table(indicator: str, concentration: str, iaqi: str) -> Table:
    conc, index = _floats(concentration), _floats(iaqi)
    scale = 10 if indicator.startswith("CO") else 1
    steps = np.arange(int(conc[-1]) * scale + 1, dtype=np.float64) / scale
    exact = np.ceil(np.round(np.interp(steps, conc, index), 9))
    lut = np.append(exact, MISSING).astype(np.int16)
    return Table(conc, index, scale, lut)


@functools.cache
def rule_set(name: RuleSetName | str) -> RuleSet:
    """The rule set called ``name`` (``HJ633-2012`` or ``HJ633-2026``)."""
    try:
        key = RuleSetName(name)
    except ValueError:
        known = ", ".join(r.value for r in RuleSetName)
        raise InvalidParameter(
            f"unknown rule set {name!r}; known: {known}", field="rule_set"
        ) from None
    tables = {
        row["indicator"]: _table(row["indicator"], row["concentration"], row["iaqi"])
        for row in csv.DictReader(_read("breakpoints.csv").splitlines())
        if row["rule_set"] == key.value
    }
    behaviour = tomllib.loads(_read("rule_sets.toml"))[key.value]
    return RuleSet(
        name=key,
        tables=tables,
        so2_1h_above_800=behaviour["so2_1h_above_800"],
        o3_8h_above_800=behaviour["o3_8h_above_800"],
        round_concentrations=behaviour["round_concentrations"],
        publish_when_incomplete=behaviour["publish_when_incomplete"],
        daily_o3_1h=behaviour["daily_o3_1h"],
    )


def rule_set_for(day: dt.date) -> RuleSet:
    """The HJ 633 version in force on ``day``."""
    name = RuleSetName.HJ633_2026 if day >= HJ633_2026_FROM else RuleSetName.HJ633_2012
    return rule_set(name)


def standard_for(day: dt.date) -> StandardVersion:
    """The GB 3095 limit set in force on ``day``."""
    if day >= GB3095_2026_FINAL_FROM:
        return StandardVersion.GB3095_2026_FINAL
    if day >= GB3095_2026_FROM:
        return StandardVersion.GB3095_2026_TRANSITIONAL
    return StandardVersion.GB3095_2012


def parse_standard(name: str) -> StandardVersion:
    """``name`` as a GB 3095 version, or an error naming the choices."""
    try:
        return StandardVersion(name)
    except ValueError:
        known = ", ".join(s.value for s in StandardVersion)
        raise InvalidParameter(
            f"unknown standard {name!r}; known: {known}", field="standard"
        ) from None


@functools.cache
def categories() -> tuple[Category, ...]:
    """The six AQI levels, from excellent to severely polluted."""
    return tuple(
        Category(
            level=int(r["level"]),
            roman=r["roman"],
            name_zh=r["name_zh"],
            name_en=r["name_en"],
            colour=r["colour"],
            lower=int(r["lower"]),
            upper=int(r["upper"]),
        )
        for r in csv.DictReader(_read("categories.csv").splitlines())
    )


def category(aqi: int) -> Category:
    """The level an AQI value falls in (above 300 is level VI however high)."""
    for cat in categories():
        if aqi <= cat.upper:
            return cat
    return categories()[-1]


@dataclass(frozen=True)
class Limit:
    """A GB 3095 concentration limit for one pollutant and averaging time."""

    pollutant: Pollutant
    averaging: str  # annual, 24h, 8h, 1h
    grade_i: float
    grade_ii: float


@functools.cache
def limits(standard: StandardVersion) -> dict[tuple[Pollutant, str], Limit]:
    """The limits of one GB 3095 version, keyed by pollutant and averaging time."""
    out: dict[tuple[Pollutant, str], Limit] = {}
    for r in csv.DictReader(_read("gb3095_limits.csv").splitlines()):
        if r["standard"] != standard.value:
            continue
        pollutant = Pollutant(r["pollutant"])
        out[pollutant, r["averaging"]] = Limit(
            pollutant, r["averaging"], float(r["grade_i"]), float(r["grade_ii"])
        )
    return out
