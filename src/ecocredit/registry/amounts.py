"""Amounts: decimal strings at the edge, integers of the credit type's smallest unit inside.

A credit type with precision 6 counts in millionths (one gram of CO2e per tonne credit).
More decimal places than the precision is an error naming the precision, never a rounding.
"""

from __future__ import annotations

import re

from ecocredit.errors import InvalidParameter, PrecisionExceeded

MAX_UNITS = 2**53 - 1  # every amount and serial stays exact in any JSON reader
# ASCII digits only, and fullmatch: "$" would let a trailing newline through.
_DECIMAL = re.compile(r"([0-9]{1,19})(?:\.([0-9]+))?")


def parse_amount(text: str, precision: int, field: str = "amount", *, zero: bool = False) -> int:
    """Return ``text`` (a plain decimal such as ``"1.5"``) in smallest units."""
    if not isinstance(text, str):
        raise InvalidParameter(f'{field} must be a decimal string such as "1.5"', field=field)
    match = _DECIMAL.fullmatch(text.strip())
    if match is None:
        raise InvalidParameter(
            f'{field} {text!r} is not a plain decimal number such as "1.5"', field=field
        )
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction.rstrip("0")) > precision:
        raise PrecisionExceeded(
            f"{field} {text} has {len(fraction.rstrip('0'))} decimal places; this credit type's "
            f"precision is {precision}",
            field=field,
        )
    units: int = int(whole) * 10**precision + int(fraction[:precision].ljust(precision, "0") or "0")
    if units == 0 and not zero:
        raise InvalidParameter(f"{field} must be more than zero", field=field)
    if units > MAX_UNITS:
        raise InvalidParameter(
            f"{field} {text} is too large: at most {format_amount(MAX_UNITS, precision)}",
            field=field,
        )
    return units


def format_amount(units: int, precision: int) -> str:
    """Return smallest units as the shortest exact decimal string."""
    if precision == 0:
        return str(units)
    whole, fraction = divmod(units, 10**precision)
    digits = str(fraction).rjust(precision, "0").rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)
