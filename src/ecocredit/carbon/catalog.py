"""The published factor sets, GWP sets and grid regions, loaded from the files in ``data/``.

Each file keeps its sources beside its values (see ``data/README.md``). Electricity factors
are per kWh; fuel factors are turned from the published parameters into kilograms of each
gas per unit of fuel, and keep those parameters so a report can show the arithmetic:

- Chinese guidelines (GB/T 32150): CO2 = NCV × carbon content × oxidation rate × 44/12;
- IPCC 2006 Tier 1: each gas = NCV × the gas's default factor per TJ (oxidation is 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ecocredit.carbon import units
from ecocredit.carbon.model import Factor

CO2_PER_C = 44.0 / 12.0  # molar masses: carbon to carbon dioxide


@dataclass(frozen=True)
class Province:
    """A provincial-level division and the regional grid it belongs to in each series."""

    name: str
    name_en: str
    regions: Mapping[str, str]  # series -> region code (north, east …)


def _read(name: str) -> str:
    return resources.files("ecocredit.carbon").joinpath(f"data/{name}").read_text("utf-8")


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_read(name))))


def _number(cell: str) -> float | None:
    return float(cell) if cell.strip() else None


def _date(cell: str) -> dt.date | None:
    return dt.date.fromisoformat(cell) if cell.strip() else None


def _electricity(row: Mapping[str, str]) -> Factor:
    # Values are published per kWh (equal to t/MWh); the unit column says which.
    per_unit = float(row["value"]) * units.multiplier(row["unit"], "kg/kWh")
    return Factor(
        factor_id=row["factor_id"],
        activity=row["activity"],
        unit="kWh",
        gases={"CO2": per_unit},
        series=row["series"],
        method=row["method"],
        source=row["source"],
        status=row["status"],
        data_year=int(row["data_year"]),
        publication_date=_date(row["publication_date"]),
        region_level=row["region_level"],
        region=row["region"],
        document=row["document"],
        parameters={"value": float(row["value"])},
    )


def _fuel_gases(row: Mapping[str, str], ncv: float) -> dict[str, float]:
    co2_per_tj = _number(row["co2_kg_per_tj"])
    if co2_per_tj is None:  # a Chinese guideline: carbon content and oxidation rate
        carbon = float(row["carbon_content"]) * units.multiplier(
            row["carbon_content_unit"].replace("tC", "t").replace("kgC", "kg"), "t/GJ"
        )
        oxidation = float(row["oxidation"])
        return {"CO2": ncv * carbon * oxidation * CO2_PER_C * 1000.0}
    gases = {"CO2": ncv * co2_per_tj / 1000.0}
    # Fossil fuels: their methane counts as fossil CH4 in AR6.
    for gas, column in (("CH4_fossil", "ch4_kg_per_tj"), ("N2O", "n2o_kg_per_tj")):
        value = _number(row[column])
        if value is not None:
            gases[gas] = ncv * value / 1000.0
    return gases


def _fuel(row: Mapping[str, str]) -> Factor:
    ncv_unit = row["ncv_unit"].split("/", 1)
    ncv = float(row["ncv"]) * units.multiplier(ncv_unit[0], "GJ")
    ncv /= units.multiplier(ncv_unit[1], row["unit"])  # per the record unit
    parameters = {
        name: value
        for name in ("ncv", "carbon_content", "oxidation", "co2_kg_per_tj")
        for value in [_number(row[name])]
        if value is not None
    }
    return Factor(
        factor_id=row["factor_id"],
        activity=row["activity"],
        unit=row["unit"],
        gases=_fuel_gases(row, ncv),
        series=row["framework"],
        method="combustion",
        source=row["source"],
        status=row["status"],
        data_year=int(row["data_year"]) if row["data_year"].strip() else None,
        publication_date=_date(row["publication_date"]),
        region_level="national" if row["framework"].startswith("GB") else "global",
        region="CN" if row["framework"].startswith("GB") else "world",
        document=row["document"],
        ncv_gj=ncv,
        parameters=parameters,
    )


@functools.cache
def published() -> Mapping[str, Factor]:
    """Every published factor by id: electricity and fuels."""
    found: dict[str, Factor] = {}
    for factor in [
        *map(_electricity, _rows("electricity_cn.csv")),
        *map(_fuel, _rows("fuels.csv")),
    ]:
        if factor.factor_id in found:
            raise ValueError(f"factor {factor.factor_id} is listed twice in the data files")
        found[factor.factor_id] = factor
    return found


@functools.cache
def gwp_sets() -> Mapping[str, Mapping[str, float]]:
    """GWP100 by IPCC assessment report (SAR, AR4, AR5, AR6), then by gas."""
    rows = _rows("gwp.csv")
    sets: dict[str, dict[str, float]] = {}
    for report in ("SAR", "AR4", "AR5", "AR6"):
        sets[report] = {row["gas"]: float(row[report]) for row in rows if row[report].strip()}
    return sets


@functools.cache
def gwp_sources() -> Mapping[str, str]:
    """Where each gas's GWP values come from."""
    return {row["gas"]: row["source"] for row in _rows("gwp.csv")}


@functools.cache
def provinces() -> Mapping[str, Province]:
    """Provincial-level divisions by Chinese short name, with their grid regions."""
    found = {}
    for row in _rows("provinces.csv"):
        regions = {"MEE-NBS": row["region_mee_nbs"], "NDRC": row["region_ndrc_2012"]}
        found[row["province"]] = Province(
            row["province"], row["name_en"], {k: v for k, v in regions.items() if v}
        )
    return found


@functools.cache
def defaults() -> Mapping[str, Any]:
    """The default-selection settings: series in order of preference, default GWP set."""
    return tomllib.loads(_read("defaults.toml"))
