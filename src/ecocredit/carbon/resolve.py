"""Give every record its factors: the one it names, or the one the default rule picks.

Electricity gets two: the location-based factor (grid average) and the market-based one
(the residual of the same series and year) — unless the record names its own factor, which
then serves both, as a supplier-specific factor does under the Scope 2 Guidance. Green
certificates and direct green purchases get none: they carry no emissions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from ecocredit.carbon import catalog
from ecocredit.carbon.calc import Resolved
from ecocredit.carbon.model import ELECTRICITY, INSTRUMENTS, Factor
from ecocredit.carbon.selection import Choice, select
from ecocredit.errors import InvalidParameter


@dataclass(frozen=True)
class Options:
    """Per-report choices that override the defaults."""

    year: int
    series: str | None = None  # prefer this series over the default order
    as_of: dt.date | None = None  # only factors published by this day


def _named(frame: pl.DataFrame, factors: Mapping[str, Factor], name: str) -> None:
    """Every named factor id must exist; the error names the first record that has another."""
    named = frame.filter(pl.col("factor_id").is_not_null())
    for factor_id in named.get_column("factor_id").unique().to_list():
        if factor_id not in factors:
            line = _first_line(named.filter(pl.col("factor_id") == factor_id))
            raise InvalidParameter(
                f"{name}, line {line}, field factor_id: unknown factor {factor_id!r} "
                "(see `ecocredit carbon factors` or GET /v1/carbon/factors)",
                field="factor_id",
            )


def resolve(
    frame: pl.DataFrame,
    factors: Mapping[str, Factor],
    provinces_of: Mapping[str, str | None],
    options: Options,
    name: str = "records",
    pinned: Mapping[str, list[str]] | None = None,
) -> Resolved:
    """The location and market factor id of each record of ``frame``.

    ``pinned`` holds the choices made when an inventory was submitted; they are used as they
    are, so a later change of the default rule or a newly published factor changes nothing.
    """
    _named(frame, factors, name)
    defaults = catalog.defaults()
    chooser = _Chooser(frame, factors, name, list(defaults["series"]))
    keys = frame.select("facility", "category", "activity", "factor_id").unique()
    location: dict[tuple[str, str, str], str] = {}
    market: dict[tuple[str, str, str], str] = {}
    for facility, category, activity, factor_id in keys.iter_rows():
        key = (facility, category, activity)
        if category in INSTRUMENTS or factor_id is not None:
            continue
        if pinned and "|".join(key) in pinned:
            location[key], market[key] = pinned["|".join(key)]
            continue
        electric = category == ELECTRICITY
        method = defaults["location_method"] if electric else "combustion"
        province = provinces_of.get(facility)
        chosen = chooser.pick(Choice(activity, options.year, method, province, options.series,
                                     options.as_of), key)  # fmt: skip
        location[key] = chosen.factor_id
        if electric:
            market[key] = chooser.residual(chosen, options, defaults["market_method"], key)
    resolved = _columns(frame, location, market, factors)
    choices = {"|".join(key): [location[key], market.get(key, "")] for key in sorted(location)}
    return Resolved(resolved.location, resolved.market, factors, choices, sorted(chooser.notes))


class _Chooser:
    """The default rule, asked once per distinct question (not once per facility)."""

    def __init__(
        self, frame: pl.DataFrame, factors: Mapping[str, Factor], name: str, order: list[str]
    ) -> None:
        self.frame, self.name, self.order = frame, name, order
        self.factors = list(factors.values())
        self.activities = {f.activity for f in self.factors if f.published}
        self.provinces = catalog.provinces()
        self.memo: dict[Choice, Factor] = {}
        self.notes: set[str] = set()

    def pick(self, choice: Choice, key: tuple[str, str, str]) -> Factor:
        """The factor for ``choice``; an error names the first record of ``key``."""
        if choice not in self.memo:
            try:
                if choice.activity not in self.activities and key[1] != ELECTRICITY:
                    raise InvalidParameter(
                        f"field factor_id: no published factor for activity {choice.activity!r}; "
                        "name a factor_id (your own or a published one)",
                        field="factor_id",
                    )
                self.memo[choice] = select(self.factors, choice, self.order, self.provinces)
            except InvalidParameter as exc:
                line = _line(self.frame, *key)
                raise InvalidParameter(
                    f"{self.name}, line {line}, {exc.message}", field="factor_id"
                ) from exc
        return self.memo[choice]

    def residual(
        self, chosen: Factor, options: Options, method: str, key: tuple[str, str, str]
    ) -> str:
        """The market-based factor for electricity whose location factor is ``chosen``.

        The residual of the same series and data year; where none is published (before
        2021, the ETS and NDRC series) the location factor stands in, as the Scope 2
        Guidance allows when no residual mix exists, and a note says so.
        """
        year = chosen.data_year or options.year
        choice = Choice(chosen.activity, year, method, None, chosen.series, options.as_of, True)
        try:
            found = self.pick(choice, key)
        except InvalidParameter:
            found = None
        if found is not None and found.data_year == chosen.data_year:
            return found.factor_id
        self.notes.add(
            f"no residual factor of {chosen.series} {chosen.data_year} is published: "
            f"market-based electricity uses the location factor {chosen.factor_id}"
        )
        return chosen.factor_id


def _first_line(frame: pl.DataFrame) -> int:
    return int(frame.get_column("line").cast(pl.Int64).min() or 0)  # type: ignore[arg-type]


def _line(frame: pl.DataFrame, facility: str, category: str, activity: str) -> int:
    return _first_line(
        frame.filter(
            (pl.col("facility") == facility)
            & (pl.col("category") == category)
            & (pl.col("activity") == activity)
        )
    )


def _columns(
    frame: pl.DataFrame,
    location: Mapping[tuple[str, str, str], str],
    market: Mapping[tuple[str, str, str], str],
    factors: Mapping[str, Factor],
) -> Resolved:
    keyed = frame.select(
        pl.concat_str(["facility", "category", "activity"], separator="\x1f").alias("key"),
        "factor_id",
        "category",
    )

    def lookup(table: Mapping[tuple[str, str, str], str]) -> pl.Expr:
        flat = {"\x1f".join(k): v for k, v in table.items()}
        return pl.col("key").replace_strict(flat, default="", return_dtype=pl.String)

    named = pl.col("factor_id").fill_null("")
    instrument = pl.col("category").is_in(list(INSTRUMENTS))
    electric = pl.col("category") == ELECTRICITY
    chosen = keyed.select(
        pl.when(instrument)
        .then(pl.lit(""))
        .when(named != "")
        .then(named)
        .otherwise(lookup(location))
        .alias("location"),
        pl.when(~electric)
        .then(pl.lit(""))
        .when(named != "")
        .then(named)
        .otherwise(lookup(market))
        .alias("market"),
    )
    return Resolved(chosen.get_column("location"), chosen.get_column("market"), factors)
