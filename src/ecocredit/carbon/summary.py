"""Totals of a computed inventory: by scope, gas, facility, source and month.

Sums are taken by numpy's ``bincount`` over the records in their order, so the same records
always give the same bits, and the report (and the hash that goes into the log) is stable.
Tonnes are shown with three decimals: kilogram resolution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from ecocredit.carbon.calc import Computed
from ecocredit.carbon.model import Facility, Intensity

SCOPE_KEYS = ("scope1", "scope2_location", "scope2_market", "scope3")


def tonnes(kg: float) -> str:
    """Kilograms as tonnes with three decimals, the way every report shows them."""
    text = f"{kg / 1000.0:.3f}"
    return "0.000" if text == "-0.000" else text


def _grouped(
    frame: pl.DataFrame, keys: list[str], values: Mapping[str, np.ndarray[Any, Any]]
) -> list[dict[str, Any]]:
    """Sum each of ``values`` per distinct ``keys``, in order of first appearance."""
    codes = frame.select(pl.struct(keys).rank("dense").cast(pl.Int64) - 1).to_series().to_numpy()
    firsts = (
        frame.with_row_index("_i").group_by(keys, maintain_order=True).agg(pl.col("_i").first())
    )
    size = int(codes.max()) + 1 if codes.size else 0
    sums = {
        name: np.bincount(codes, weights=array, minlength=size) for name, array in values.items()
    }
    groups = []
    for row in firsts.iter_rows(named=True):
        code = int(codes[row.pop("_i")])
        groups.append(row | {name: float(sums[name][code]) for name in values})
    return groups


def summarise(
    computed: Computed, facilities: Mapping[str, Facility], intensity: Intensity
) -> dict[str, Any]:
    """The inventory's totals as JSON-ready values (tonnes as strings)."""
    records = computed.records
    location = records.get_column("kg_co2e_location").to_numpy()
    market = records.get_column("kg_co2e_market").to_numpy()
    scope = records.get_column("scope").to_numpy()
    by_scope = {
        "scope1": location[scope == 1].sum(),
        "scope2_location": location[scope == 2].sum(),
        "scope2_market": market[scope == 2].sum(),
        "scope3": location[scope == 3].sum(),
    }
    total_location = by_scope["scope1"] + by_scope["scope2_location"] + by_scope["scope3"]
    total_market = by_scope["scope1"] + by_scope["scope2_market"] + by_scope["scope3"]
    totals = {k: tonnes(v) for k, v in by_scope.items()} | {
        "total_location": tonnes(total_location),
        "total_market": tonnes(total_market),
    }
    gases = {
        gas: tonnes(records.get_column(f"kg_{gas}").to_numpy().sum()) for gas in computed.gases
    }
    return {
        "totals_t": totals,
        "gases_t": gases,
        "gwp": dict(computed.gwp),
        "intensity": _intensity(total_location, total_market, intensity),
        "by_facility": _facilities(records, facilities, location, market, scope),
        "by_source": _sources(records, location, market),
        "by_month": _months(records, location, market),
        "notes": list(computed.notes),
        "records": records.height,
    }


def _facilities(
    records: pl.DataFrame,
    facilities: Mapping[str, Facility],
    location: np.ndarray[Any, Any],
    market: np.ndarray[Any, Any],
    scope: np.ndarray[Any, Any],
) -> list[dict[str, Any]]:
    values = {
        "scope1": np.where(scope == 1, location, 0.0),
        "scope2_location": np.where(scope == 2, location, 0.0),
        "scope2_market": np.where(scope == 2, market, 0.0),
        "scope3": np.where(scope == 3, location, 0.0),
    }
    rows = []
    for group in _grouped(records, ["facility"], values):
        facility = facilities.get(group["facility"])
        rows.append(
            {
                "facility": group["facility"],
                "name": facility.name if facility else group["facility"],
                "province": facility.province if facility else None,
            }
            | {key: tonnes(group[key]) for key in SCOPE_KEYS}
        )
    return sorted(rows, key=lambda row: row["facility"])


def _sources(
    records: pl.DataFrame, location: np.ndarray[Any, Any], market: np.ndarray[Any, Any]
) -> list[dict[str, Any]]:
    keys = ["scope", "category", "activity"]
    groups = _grouped(records, keys, {"location": location, "market": market})
    groups.sort(key=lambda g: (-g["location"], g["scope"], g["category"], g["activity"]))
    return [
        {k: g[k] for k in keys}
        | {"t_co2e_location": tonnes(g["location"]), "t_co2e_market": tonnes(g["market"])}
        for g in groups
    ]


def _months(
    records: pl.DataFrame, location: np.ndarray[Any, Any], market: np.ndarray[Any, Any]
) -> list[dict[str, Any]]:
    month = records.select(pl.col("period_start").dt.strftime("%Y-%m").alias("month"))
    groups = _grouped(month, ["month"], {"location": location, "market": market})
    groups.sort(key=lambda g: g["month"])
    return [
        {"month": g["month"], "t_co2e_location": tonnes(g["location"]),
         "t_co2e_market": tonnes(g["market"])}
        for g in groups
    ]  # fmt: skip


def _intensity(location: float, market: float, intensity: Intensity) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if intensity.output_quantity:
        unit = intensity.output_unit or "unit"
        found["per_output"] = {
            "unit": f"t CO2e/{unit}",
            "location": f"{location / 1000.0 / intensity.output_quantity:.6g}",
            "market": f"{market / 1000.0 / intensity.output_quantity:.6g}",
        }
    if intensity.revenue_wan_cny:
        found["per_revenue"] = {
            "unit": "t CO2e/10^4 CNY",
            "location": f"{location / 1000.0 / intensity.revenue_wan_cny:.6g}",
            "market": f"{market / 1000.0 / intensity.revenue_wan_cny:.6g}",
        }
    return found
