"""Checks of the free text people give: names, sources, file names, notes."""

from __future__ import annotations

import unicodedata

from ecocredit.errors import InvalidParameter


def check_text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    """``value`` stripped, or an error naming ``field``: too long, empty, control characters."""
    text = value.strip()
    if required and not text:
        raise InvalidParameter(f"{field} must not be empty", field=field)
    if len(text) > limit:
        raise InvalidParameter(f"{field} has at most {limit} characters", field=field)
    for char in text:
        # Control characters and lone surrogates: invisible in a report, refused by PostgreSQL.
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise InvalidParameter(
                f"{field}: character U+{ord(char):04X} is not allowed", field=field
            )
    return text
