"""Identifiers as the public registries write them, and the checks of what users type.

Class ``C01`` (credit type and a sequence), project ``C01-001`` (class and a sequence), batch
``C01-001-20260101-20261231-001`` (project, vintage start and end, a sequence), verification
report ``C01-001-R001``. A jurisdiction is ISO 3166-1 alpha-2, optionally with an ISO 3166-2
subdivision and a postal code: ``CN``, ``CN-NM``, ``CN-GD 518000`` (Regen's rule).
"""

from __future__ import annotations

import re
from datetime import date

from ecocredit.errors import InvalidParameter

CREDIT_TYPE = re.compile(r"^[A-Z]{1,3}$")
CLASS = re.compile(r"^([A-Z]{1,3})([0-9]{2,})$")
PROJECT = re.compile(r"^([A-Z]{1,3}[0-9]{2,})-([0-9]{3,})$")
BATCH = re.compile(r"^([A-Z]{1,3}[0-9]{2,}-[0-9]{3,})-([0-9]{8})-([0-9]{8})-([0-9]{3,})$")
REPORT = re.compile(r"^([A-Z]{1,3}[0-9]{2,}-[0-9]{3,})-R([0-9]{3,})$")
JURISDICTION = re.compile(r"^([A-Z]{2})(?:-([A-Z0-9]{1,3})(?: ([a-zA-Z0-9 \-]{1,64}))?)?$")
MAX_TEXT = 512
FIRST_YEAR = 1990  # the IPCC's first assessment; no monitoring period starts earlier
MAX_REFERENCE = 32


def class_id(credit_type: str, sequence: int) -> str:
    """The id of the ``sequence``-th class of a credit type."""
    return f"{credit_type}{sequence:02d}"


def project_id(class_: str, sequence: int) -> str:
    """The id of the ``sequence``-th project of a class."""
    return f"{class_}-{sequence:03d}"


def batch_id(project: str, start: date, end: date, sequence: int) -> str:
    """The id of the ``sequence``-th batch of a project."""
    return f"{project}-{start:%Y%m%d}-{end:%Y%m%d}-{sequence:03d}"


def report_id(project: str, sequence: int) -> str:
    """The id of the ``sequence``-th verification report of a project."""
    return f"{project}-R{sequence:03d}"


def check(pattern: re.Pattern[str], value: object, field: str, example: str) -> str:
    """Return ``value`` if it matches ``pattern``; otherwise say what was expected."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidParameter(f"{field} {value!r} is not of the form {example}", field=field)
    return value


def check_jurisdiction(value: object, field: str = "jurisdiction") -> str:
    """Check an ISO 3166 jurisdiction such as ``CN-NM``."""
    return check(JURISDICTION, value, field, "CN, CN-NM or 'CN-GD 518000' (ISO 3166-2)")


def check_text(value: object, field: str, *, required: bool, limit: int = MAX_TEXT) -> str:
    """Check free text: at most ``limit`` characters, no control characters."""
    if not isinstance(value, str):
        raise InvalidParameter(f"{field} must be text", field=field)
    if required and not value.strip():
        raise InvalidParameter(f"{field} is required", field=field)
    if len(value) > limit:
        raise InvalidParameter(
            f"{field} has {len(value)} characters; at most {limit} are allowed", field=field
        )
    if any((ord(c) < 0x20 and c not in "\n\t") or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise InvalidParameter(f"{field} contains a control character", field=field)
    return value.strip()


def check_date(value: object, field: str) -> date:
    """Parse an ISO date ``YYYY-MM-DD``."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise InvalidParameter(f"{field} {value!r} is not a date YYYY-MM-DD", field=field)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidParameter(f"{field} {value!r} is not a calendar date", field=field) from None


def check_period(start: object, end: object, names: tuple[str, str]) -> tuple[date, date]:
    """Check a monitoring period: two dates from 1990 on, the first not after the second."""
    first, last = check_date(start, names[0]), check_date(end, names[1])
    if first.year < FIRST_YEAR:
        # Batch ids carry the period's dates as eight digits, and no monitoring period
        # starts before carbon accounting existed: an earlier year is a typing error.
        raise InvalidParameter(f"{names[0]} {first} is before {FIRST_YEAR}", field=names[0])
    if first > last:
        raise InvalidParameter(f"{names[0]} {first} is after {names[1]} {last}", field=names[0])
    return first, last
