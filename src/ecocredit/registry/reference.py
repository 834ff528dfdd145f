"""Reference data of the registry: the credit types every installation starts with.

``data/credit_types.csv`` lists them with their source. They exist from the first migration
on, with no log entry, so the replay starts from this same list; credit types an admin adds
later are logged (``registry.credit_type_added``).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class CreditType:
    """A unit of credit and how many decimal places of it are counted."""

    abbrev: str
    name: str
    unit: str
    precision: int
    source: str


@functools.cache
def builtin_credit_types() -> tuple[CreditType, ...]:
    """The credit types of ``data/credit_types.csv``."""
    text = resources.files("ecocredit.registry").joinpath("data/credit_types.csv").read_text()
    rows = csv.DictReader(text.splitlines())
    return tuple(
        CreditType(r["abbrev"], r["name"], r["unit"], int(r["precision"]), r["source"])
        for r in rows
    )
