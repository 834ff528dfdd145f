"""Units of activity data, through pint: parse what people write, convert, or say why not.

Activity data arrives as "kWh", "MWh", "t", "10^4 Nm^3", "万Nm3", "GJ", "tce" … A factor is
per one unit; a record in another unit of the same kind converts (kWh to MWh, kg to t); a
record in a unit of another kind (kg against a per-kWh factor) is an error naming both.

Normal cubic metres (gas at 0 °C and 101.325 kPa, how Chinese guidelines give fuel gas) are
their own dimension: converting them to plain cubic metres needs the gas's temperature and
pressure, so pint is told they do not convert. Money is a dimension too, for intensities per
10,000 CNY of revenue.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import pint

from ecocredit.errors import InvalidParameter

MAX_UNIT_LENGTH = 40
_ALLOWED = re.compile(r"^[A-Za-z0-9_ ./*^²³⁴°·\-()万元吨标立方米千瓦时件个台]+$")

# Spellings seen in Chinese reporting forms and guidelines, mapped to pint's names.
_SPELLINGS = {
    "10^4 Nm^3": "wan_Nm3",
    "10^4 Nm3": "wan_Nm3",
    "10⁴ Nm³": "wan_Nm3",
    "10⁴Nm³": "wan_Nm3",
    "10^4Nm^3": "wan_Nm3",
    "10^4Nm3": "wan_Nm3",
    "万Nm3": "wan_Nm3",
    "万Nm³": "wan_Nm3",
    "万标立方米": "wan_Nm3",
    "Nm^3": "Nm3",
    "Nm³": "Nm3",
    "标立方米": "Nm3",
    "10^4 CNY": "wan_CNY",
    "10⁴ CNY": "wan_CNY",
    "万元": "wan_CNY",
    "元": "CNY",
    "吨": "t",
    "千瓦时": "kWh",
    "万千瓦时": "wan_kWh",
    "10^4 kWh": "wan_kWh",
    "吨标准煤": "tce",
    "tkm": "t*km",
    "pkm": "passenger*km",
    "件": "piece",
    "个": "piece",
    "台": "piece",
}

_DEFINITIONS = (
    "normal_cubic_metre = [normal_volume] = Nm3",
    "ten_thousand_normal_cubic_metre = 1e4 * Nm3 = wan_Nm3",
    "yuan = [currency] = CNY",
    "ten_thousand_yuan = 1e4 * CNY = wan_CNY",
    "ten_thousand_kilowatt_hour = 1e4 * kWh = wan_kWh",
    # GB/T 2589-2020: 1 kgce = 29,307.6 kJ.
    "tonne_coal_equivalent = 29.3076 * GJ = tce",
    "passenger = [passenger]",
    # Products counted in pieces (a phone, a board): intensity per piece, footprints per piece.
    "piece = [item] = pcs",
)


@functools.cache
def registry() -> pint.UnitRegistry[Any]:
    """The one unit registry, built on first use (never at import)."""
    units: pint.UnitRegistry[Any] = pint.UnitRegistry()
    for line in _DEFINITIONS:
        units.define(line)
    return units


def _pint_spelling(unit: str) -> str:
    text = unit.strip()
    text = _SPELLINGS.get(text, text)
    return text.replace("²", "**2").replace("³", "**3").replace("^", "**").replace("·", "*")


@functools.lru_cache(maxsize=4096)
def _parse(unit: str) -> pint.Unit | str:
    """The pint unit of ``unit``, or why it is not one (cached either way)."""
    hint = "(write e.g. kWh, MWh, t, kg, GJ, 10^4 Nm^3, tce)"
    if (
        not unit
        or len(unit) > MAX_UNIT_LENGTH
        or not _ALLOWED.fullmatch(_SPELLINGS.get(unit, unit))
    ):
        return f"{unit[:MAX_UNIT_LENGTH]!r} is not a unit {hint}"
    spelled = _pint_spelling(unit)
    # Exponents of units are small; "9**9**9" would make pint compute a huge number.
    for exponent in re.finditer(r"\*\*\s*([^*\s/]*)", spelled):
        if not re.fullmatch(r"-?[1-4]", exponent.group(1)):
            return f"{unit!r} has an exponent other than 1 to 4"
    try:
        parsed: pint.Unit = registry().parse_units(spelled)
    except Exception:  # pint raises many kinds (undefined, tokenizer, assertion)
        return f"{unit!r} is not a unit pint knows {hint}"
    return parsed


def parse(unit: str, field: str = "unit") -> pint.Unit:
    """The pint unit of ``unit``; an unknown or malformed unit is an error naming ``field``."""
    found = _parse(unit)
    if isinstance(found, str):
        raise InvalidParameter(f"{field}: {found}", field=field)
    return found


@functools.lru_cache(maxsize=4096)
def _scale(source: str, target: str) -> float | str:
    """How many ``target`` one ``source`` is, or why it cannot be said (cached either way)."""
    source_unit, target_unit = _parse(source), _parse(target)
    if isinstance(source_unit, str) or isinstance(target_unit, str):
        return source_unit if isinstance(source_unit, str) else str(target_unit)
    try:
        value = float(registry().Quantity(1.0, source_unit).to(target_unit).magnitude)
    except pint.DimensionalityError:
        return (
            f"{source!r} cannot be converted to {target!r} "
            f"({source_unit.dimensionality} is not {target_unit.dimensionality})"
        )
    except (OverflowError, ValueError, ZeroDivisionError):
        value = math.nan
    if not math.isfinite(value) or value == 0.0:
        return f"{source!r} cannot be converted to {target!r} (the scale is out of range)"
    return value


def multiplier(source: str, target: str, field: str = "unit") -> float:
    """How many ``target`` units one ``source`` unit is; an error naming both if they differ."""
    found = _scale(source, target)
    if isinstance(found, str):
        raise InvalidParameter(f"{field}: {found}", field=field)
    return found


def same_kind(source: str, target: str) -> bool:
    """Whether ``source`` converts to ``target`` (both must parse)."""
    return bool(parse(source).dimensionality == parse(target).dimensionality)


def is_energy(unit: str) -> bool:
    """Whether ``unit`` measures energy (GJ, kWh, tce …)."""
    return same_kind(unit, "GJ")
