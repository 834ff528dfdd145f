"""Stateless checks of the custody verbs, made before any lot is read.

Each names the field at fault. Also the two conversions the API and the CLI share: kilograms
and yuan as decimal strings to the service's whole grams and cents, where more decimals than
a gram or a cent is refused, never rounded.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from ecocredit.errors import InvalidParameter
from ecocredit.inclusion.custody_model import Inputs, Place
from ecocredit.inclusion.fund import BASIS_POINTS

YIELD_TOLERANCE_BP = 300  # a recycler's scale may read 3 points over its declared yield, flagged
MAX_LOT_GRAMS = 10**8  # 100 t: a boat's hold, not a bag; more in one lot is a typo
EARLIEST, LATEST = 1900, 2200  # years a collection may be dated in


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_grams(value: int, field: str) -> None:
    """Refuse anything but 1 g to ``MAX_LOT_GRAMS`` for a lot collected or weighed."""
    if not _whole(value) or not 0 < value <= MAX_LOT_GRAMS:
        raise InvalidParameter(
            f"{field}: a whole number of grams from 1 to {MAX_LOT_GRAMS}, not {value!r}",
            field=field,
        )


def check_place(place: Place) -> None:
    """Refuse a place name that is too long or holds control characters."""
    if isinstance(place, str) and (len(place) > 200 or not place.isprintable()):
        raise InvalidParameter("place: a name of at most 200 printable characters", field="place")


def check_time(time: datetime) -> None:
    """Refuse a collection dated outside the years ``EARLIEST`` to ``LATEST``."""
    if not EARLIEST <= time.year <= LATEST:
        raise InvalidParameter(
            f"time: a moment in the years {EARLIEST} to {LATEST}, not {time.isoformat()}",
            field="time",
        )


def _input_total(inputs: Inputs) -> int | None:
    """The grams of the inputs, or None when they are malformed (the pure check names how)."""
    grams = [g for _, g in inputs]
    if not grams or any(not _whole(g) or g <= 0 for g in grams):
        return None
    return sum(grams)


def mass_balance(
    inputs: Inputs, output_grams: int, declared_yield_bp: int, tolerance_bp: int
) -> int:
    """Refuse pellets the inputs cannot give; return the loss floor in basis points.

    Output up to inputs × the declared yield (above 0, at most 100 %) is allowed; up to
    ``tolerance_bp`` more is allowed but flagged, never more than the inputs themselves.
    The floor is the yield less its tolerance: an output under it is a loss, flagged.
    """
    if not _whole(declared_yield_bp) or not 0 < declared_yield_bp <= BASIS_POINTS:
        raise InvalidParameter(
            f"declared_yield_bp: a yield above 0 and at most 100 %, 1 to {BASIS_POINTS} basis "
            f"points, not {declared_yield_bp!r}",
            field="declared_yield_bp",
        )
    if not _whole(tolerance_bp) or not 0 <= tolerance_bp <= YIELD_TOLERANCE_BP:
        raise InvalidParameter(
            f"tolerance_bp: 0 to {YIELD_TOLERANCE_BP} basis points (a scale's error: it may be "
            f"tightened, never widened), not {tolerance_bp!r}",
            field="tolerance_bp",
        )
    total = _input_total(inputs)
    if total is not None and _whole(output_grams):
        ceiling = min(total, total * (declared_yield_bp + tolerance_bp) // BASIS_POINTS)
        if output_grams > ceiling:
            raise InvalidParameter(
                f"output_grams: {output_grams} g of pellets from {total} g of inputs exceeds "
                f"the {ceiling} g allowed (the declared {declared_yield_bp} bp yield plus "
                f"{tolerance_bp} bp for the scale, and never more than the inputs)",
                field="output_grams",
            )
    return declared_yield_bp * (BASIS_POINTS - tolerance_bp) // BASIS_POINTS


def _units(text: str | Decimal, places: int, unit: str, field: str) -> int:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        message = f"{field}: {text!r} is not a number of {unit}"
        raise InvalidParameter(message, field=field) from None
    if not value.is_finite() or value <= 0:
        raise InvalidParameter(f"{field}: a positive number of {unit}, not {text}", field=field)
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise InvalidParameter(
            f"{field}: {text} has more than {places} decimals (the smallest unit is 1/"
            f"{10**places} of {unit})",
            field=field,
        )
    return int(scaled)


def grams_of_kg(kg: str | Decimal, field: str = "kg") -> int:
    """Whole grams of a decimal number of kilograms; a fraction of a gram is refused."""
    return _units(kg, 3, "kg", field)


def cents_of_yuan(yuan: str | Decimal, field: str = "yuan") -> int:
    """Whole cents of a decimal amount of yuan; a fraction of a cent is refused."""
    return _units(yuan, 2, "yuan", field)
