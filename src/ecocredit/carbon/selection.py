"""The default rule that picks a factor for a record that names none.

For an activity (``electricity``, ``diesel`` …), an inventory year and a facility's province:

1. only published factors of that activity and method (``average`` for location-based
   electricity, ``residual`` for the market-based remainder, ``combustion`` for fuels) count,
   whose data year is not after the inventory year and whose publication date is not after
   the report date;
2. of those, the first series in the preference list (``data/defaults.toml``) that has any;
   a series the report names comes first, and the list serves activities it has none for;
3. within it, the latest data year;
4. within that year, the facility's province if the series has one for it, else the
   province's regional grid, else the national value.

A record that names a factor id uses that factor, published or the user's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ecocredit.carbon.catalog import Province
from ecocredit.carbon.model import Factor
from ecocredit.errors import InvalidParameter


@dataclass(frozen=True)
class Choice:
    """What the rule is asked for."""

    activity: str
    year: int
    method: str
    province: str | None = None
    series: str | None = None
    as_of: dt.date | None = None
    only_series: bool = False  # look in ``series`` alone (a residual of the same series)


def _eligible(factor: Factor, choice: Choice) -> bool:
    if not factor.published or factor.activity != choice.activity:
        return False
    if factor.method != choice.method:
        return False
    if factor.data_year is not None and factor.data_year > choice.year:
        return False
    published = factor.publication_date
    return not (choice.as_of and published and published > choice.as_of)


def _specificity(factor: Factor, choice: Choice, province: Province | None) -> int:
    """2 for the facility's own province, 1 for its regional grid, 0 national, -1 other."""
    if factor.region_level == "provincial":
        return 2 if factor.region == choice.province else -1
    if factor.region_level == "regional":
        region = province.regions.get(factor.series) if province else None
        return 1 if region is not None and factor.region == region else -1
    return 0


def select(
    factors: Iterable[Factor],
    choice: Choice,
    preference: Sequence[str],
    provinces: Mapping[str, Province],
) -> Factor:
    """The factor the default rule gives for ``choice``; an error says what is missing."""
    eligible = [f for f in factors if _eligible(f, choice)]
    series_order: Sequence[str] = preference
    if choice.series is not None:  # the report's series first; others where it has none
        rest = [] if choice.only_series else [s for s in preference if s != choice.series]
        series_order = [choice.series, *rest]
    province = provinces.get(choice.province) if choice.province else None
    for series in series_order:
        ranked = [
            (
                factor.data_year or 0,
                _specificity(factor, choice, province),
                factor.factor_id,
                factor,
            )
            for factor in eligible
            if factor.series == series
        ]
        ranked = [entry for entry in ranked if entry[1] >= 0]
        if ranked:
            return max(ranked, key=lambda entry: entry[:3])[3]
    scope = f" in series {choice.series!r}" if choice.series else ""
    raise InvalidParameter(
        f"field factor_id: no published {choice.method} factor for activity "
        f"{choice.activity!r}{scope} with a data year up to {choice.year}; name a factor_id "
        "(see `ecocredit carbon factors`)",
        field="factor_id",
    )
