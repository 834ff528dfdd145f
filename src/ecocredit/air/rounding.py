"""GB/T 8170 rounding ("四舍六入五成双": round half to even) and HJ 633's rounding up.

Both work on float arrays whose values came from decimal text, so a value such as 0.85 is
stored as 0.84999999999999998; each function first removes that binary noise by rounding the
scaled value to a few decimals, then applies its rule, so that it rounds the decimal the
publisher wrote rather than its nearest double.
"""

from __future__ import annotations

import numpy as np

from ecocredit.air.model import FloatArray

# Noise in a value read from decimal text is below 1e-9 of a unit for any concentration the
# tables cover; real differences are at least 1e-6 (published values have at most 3 decimals).
_NOISE = 1e-9


def round_half_even(values: FloatArray, decimals: int = 0) -> FloatArray:
    """Round to ``decimals`` places with exact halves going to the even neighbour."""
    scale = 10.0**decimals
    scaled = np.round(values * scale, 6)
    return np.asarray(np.round(scaled) / scale)


def round_up(values: FloatArray) -> FloatArray:
    """Round up to an integer, as HJ 633 requires of every IAQI and AQI ("全部进位取整")."""
    return np.asarray(np.ceil(values - _NOISE))


def round_concentration(values: FloatArray, *, co: bool) -> FloatArray:
    """A concentration as GB/T 8170 reports it: integer µg/m³, or CO to 0.1 mg/m³."""
    return round_half_even(values, 1 if co else 0)
