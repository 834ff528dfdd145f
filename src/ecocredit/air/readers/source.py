"""File-level checks shared by every reader: loading, UTF-8, the byte-order mark, the header.

A problem here concerns the whole file (it cannot be read at all), so it raises
:class:`~ecocredit.errors.InvalidInput` naming the file; row and cell problems are the
readers' business and become rejects instead.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ecocredit.air.model import Layout
from ecocredit.errors import InvalidInput

BOM = b"\xef\xbb\xbf"


def load(path: Path) -> bytes:
    """The bytes of ``path``; an unreadable file is the user's to fix, so it is InvalidInput."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the file ({exc.strerror or exc})") from exc


def decode(data: bytes, name: str) -> tuple[bytes, str]:
    """Drop a UTF-8 byte-order mark and check the rest is UTF-8 text that is not empty.

    Returns the bytes without the mark and their text. Spreadsheet programs on Windows write
    the mark, and the national platform's exports are UTF-8, so anything else is refused
    rather than guessed (a GBK file read as Latin-1 would give wrong station names silently).
    """
    if data.startswith(BOM):
        data = data[len(BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{name}: not UTF-8 text (invalid byte at offset {exc.start}); save it as UTF-8"
        ) from None
    if not text.strip():
        raise InvalidInput(f"{name}: the file is empty")
    return data, text


def header_fields(text: str, name: str) -> list[str]:
    """The names in the first line, stripped; the header must be the first line."""
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        raise InvalidInput(f"{name}: no header: the first line is empty")
    return [cell.strip() for cell in next(csv.reader([first]))]


def is_json(text: str) -> bool:
    """Whether the text is a JSON array or JSON Lines (its first character opens one)."""
    return text.lstrip()[:1] in ("[", "{")


def detect_layout(text: str, *, name: str = "input") -> Layout:
    """The layout of a file from its beginning (its first line is enough).

    ``[`` or ``{`` first means JSON, which is always the long layout. Otherwise the header
    decides: ``date,hour,type,…`` is a site file, a ``pollutant`` or ``value`` column a long
    CSV, a ``station`` or ``time`` column a wide CSV. Anything else raises InvalidInput.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if is_json(text):
        return Layout.LONG
    names = [cell.lower() for cell in header_fields(text, name)]
    if names[:3] == ["date", "hour", "type"]:
        return Layout.SITE
    if "pollutant" in names or "value" in names:
        return Layout.LONG
    if "station" in names or "time" in names:
        return Layout.WIDE
    shown = ",".join(names[:8])
    raise InvalidInput(
        f"{name}: unknown header '{shown}': expected date,hour,type,<stations> (site file), "
        "station,time,<pollutants> (wide) or station,time,pollutant,value (long)"
    )


def require(names: list[str], required: tuple[str, ...], name: str) -> dict[str, int]:
    """Positions of the required columns (names compared lower-case); a missing one raises."""
    lowered = [cell.lower() for cell in names]
    found: dict[str, int] = {}
    for column in required:
        if column not in lowered:
            raise InvalidInput(f"{name}: missing required column '{column}'", field=column)
        if lowered.count(column) > 1:
            raise InvalidInput(f"{name}: column '{column}' appears twice", field=column)
        found[column] = lowered.index(column)
    return found
