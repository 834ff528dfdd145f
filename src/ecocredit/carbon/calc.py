"""Compute an inventory: every record's emissions per gas and in CO2e, then the totals.

Records are a Polars frame (see :data:`RECORD_SCHEMA`), so a million of them are computed as
columns: each distinct (factor, unit) pair is converted once, joined onto the records, and
multiplied by the quantities. Emissions are kept per gas, so CO2e can be recomputed with
another GWP set.

Scope 2 is counted both ways (GHG Protocol Scope 2 Guidance): location-based, every kWh at
the grid's average factor; market-based, the kWh that green certificates or direct green
purchases cover at zero and the rest at the residual factor. Instruments cover a facility's
electricity of the same year and never more than it used; any excess is reported, not used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from ecocredit.carbon import units
from ecocredit.carbon.model import ELECTRICITY, INSTRUMENTS, Factor
from ecocredit.errors import InvalidParameter

RECORD_SCHEMA: Mapping[str, type[pl.DataType] | pl.DataType] = {
    "line": pl.Int64,
    "facility": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "scope": pl.Int8,
    "category": pl.String,
    "activity": pl.String,
    "quantity": pl.Float64,
    "unit": pl.String,
    "factor_id": pl.String,
    "evidence_sha256": pl.String,
    "note": pl.String,
}


@dataclass(frozen=True)
class Resolved:
    """The factors chosen for a frame's records: location and (for electricity) market."""

    location: pl.Series  # factor id per record ("" for instruments)
    market: pl.Series  # factor id per electricity record, else ""
    factors: Mapping[str, Factor]
    # What the default rule chose, per "facility|category|activity": [location, market].
    # A submitted inventory keeps this, so it is recomputed with the same factors later.
    choices: Mapping[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Computed:
    """Records with their emissions, and what a person reads first."""

    records: pl.DataFrame  # the input columns + factor ids, kg per gas, kg CO2e both ways
    gases: tuple[str, ...]
    gwp: Mapping[str, float]
    factors: Mapping[str, Factor]
    notes: list[str] = field(default_factory=list)


def _per_unit(factor: Factor, unit: str, where: str) -> float:
    """How many of the factor's units one ``unit`` of activity is."""
    if units.same_kind(unit, factor.unit):
        return units.multiplier(unit, factor.unit)
    if factor.ncv_gj and units.is_energy(unit):  # a fuel given as energy: through its NCV
        return units.multiplier(unit, "GJ") / factor.ncv_gj
    raise InvalidParameter(
        f"{where}: unit {unit!r} cannot be converted to {factor.unit!r}, the unit of factor "
        f"{factor.factor_id}",
        field="unit",
    )


def _coefficients(
    pairs: pl.DataFrame,
    factors: Mapping[str, Factor],
    gases: tuple[str, ...],
    column: str,
    name: str,
) -> pl.DataFrame:
    """Kilograms of each gas per record unit, for each distinct (factor, unit) pair."""
    rows: dict[str, list[object]] = {column: [], "unit": []}
    rows.update({f"kg_{gas}": [] for gas in gases})
    for factor_id, unit, line in pairs.iter_rows():
        rows[column].append(factor_id)
        rows["unit"].append(unit)
        factor = factors.get(factor_id) if factor_id else None
        scale = _per_unit(factor, unit, f"{name}, line {line}, field unit") if factor else 0.0
        for gas in gases:
            rows[f"kg_{gas}"].append(scale * factor.gases.get(gas, 0.0) if factor else 0.0)
    schema = {column: pl.String, "unit": pl.String} | {f"kg_{g}": pl.Float64 for g in gases}
    return pl.DataFrame(rows, schema=schema)


def _gases(factors: Mapping[str, Factor], gwp: Mapping[str, float], report: str) -> tuple[str, ...]:
    gases = sorted({gas for factor in factors.values() for gas in factor.gases})
    for gas in gases:
        if gas not in gwp:
            raise InvalidParameter(
                f"the GWP set {report} has no value for {gas}; choose another set", field="gwp"
            )
    return tuple(["CO2", *[g for g in gases if g != "CO2"]] if "CO2" in gases else gases)


def _emissions(
    frame: pl.DataFrame,
    column: str,
    factors: Mapping[str, Factor],
    gases: tuple[str, ...],
    name: str,
) -> pl.DataFrame:
    """Per-record kg of each gas for the factor ids in ``column``."""
    pairs = frame.group_by([column, "unit"]).agg(pl.col("line").min()).sort("line")
    table = _coefficients(pairs, factors, gases, column, name)
    joined = frame.select("line", column, "unit", "quantity").join(
        table, on=[column, "unit"], how="left", maintain_order="left"
    )
    return joined.select([(pl.col("quantity") * pl.col(f"kg_{g}")).alias(g) for g in gases])


def compute(
    frame: pl.DataFrame,
    resolved: Resolved,
    gwp: Mapping[str, float],
    gwp_name: str,
    name: str = "records",
) -> Computed:
    """Every record's emissions per gas and in CO2e (location- and market-based)."""
    used = {i for i in resolved.location.unique().to_list() if i} | {
        i for i in resolved.market.unique().to_list() if i
    }
    factors = {i: resolved.factors[i] for i in sorted(used)}
    gases = _gases(factors, gwp, gwp_name)
    frame = frame.with_columns(
        resolved.location.alias("location_factor"), resolved.market.alias("market_factor")
    )
    location = _emissions(frame, "location_factor", factors, gases, name)

    def co2e(table: pl.DataFrame) -> pl.Expr:
        # Records with no factor at all (only certificates) emit nothing: a column of zeros.
        terms = [pl.lit(table[g] * gwp[g]) for g in gases]
        return pl.sum_horizontal(terms) if terms else pl.lit(0.0, dtype=pl.Float64)

    market_raw = _emissions(frame, "market_factor", factors, gases, name)
    records = pl.concat(
        [frame, location.rename({g: f"kg_{g}" for g in gases})], how="horizontal"
    ).with_columns(co2e(location).alias("kg_co2e_location"), co2e(market_raw).alias("market_full"))
    records, notes = _market(records, factors)
    notes = [*resolved.notes, *notes]
    return Computed(records, gases, {gas: gwp[gas] for gas in gases}, factors, notes)


def _coverage(
    scoped: pl.DataFrame, electric: pl.Expr, instrument: pl.Expr
) -> tuple[pl.DataFrame, list[str]]:
    """Per facility, the share of its grid electricity that instruments cover (at most 1)."""
    cover = (
        scoped.group_by("facility")
        .agg(
            pl.col("_kwh").filter(electric).sum().alias("used"),
            pl.col("_kwh").filter(instrument).sum().alias("covered"),
        )
        .with_columns(
            pl.when(pl.col("used") > 0)
            .then(pl.min_horizontal(pl.col("covered") / pl.col("used"), pl.lit(1.0)))
            .otherwise(0.0)
            .alias("_share")
        )
    )
    notes = [
        f"facility {facility}: instruments cover {covered / 1000:,.3f} MWh but it used "
        f"{used / 1000:,.3f} MWh of electricity; the excess is not counted"
        for facility, used, covered, _ in cover.filter(pl.col("covered") > pl.col("used")).rows()
    ]
    return cover, sorted(notes)


def _market(records: pl.DataFrame, factors: Mapping[str, Factor]) -> tuple[pl.DataFrame, list[str]]:
    """Market-based CO2e: instruments cover each facility's grid electricity at zero.

    Electricity whose record names its own factor (a supplier's) is contractual already: it
    keeps that factor and no certificate is spent on it.
    """
    electric = (pl.col("category") == ELECTRICITY) & pl.col("factor_id").is_null()
    instrument = pl.col("category").is_in(list(INSTRUMENTS))
    energy_units = records.filter(electric | instrument).get_column("unit").unique().to_list()
    to_kwh = {unit: units.multiplier(unit, "kWh", "unit") for unit in energy_units}
    kwh = pl.col("quantity") * pl.col("unit").replace_strict(
        to_kwh, default=0.0, return_dtype=pl.Float64
    )
    scoped = records.with_columns(
        pl.when(electric | instrument).then(kwh).otherwise(0.0).alias("_kwh")
    )
    cover, notes = _coverage(scoped, electric, instrument)
    market = (
        pl.when(electric)
        .then(pl.col("market_full") * (1.0 - pl.col("_share")))
        .when(pl.col("category") == ELECTRICITY)
        .then(pl.col("market_full"))
        .otherwise(pl.col("kg_co2e_location"))
    )
    joined = scoped.join(
        cover.select("facility", "_share"), on="facility", how="left", maintain_order="left"
    )
    result = joined.with_columns(market.alias("kg_co2e_market")).drop(
        "_kwh", "_share", "market_full"
    )
    return result, notes
