"""Carbon-inclusion methodologies as versioned plug-ins: the catalogue and what each reduces.

A methodology turns one person's low-carbon action (a clean plate, a bag of recycling, a
boatload of marine plastic, a metro ride) into a reduction in whole grams of CO2e, with every
parameter value it used and their sources, so a verifier can recompute it by hand. Its
parameters, units, plausibility bounds, sources and their status live in one TOML file per
version under ``data/methodologies/`` (see ``data/README.md``); the formulas are in
``methodology_kinds.py``. A new version is a new file: old reductions keep naming the version
they were computed with.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ecocredit.errors import InvalidParameter
from ecocredit.inclusion.methodology_kinds import KINDS, STATUSES, Bound, Parameter, compute

__all__ = ["Bound", "Methodology", "Parameter", "Reduction", "catalogue", "methodology"]


@dataclass(frozen=True)
class Reduction:
    """What one action avoided, in whole grams of CO2e, and everything needed to recompute it."""

    methodology: str
    version: str
    grams_co2e: int
    quantities: Mapping[str, float]  # e.g. {"food_saved_g": 37.22}, {"plastic_recovered_kg": 2.5}
    parameters: Mapping[str, float | str]  # every value used, and the options chosen
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Methodology:
    """One version of one methodology: its formula (kind) and its parameters from data."""

    id: str
    version: str
    title: str
    kind: str
    parameters: Mapping[str, Parameter]
    choices: Mapping[str, Mapping[str, Mapping[str, Parameter]]]
    bounds: Mapping[str, Bound]
    sources: tuple[str, ...]
    valid_from: dt.date | None = None

    def reduce(self, inputs: Mapping[str, Any]) -> Reduction:
        """The reduction of one action; an unusable input raises InvalidParameter naming it."""
        outcome = compute(self.kind, self, inputs)
        # Rounded down, never to nearest: the gram is a credit's smallest unit, and a fraction
        # of a gram that was not earned must never be issued. Conservative, as DB11/T 3043
        # asks. A negative result (an action that adds emissions) earns nothing.
        grams = max(0, math.floor(outcome.grams))
        parameters: dict[str, float | str] = {}
        sources: dict[str, None] = {}  # ordered, without repeats
        for name, used in outcome.used.items():
            if isinstance(used, Parameter):
                parameters[name] = used.value
                sources.update(dict.fromkeys(used.sources))
            else:
                parameters[name] = used if isinstance(used, str) else float(used)
        return Reduction(
            self.id, self.version, grams, dict(outcome.quantities), parameters, tuple(sources)
        )


def methodology(id: str, version: str | None = None) -> Methodology:
    """The methodology ``id`` at ``version``, or its latest version when ``version`` is None."""
    versions = _by_id().get(id) if isinstance(id, str) else None
    if versions is None:
        known = ", ".join(sorted(_by_id()))
        raise InvalidParameter(f"unknown methodology {id!r}; known: {known}", field="methodology")
    if version is None:
        return versions[-1]
    for found in versions:
        if found.version == version:
            return found
    listed = ", ".join(m.version for m in versions)
    raise InvalidParameter(
        f"methodology {id} has no version {version!r}; versions: {listed}", field="version"
    )


def catalogue() -> list[Methodology]:
    """Every version of every methodology, by id and then version, oldest first."""
    return [m for versions in _by_id().values() for m in versions]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@functools.cache
def _by_id() -> Mapping[str, tuple[Methodology, ...]]:
    loaded: dict[str, list[Methodology]] = {}
    for name, text in _files():
        found = _parse(tomllib.loads(text), name)
        if any(m.version == found.version for m in loaded.get(found.id, [])):
            raise ValueError(f"{name}: {found.id} {found.version} is defined twice")
        loaded.setdefault(found.id, []).append(found)
    return {
        key: tuple(sorted(loaded[key], key=lambda m: _version_key(m.version)))
        for key in sorted(loaded)
    }


def _files() -> list[tuple[str, str]]:
    folder = resources.files("ecocredit.inclusion").joinpath("data/methodologies")
    entries = sorted(folder.iterdir(), key=lambda entry: entry.name)
    return [(e.name, e.read_text("utf-8")) for e in entries if e.name.endswith(".toml")]


def _parse(doc: Mapping[str, Any], name: str) -> Methodology:
    citations: Mapping[str, str] = doc["sources"]
    kind = KINDS.get(doc["kind"])
    if kind is None:
        raise ValueError(f"{name}: unknown kind {doc['kind']!r}")
    _version_key(doc["version"])  # a version is dotted whole numbers, so "latest" is defined
    parameters = {
        key: _parameter(raw, citations, f"{name} parameters.{key}")
        for key, raw in doc.get("parameters", {}).items()
    }
    choices = {
        field: {
            option: {
                key: _parameter(raw, citations, f"{name} choices.{field}.{option}.{key}")
                for key, raw in values.items()
            }
            for option, values in options.items()
        }
        for field, options in doc.get("choices", {}).items()
    }
    bounds = {field: _bound(raw, name) for field, raw in doc.get("bounds", {}).items()}
    found = Methodology(
        id=doc["id"],
        version=doc["version"],
        title=doc["title"],
        kind=doc["kind"],
        parameters=parameters,
        choices=choices,
        bounds=bounds,
        sources=tuple(citations.values()),
        valid_from=_date(doc.get("valid_from"), name),
    )
    _check_complete(found, name)
    return found


def _parameter(raw: Mapping[str, Any], citations: Mapping[str, str], where: str) -> Parameter:
    if raw["status"] not in STATUSES:
        raise ValueError(f"{where}: status {raw['status']!r} is not one of {sorted(STATUSES)}")
    missing = [key for key in raw["sources"] if key not in citations]
    if missing or not raw["sources"]:
        raise ValueError(f"{where}: sources {missing or '(none)'} are not in [sources]")
    value = raw["value"]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{where}: value {value!r} is neither a number nor text")
    return Parameter(
        value=value if isinstance(value, str) else float(value),
        unit=raw["unit"],
        status=raw["status"],
        sources=tuple(citations[key] for key in raw["sources"]),
        note=raw.get("note", ""),
    )


def _bound(raw: Mapping[str, Any], name: str) -> Bound:
    if raw["status"] not in STATUSES:
        raise ValueError(f"{name}: bound status {raw['status']!r} is not one of {STATUSES}")
    inclusive = "minimum" in raw
    return Bound(
        low=float(raw["minimum"] if inclusive else raw["greater_than"]),
        high=float(raw["maximum"]),
        low_inclusive=inclusive,
        integer=bool(raw.get("integer", False)),
        unit=raw.get("unit", ""),
    )


def _date(value: Any, name: str) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    raise ValueError(f"{name}: valid_from must be a TOML date, not {value!r}")


def _check_complete(found: Methodology, name: str) -> None:
    """Refuse at load time a data file its formula cannot run on, not at the first action."""
    kind = KINDS[found.kind]
    for key in kind.parameters:
        if key not in found.parameters:
            raise ValueError(f"{name}: parameter {key} is missing")
    for field, needed in kind.choice_parameters.items():
        if not found.choices.get(field):
            raise ValueError(f"{name}: no options for {field}")
        for option, values in found.choices[field].items():
            for key in needed:
                if key not in values:
                    raise ValueError(f"{name}: {field} {option} lacks {key}")
    for field in kind.required + kind.optional:
        if field not in kind.choice_parameters and field not in found.bounds:
            raise ValueError(f"{name}: input {field} has no plausibility bound")
