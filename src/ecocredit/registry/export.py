"""CSV exports of the registry's lists: a header row, then one row per item.

Each list has its own fixed columns, so a spreadsheet built on an export keeps working. Nested
lists are joined with ``;``: serial blocks as ``first-last;first-last``, issuers as names.
Retirements and cancellations are separate exports; neither ever holds the other's records.
Free text that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``
or a tab) is prefixed with ``'``, the usual defence against CSV injection.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

COLUMNS: dict[str, tuple[str, ...]] = {
    "credit_types": ("abbrev", "name", "unit", "precision"),
    "classes": (
        "class_id",
        "credit_type",
        "name",
        "methodology",
        "methodology_version",
        "admin",
        "issuers",
        "created_at",
    ),
    "projects": (
        "project",
        "class_id",
        "name",
        "admin",
        "jurisdiction",
        "location",
        "reference_id",
        "status",
        "created_at",
    ),
    "batches": (
        "batch",
        "project",
        "class_id",
        "credit_type",
        "issuer",
        "report",
        "vintage_start",
        "vintage_end",
        "reference",
        "issued",
        "tradable",
        "retired",
        "cancelled",
        "buffer",
        "issued_at",
        "ledger_index",
    ),
    "holdings": ("batch", "state", "amount", "blocks"),
    "retirements": (
        "ledger_index",
        "batch",
        "project",
        "holder",
        "amount",
        "beneficiary",
        "beneficiary_kind",
        "reason_code",
        "reason",
        "jurisdiction",
        "note",
        "via",
        "time",
    ),
    "cancellations": (
        "ledger_index",
        "batch",
        "project",
        "holder",
        "amount",
        "kind",
        "reason",
        "time",
    ),
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """One value as a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ";".join(_part(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _part(value: Any) -> str:
    """One element of a nested list: a ``[first, last]`` block or a plain value."""
    if isinstance(value, list | tuple):
        return "-".join(str(v) for v in value)
    return cell(value)


def render(kind: str, items: Iterable[Mapping[str, Any]]) -> str:
    """The CSV text of the list ``kind`` (a key of :data:`COLUMNS`)."""
    columns: Sequence[str] = COLUMNS[kind]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for item in items:
        writer.writerow([cell(item.get(c)) for c in columns])
    return out.getvalue()
