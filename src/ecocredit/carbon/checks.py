"""Checks of a whole inventory's records that need more than one row or the facility list.

- every record names a facility of the organisation;
- electricity and green instruments are given in units of energy (kWh, MWh …);
- within one facility, two records of the same source stream (scope 1 and 2: the same
  category and activity) may not cover overlapping periods: that would count the same fuel
  or power twice. Several deliveries within one period are one record with their sum.
  Scope 3 records and instruments may overlap (many trips, several certificates).
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from ecocredit.carbon import units
from ecocredit.carbon.model import ELECTRICITY, INSTRUMENTS, Scope
from ecocredit.errors import InvalidParameter


def check_facilities(frame: pl.DataFrame, known: Collection[str], name: str) -> None:
    """Every record's facility must be one of ``known``."""
    unknown = frame.filter(~pl.col("facility").is_in(list(known))).head(1)
    if unknown.height:
        line, facility = unknown.select("line", "facility").row(0)
        raise InvalidParameter(
            f"{name}, line {line}, field facility: {facility!r} is not a facility of this "
            "organisation (register it first)",
            field="facility",
        )


def check_energy_units(frame: pl.DataFrame, name: str) -> None:
    """Electricity and instruments must be in units of energy."""
    energy = frame.filter(pl.col("category").is_in([ELECTRICITY, *INSTRUMENTS]))
    for unit in energy.get_column("unit").unique().to_list():
        if not units.is_energy(unit):
            line = int(energy.filter(pl.col("unit") == unit).get_column("line")[0])
            raise InvalidParameter(
                f"{name}, line {line}, field unit: {unit!r} cannot be converted to 'kWh'; "
                "electricity and certificates are counted in kWh or MWh",
                field="unit",
            )


def check_overlaps(frame: pl.DataFrame, name: str) -> None:
    """No two records of one facility's source stream cover the same day."""
    if "where" not in frame.columns:  # how a row is named: a file's line, or a stored record
        frame = frame.with_columns(pl.format("{}, line {}", pl.lit(name), "line").alias("where"))
    streams = frame.filter(
        (pl.col("scope") != int(Scope.VALUE_CHAIN)) & ~pl.col("category").is_in(list(INSTRUMENTS))
    ).select("where", "line", "facility", "category", "activity", "period_start", "period_end")
    ordered = streams.sort(["facility", "category", "activity", "period_start", "line"])
    same = ["facility", "category", "activity"]
    clash = ordered.with_columns(
        pl.col("period_end").shift(1).over(same).alias("previous_end"),
        pl.col("where").shift(1).over(same).alias("previous"),
    ).filter(pl.col("period_start") <= pl.col("previous_end"))
    if clash.height:
        row = clash.row(0, named=True)
        raise InvalidParameter(
            f"{row['where']}, field period_start: the period "
            f"{row['period_start']}–{row['period_end']} overlaps {row['previous']} "
            f"(same facility {row['facility']}, {row['category']}, {row['activity']}; "
            "give one record per period, the sum of its deliveries)",
            field="period_start",
        )
