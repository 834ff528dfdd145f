"""JSON input of the long layout: an array of objects, or JSON Lines (one object a line).

Each object has ``station``, ``time``, ``pollutant`` and ``value``; ``value`` is a number,
a numeric string, or null / empty for no value. The objects become the string columns the
long reader checks, so JSON and CSV are judged by the same rules. In an array, a reject's
``line`` is the object's 1-based position in the array (the reason says so), since a whole
array is often written on one line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import polars as pl

from ecocredit.air.model import IntArray, Reject
from ecocredit.air.readers.long import COLUMNS
from ecocredit.errors import InvalidInput


@dataclass
class JsonRows:
    """Objects turned into long rows of strings, with where each came from."""

    columns: dict[str, list[str | None]]
    lines: list[int]
    rejects: list[Reject]
    rows: int = 0
    array: bool = False  # lines are positions in an array

    def frame(self) -> pl.DataFrame:
        """The rows as string columns ``station,time,pollutant,value``."""
        return pl.DataFrame(self.columns, schema=dict.fromkeys(COLUMNS, pl.String))

    def line_numbers(self) -> IntArray:
        """The line (or array position) of every row taken."""
        return np.asarray(self.lines, np.int64)


def in_array(reject: Reject) -> Reject:
    """A reject of an array element, saying that its line is the element's position."""
    reason = f"{reject.reason} (in a JSON array, line {reject.line} means object {reject.line})"
    return Reject(reject.file, reject.line, reason, reject.field)


class _Refused(Exception):
    """An object that cannot be a row; carries the reason and the key to blame."""

    def __init__(self, reason: str, field: str = "") -> None:
        super().__init__(reason)
        self.reason, self.field = reason, field


def _cell(item: dict[str, object], key: str) -> str | None:
    """One value of an object as the text a CSV cell would hold (None = no value)."""
    if key not in item:
        raise _Refused(f"missing key '{key}'", key)
    value = item[key]
    if key != "value":
        if not isinstance(value, str):
            raise _Refused(f"{key} must be a string, found {type(value).__name__}", key)
        return value
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Refused(f"value must be a number, found {json.dumps(value)[:40]}", key)
    # Python's json takes NaN and Infinity; their text ("nan", "inf") is refused later.
    return repr(value) if isinstance(value, float) else str(value)


def _take(rows: JsonRows, item: object, file: str, line: int) -> None:
    rows.rows += 1
    try:
        if not isinstance(item, dict):
            raise _Refused(f"expected an object, found {type(item).__name__}")
        cells = [_cell(item, key) for key in COLUMNS]
    except _Refused as refused:
        rows.rejects.append(Reject(file, line, refused.reason, refused.field))
        return
    for key, cell in zip(COLUMNS, cells, strict=True):
        rows.columns[key].append(cell)
    rows.lines.append(line)


def json_rows(text: str, file: str) -> JsonRows:
    """The rows of a JSON array or JSON Lines text (told apart by the first character)."""
    rows = JsonRows({key: [] for key in COLUMNS}, [], [])
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{file}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise InvalidInput(f"{file}: JSON nested too deeply to be rows") from None
        if not isinstance(items, list):
            raise InvalidInput(f"{file}: expected a JSON array of objects")
        for index, item in enumerate(items, start=1):
            _take(rows, item, file, index)
        rows.array = True
        return rows
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.rows += 1
            rows.rejects.append(Reject(file, number, f"not a JSON object ({exc.msg})"))
            continue
        except RecursionError:
            rows.rows += 1
            rows.rejects.append(Reject(file, number, "JSON nested too deeply to be a row"))
            continue
        _take(rows, item, file, number)
    return rows
