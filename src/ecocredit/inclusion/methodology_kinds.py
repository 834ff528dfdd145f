"""The four kinds of carbon-inclusion methodology: their input checks and their arithmetic.

A kind is a formula; a methodology (``methodologies.py``) is a kind with an id, a version and
parameters read from ``data/methodologies/*.toml``. Each kind checks its inputs against the
plausibility bounds of the data file before computing anything, and returns the exact
reduction with every parameter it used. Rounding down to whole grams happens in one place,
``Methodology.reduce``.

The arithmetic is decimal, not binary floating point: 0.272 − 0.061 must be 0.211 exactly, or a
saving that is 4,642 g on paper could come out as 4,641.999… g and lose a gram when rounded
down, and a verifier recomputing by hand would disagree with the platform.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any, Protocol

from ecocredit.errors import InvalidParameter

# How well a value is supported; README.md in data/ defines each word.
STATUSES = frozenset(
    {
        "verified",
        "corroborated",
        "secondary",
        "memory-verify",
        "derived",
        "assumption",
        "policy",
        "definition",
    }
)
PRECISION = 60  # digits: products of three 17-digit inputs stay exact before rounding down


@dataclass(frozen=True)
class Parameter:
    """One published or declared value, with its unit, its support and its sources."""

    value: float | str
    unit: str
    status: str
    sources: tuple[str, ...]  # full citations
    note: str = ""


@dataclass(frozen=True)
class Bound:
    """The plausible range of one numeric input; a value outside it is a data error."""

    low: float
    high: float
    low_inclusive: bool = True
    integer: bool = False
    unit: str = ""

    def describe(self, high: float | None = None) -> str:
        """The range as a person reads it, e.g. ``> 0 and ≤ 1000 kg``."""
        top = self.high if high is None else high
        low = f"≥ {self.low:g}" if self.low_inclusive else f"> {self.low:g}"
        whole = " (a whole number)" if self.integer else ""
        return f"{low} and ≤ {top:g} {self.unit}".rstrip() + whole


class Terms(Protocol):
    """What a kind reads from a methodology: scalar parameters, per-option ones and bounds."""

    @property
    def parameters(self) -> Mapping[str, Parameter]:
        """Scalar parameters by name."""

    @property
    def choices(self) -> Mapping[str, Mapping[str, Mapping[str, Parameter]]]:
        """Input field → option (a food type, material, mode) → its parameters."""

    @property
    def bounds(self) -> Mapping[str, Bound]:
        """Input field → its plausible range."""


@dataclass(frozen=True)
class Outcome:
    """A kind's exact result, before rounding down to whole grams."""

    grams: Decimal
    quantities: Mapping[str, float]
    used: Mapping[str, Parameter | Decimal | str]  # str: the option chosen in an input


@dataclass(frozen=True)
class Kind:
    """A formula: the inputs it takes and the parameters its data file must give."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    parameters: tuple[str, ...]
    choice_parameters: Mapping[str, tuple[str, ...]]  # input field → names each option gives
    compute: Callable[[Terms, Mapping[str, Any]], Outcome]


def check_fields(inputs: Mapping[str, Any], kind: Kind) -> None:
    """Refuse inputs that are not a mapping, miss a required field or carry an unknown one."""
    accepted = kind.required + kind.optional
    if not isinstance(inputs, Mapping):
        raise InvalidParameter("inputs must be a mapping of field names to values", field="inputs")
    for name in kind.required:
        if name not in inputs:
            raise InvalidParameter(
                f"{name} is required; this methodology takes {', '.join(accepted)}", field=name
            )
    for name in inputs:
        if name not in accepted:
            raise InvalidParameter(
                f"{name!r} is not an input of this methodology; it takes {', '.join(accepted)}",
                field=str(name),
            )


def choose(
    terms: Terms, inputs: Mapping[str, Any], field: str, default: str | None = None
) -> tuple[str, Mapping[str, Parameter]]:
    """The option named in ``field`` (or the default) and its parameters; unknown ones refused."""
    value = inputs.get(field, default)
    options = terms.choices[field]
    if not isinstance(value, str) or value not in options:
        raise InvalidParameter(
            f"unknown {field} {value!r}; known: {', '.join(sorted(options))}", field=field
        )
    return value, options[value]


def amount(
    terms: Terms, inputs: Mapping[str, Any], field: str, high: float | None = None
) -> Decimal:
    """The number in ``field`` as an exact decimal, refused outside its plausibility bound."""
    value = inputs[field]
    bound = terms.bounds[field]
    # bool is an int in Python, but True kilograms is a client bug, not one kilogram.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidParameter(f"{field} must be a number, not {value!r}", field=field)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidParameter(f"{field} must be a finite number, not {value!r}", field=field)
    if bound.integer and not isinstance(value, int):
        raise InvalidParameter(f"{field} must be a whole number, not {value!r}", field=field)
    top = bound.high if high is None else min(bound.high, high)
    too_low = value < bound.low or (value == bound.low and not bound.low_inclusive)
    if too_low or value > top:
        raise InvalidParameter(
            f"{field} {value!r} is outside the plausible range {bound.describe(top)}", field=field
        )
    return exact(value)


def exact(value: float | int | str) -> Decimal:
    """A number as the decimal it was written as (``0.1`` → ``Decimal('0.1')``)."""
    if isinstance(value, str):
        raise ValueError(f"a numeric parameter holds text: {value!r}")
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


def number(parameter: Parameter) -> Decimal:
    """A numeric parameter's value as an exact decimal."""
    return exact(parameter.value)


def _clean_plate(terms: Terms, inputs: Mapping[str, Any]) -> Outcome:
    food, params = choose(terms, inputs, "food_type")
    portions = amount(terms, inputs, "portions")
    per_portion, factor = params["food_saved_g_per_portion"], params["kg_co2e_per_kg"]
    food_g = portions * number(per_portion)
    # kg CO2e per kg of food is also g CO2e per g of food, so no unit factor is needed.
    return Outcome(
        grams=food_g * number(factor),
        quantities={"portions": float(portions), "food_saved_g": float(food_g)},
        used={"food_type": food, "food_saved_g_per_portion": per_portion, "kg_co2e_per_kg": factor},
    )


def _recycling(terms: Terms, inputs: Mapping[str, Any]) -> Outcome:
    material, params = choose(terms, inputs, "material")
    kg = amount(terms, inputs, "kg")
    warm, baseline = params["warm_net_mtco2e_per_short_ton"], params["baseline_disposal_kg_per_t"]
    short_ton = terms.parameters["short_ton_t"]
    # WARM's net factor is negative when emissions are avoided, and is per short ton:
    # flip the sign and convert t per short ton to kg per tonne.
    virgin_net_of_process = -number(warm) * 1000 / number(short_ton)
    per_tonne = number(baseline) + virgin_net_of_process
    return Outcome(
        grams=kg * per_tonne,  # kg × kg CO2e per tonne = g CO2e
        quantities={"kg": float(kg)},
        used={
            "material": material,
            "warm_net_mtco2e_per_short_ton": warm,
            "short_ton_t": short_ton,
            "baseline_disposal_kg_per_t": baseline,
            "avoided_virgin_net_of_process_kg_per_t": virgin_net_of_process,
            "avoided_kg_per_t": per_tonne,
        },
    )


def _marine_plastic(terms: Terms, inputs: Mapping[str, Any]) -> Outcome:
    kg = amount(terms, inputs, "kg")
    default = str(terms.parameters["default_polymer"].value)
    polymer, _ = choose(terms, inputs, "polymer", default)
    pellet_yield = terms.parameters["collection_to_pellet_yield"]
    per_pellet = terms.parameters["pellet_t_co2_per_t"]
    pellets_kg = kg * number(pellet_yield)
    return Outcome(
        grams=pellets_kg * number(per_pellet) * 1000,  # t per t is kg per kg; 1000 g per kg
        quantities={"plastic_recovered_kg": float(kg), "pellets_kg": float(pellets_kg)},
        used={
            "polymer": polymer,
            "collection_to_pellet_yield": pellet_yield,
            "pellet_t_co2_per_t": per_pellet,
        },
    )


def _green_travel(terms: Terms, inputs: Mapping[str, Any]) -> Outcome:
    mode, params = choose(terms, inputs, "mode")  # first: the km bound depends on the mode
    km = amount(terms, inputs, "km", high=float(params["max_km"].value))
    car, own = terms.parameters["car_baseline_kg_per_pkm"], params["kg_per_pkm"]
    baseline_g = km * number(car) * 1000
    project_g = km * number(own) * 1000
    return Outcome(
        grams=baseline_g - project_g,  # ER = BE − PE
        quantities={
            "km": float(km),
            "baseline_emissions_g": float(baseline_g),
            "project_emissions_g": float(project_g),
        },
        used={"mode": mode, "car_baseline_kg_per_pkm": car, "mode_kg_per_pkm": own},
    )


KINDS: Mapping[str, Kind] = {
    "clean-plate": Kind(
        ("food_type", "portions"),
        (),
        (),
        {"food_type": ("food_saved_g_per_portion", "kg_co2e_per_kg")},
        _clean_plate,
    ),
    "recycling": Kind(
        ("material", "kg"),
        (),
        ("short_ton_t",),
        {"material": ("warm_net_mtco2e_per_short_ton", "baseline_disposal_kg_per_t")},
        _recycling,
    ),
    "marine-plastic": Kind(
        ("kg",),
        ("polymer",),
        ("pellet_t_co2_per_t", "collection_to_pellet_yield", "default_polymer"),
        {"polymer": ()},
        _marine_plastic,
    ),
    "green-travel": Kind(
        ("mode", "km"),
        (),
        ("car_baseline_kg_per_pkm",),
        {"mode": ("kg_per_pkm", "max_km")},
        _green_travel,
    ),
}


def compute(kind: str, terms: Terms, inputs: Mapping[str, Any]) -> Outcome:
    """Check ``inputs`` for the named kind and compute its exact outcome."""
    formula = KINDS[kind]
    check_fields(inputs, formula)
    with localcontext(prec=PRECISION):
        return formula.compute(terms, inputs)
