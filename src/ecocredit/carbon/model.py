"""Value types of greenhouse-gas accounting: factors, scopes, categories, records and facilities.

A factor says how many kilograms of each gas one unit of an activity emits, and where that
number comes from. An activity record is one line of an inventory: a facility, a period, a
scope and category, a quantity with its unit, and (optionally) the factor to use.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
FACTOR_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,127}$"
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
MAX_QUANTITY = 1e15  # no real activity needs more; beyond it, floats lose the kilogram


class Scope(IntEnum):
    """GHG Protocol scopes: direct, purchased energy, the rest of the value chain."""

    DIRECT = 1
    ENERGY = 2
    VALUE_CHAIN = 3


class Scope2Method(StrEnum):
    """How purchased electricity is counted (GHG Protocol Scope 2 Guidance, 2015)."""

    LOCATION = "location"  # the grid's average factor where the power is used
    MARKET = "market"  # contracts: certificates and direct purchases; the rest at the residual


# The categories a record may name, by scope. Scope 3 follows the GHG Protocol's fifteen.
CATEGORIES: Mapping[Scope, tuple[str, ...]] = {
    Scope.DIRECT: ("stationary_combustion", "mobile_combustion", "process", "fugitive"),
    Scope.ENERGY: (
        "purchased_electricity",
        "purchased_heat",
        "green_certificate",
        "green_direct",
    ),
    Scope.VALUE_CHAIN: (
        "cat01_purchased_goods",
        "cat02_capital_goods",
        "cat03_fuel_and_energy",
        "cat04_upstream_transport",
        "cat05_waste",
        "cat06_business_travel",
        "cat07_commuting",
        "cat08_upstream_leased",
        "cat09_downstream_transport",
        "cat10_processing",
        "cat11_use_of_products",
        "cat12_end_of_life",
        "cat13_downstream_leased",
        "cat14_franchises",
        "cat15_investments",
    ),
}
# Contractual instruments: they carry no emissions of their own in the location-based total;
# under the market-based method they cover that much of a facility's electricity at zero.
INSTRUMENTS = frozenset({"green_certificate", "green_direct"})
ELECTRICITY = "purchased_electricity"


def scope_of(category: str) -> Scope | None:
    """The scope a category belongs to, or None for an unknown category."""
    for scope, names in CATEGORIES.items():
        if category in names:
            return scope
    return None


@dataclass(frozen=True)
class Factor:
    """One emission factor: kg of each gas per unit of an activity, with its provenance."""

    factor_id: str
    activity: str
    unit: str
    gases: Mapping[str, float]  # kg of gas per one `unit`
    series: str  # MEE-NBS, ETS, NDRC, GB/T 32150-2015, IPCC 2006, or "user"
    method: str  # average, residual, fossil, combustion, or the user's word
    source: str
    status: str = "published"
    data_year: int | None = None
    publication_date: dt.date | None = None
    region_level: str = "national"
    region: str = "CN"
    document: str = ""
    published: bool = True
    owner: str | None = None
    ncv_gj: float | None = None  # GJ per `unit` for a fuel: lets a record be given in energy
    parameters: Mapping[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        """A one-line label: id, value and where it comes from."""
        gases = ", ".join(f"{gas} {value:g} kg/{self.unit}" for gas, value in self.gases.items())
        return f"{self.factor_id} ({gases}; {self.document or self.source})"


@dataclass(frozen=True)
class Facility:
    """A site of an organisation; its province chooses regional grid factors."""

    code: str
    name: str
    province: str | None = None


@dataclass(frozen=True)
class Record:
    """One activity record as read from a file or a request, before it is computed."""

    line: int  # line of the file (1 = header) or position in a request; 0 when unknown
    facility: str
    period_start: dt.date
    period_end: dt.date
    scope: Scope
    category: str
    activity: str
    quantity: float
    unit: str
    factor_id: str | None = None
    evidence_sha256: str | None = None
    note: str = ""

    def where(self) -> str:
        """Where the record came from, for error messages."""
        return f"line {self.line}" if self.line else f"record of {self.facility}"


@dataclass(frozen=True)
class Intensity:
    """What an inventory's emissions are divided by: output and revenue of the year."""

    output_quantity: float | None = None
    output_unit: str | None = None
    revenue_wan_cny: float | None = None  # revenue in 10,000 CNY
