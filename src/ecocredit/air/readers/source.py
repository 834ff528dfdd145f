"""File-level checks shared by every reader: loading, UTF-8, the byte-order mark, the header.

A problem here concerns the whole file (it cannot be read at all), so it raises
:class:`~ecocredit.errors.InvalidInput` naming the file; row and cell problems are the
readers' business and become rejects instead.
"""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path

from ecocredit.air.model import Layout
from ecocredit.errors import InvalidInput

BOM = b"\xef\xbb\xbf"
JSON_START = re.compile(rb"\s*[\[{]")
CHUNK = 1 << 24  # bytes decoded at a time to check a file is UTF-8


def load(path: Path) -> bytes:
    """The bytes of ``path``; an unreadable file is the user's to fix, so it is InvalidInput."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the file ({exc.strerror or exc})") from exc


def prepare(data: bytes, name: str) -> bytes:
    """Drop a UTF-8 byte-order mark and check the rest is UTF-8 text that is not empty.

    Spreadsheet programs on Windows write the mark, and the national platform's exports are
    UTF-8, so anything else is refused rather than guessed (a GBK file read as Latin-1 would
    give wrong station names silently). The check decodes a piece at a time, so a large
    file is not held a second time as text.
    """
    if data.startswith(BOM):
        data = data[len(BOM) :]
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), CHUNK):
            decoder.decode(view[start : start + CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        raise InvalidInput(
            f"{name}: not UTF-8 text (invalid byte at offset {offset}); save it as UTF-8"
        ) from None
    if not data or data.isspace():  # not strip(): that would copy a large file
        raise InvalidInput(f"{name}: the file is empty")
    return data


def first_line(data: bytes) -> str:
    """The first line of checked UTF-8 bytes, as text."""
    end = data.find(b"\n")
    return (data if end < 0 else data[:end]).decode()


def header_fields(text: str, name: str) -> list[str]:
    """The names in the first line, stripped; the header must be the first line."""
    end = text.find("\n")
    first = (text if end < 0 else text[:end]).rstrip("\r")
    if not first.strip():
        raise InvalidInput(f"{name}: no header: the first line is empty")
    try:
        return [cell.strip() for cell in next(csv.reader([first]))]
    except csv.Error as exc:  # a lone carriage return: old Mac line ends
        raise InvalidInput(f"{name}: cannot read the header ({exc})") from None


def is_json(data: bytes) -> bool:
    """Whether a file is a JSON array or JSON Lines (its first character opens one)."""
    return JSON_START.match(data) is not None  # not lstrip(): that would copy a large file


def detect_layout(text: str, *, name: str = "input") -> Layout:
    """The layout of a file from its beginning (its first line is enough).

    ``[`` or ``{`` first means JSON, which is always the long layout. Otherwise the header
    decides: ``date,hour,type,…`` is a site file, a ``pollutant`` or ``value`` column a long
    CSV, a ``station`` or ``time`` column a wide CSV. Anything else raises InvalidInput.
    """
    text = text.removeprefix("\ufeff")
    if text.lstrip()[:1] in ("[", "{"):
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
