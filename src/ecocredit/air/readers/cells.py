"""Cell checks shared by the readers: station codes, pollutant names and concentrations.

Each check looks at a whole column at once (Polars/numpy) and returns, besides the parsed
values, the positions it refused and why, so a reader turns them into rejects with the
line numbers it knows. Only refused cells are looked at one by one, to word the reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from ecocredit.air.model import (
    MAX_CONCENTRATION,
    N_POLLUTANTS,
    POLLUTANTS,
    STATION_CODE,
    STATION_CODE_PATTERN,
    FloatArray,
    IntArray,
    Pollutant,
    Reject,
)

BoolArray = npt.NDArray[np.bool_]

# Explicit ASCII classes: \d and \w match other scripts' digits in Python and Rust regex.
# How publishers mark a value that is missing: HJ 633 writes NA; the national feed also
# shows "/" and "—". Such a cell is no value, not a bad one.
MISSING_MARKS = frozenset({"NA", "N/A", "/", "—", "-", "--"})
CODE_PATTERN = STATION_CODE_PATTERN
CODE = STATION_CODE
NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
AQI_SLOT = N_POLLUTANTS  # the published AQI travels beside the six pollutants
SKIP_SLOT = -1  # a recognised series that is not an hourly value (24-hour means, O3 8-hour)
SHOWN = 40  # a refused cell is quoted up to this many characters

# "O3_1h" is how some exports label the hourly ozone beside its 8-hour mean.
_HOURLY = {p.value.lower().replace(".", ""): p.index for p in POLLUTANTS} | {
    "o31h": Pollutant.O3.index
}
_AVERAGED = ("pm2524h", "pm1024h", "so224h", "no224h", "co24h", "o324h", "o38h", "o38h24h")
# Slot of every known name, keyed by its name_key() spelling.
SLOTS: dict[str, int] = _HOURLY | {"aqi": AQI_SLOT} | dict.fromkeys(_AVERAGED, SKIP_SLOT)
_IGNORED = str.maketrans("", "", " ._-")


def name_key(name: str) -> str:
    """A pollutant or type name reduced to compare spellings: ``PM2.5``, ``pm2_5`` → ``pm25``."""
    return name.strip().lower().translate(_IGNORED)


def slot_of(name: str) -> int | None:
    """Pollutant index, AQI_SLOT, SKIP_SLOT, or None for a name that is not known."""
    return SLOTS.get(name_key(name))


def slot_series(names: pl.Series) -> pl.Series:
    """:func:`slot_of` of a whole column (Int64, null where unknown)."""
    keys = names.str.strip_chars().str.to_lowercase().str.replace_all(r"[ ._\-]", "")
    return keys.replace_strict(SLOTS, default=None, return_dtype=pl.Int64)


def shown(text: str) -> str:
    """A cell quoted for a reject reason, cut when long."""
    text = text.strip()
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "…")


def code_problem(code: str, known: Collection[str] | None) -> str | None:
    """Why a station code cannot be taken, or None when it can."""
    if not code:
        return "missing station code"
    if not CODE.fullmatch(code):
        return f"station code must be 1–16 ASCII letters, digits or '-' (not first): {shown(code)}"
    if known is not None and code not in known:
        return f"unknown station code {shown(code)}"
    return None


def check_codes(codes: pl.Series, known: Collection[str] | None) -> tuple[IntArray, list[str]]:
    """Positions of refused station codes in a column (stripped strings) and the reasons."""
    ok = codes.str.contains(CODE_PATTERN).fill_null(value=False)
    if known is not None:
        ok = ok & codes.is_in(pl.Series(list(known), dtype=pl.String).implode())
    bad = np.flatnonzero(~ok.to_numpy())
    texts = codes.gather(bad).to_list()
    return bad, [code_problem(t or "", known) or "" for t in texts]


def number_problem(text: str) -> str:
    """Why a concentration cell is refused (the cell is known not to be a usable value)."""
    cell = text.strip()
    if NUMBER.fullmatch(cell):
        value = float(cell)
        if not math.isfinite(value):
            return f"number out of range: {shown(cell)}"
        if value > MAX_CONCENTRATION:
            return f"not a concentration (above {MAX_CONCENTRATION:,.0f}): {shown(cell)}"
        return f"negative concentration: {shown(cell)}"
    if cell.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        return f"not a finite number: {shown(cell)}"
    return f"not a number: {shown(cell)}"


@dataclass(frozen=True)
class Numbers:
    """Parsed concentrations: NaN where a cell is empty or refused."""

    values: FloatArray
    bad: IntArray  # positions refused
    reasons: list[str]  # one per position in ``bad``


def raw_numbers(texts: pl.Series) -> tuple[FloatArray, BoolArray]:
    """Cells as floats (NaN where unreadable) and where they are empty; nothing refused yet."""
    stripped = texts.str.strip_chars()
    empty = (stripped.is_null() | (stripped == "")).to_numpy()
    values = stripped.cast(pl.Float64, strict=False).fill_null(np.nan).to_numpy()
    return np.array(values, np.float64), np.asarray(empty, np.bool_)


def settle(
    values: FloatArray, empty: BoolArray, texts_at: Callable[[IntArray], list[str]]
) -> Numbers:
    """Refuse what is not a finite, non-negative number; ``texts_at`` gives cells' text.

    Large values are kept up to :data:`MAX_CONCENTRATION` (the AQI caps them, and an outlier
    is for a person to judge); above it no reading is a concentration.
    Unreadable cells get a second look in Python, since blanks and padded numbers such as
    ``" 12 "`` are fine but not every fast parser takes them.
    """
    values, empty = values.copy(), empty.copy()
    unread = np.flatnonzero(np.isnan(values) & ~empty)
    for position, text in zip(unread, texts_at(unread), strict=True):
        cell = text.strip()
        if not cell or cell.upper() in MISSING_MARKS:
            empty[position] = True
        elif NUMBER.fullmatch(cell):
            values[position] = float(cell)
    usable = np.isfinite(values) & (values >= 0) & (values <= MAX_CONCENTRATION)
    bad = np.flatnonzero(~usable & ~empty)
    values[~usable] = np.nan
    return Numbers(values, bad, [number_problem(t) for t in texts_at(bad)])


def float_numbers(column: pl.Series) -> Numbers | None:
    """:class:`Numbers` of a Float64 column, or None if a value needs refusing.

    On None the caller parses the column's text instead, so a reason quotes the cell.
    """
    values = np.array(column.fill_null(np.nan).to_numpy(), np.float64)
    given = ~np.asarray(column.is_null().to_numpy(), np.bool_)
    if np.any(given & ~(np.isfinite(values) & (values >= 0) & (values <= MAX_CONCENTRATION))):
        return None
    return Numbers(values, np.zeros(0, np.int64), [])


def parse_numbers(texts: pl.Series) -> Numbers:
    """A column of concentration cells (strings) as :class:`Numbers`."""
    values, empty = raw_numbers(texts)
    return settle(values, empty, lambda at: [t or "" for t in texts.gather(at).to_list()])


def distinct(column: pl.Series) -> tuple[pl.Series, IntArray]:
    """The sorted distinct values of a string column (null read as "") and each row's index.

    Checks then run once per distinct value: a million rows hold a few thousand stations
    and hours, and wording a reason or matching a pattern per row would dominate the read.
    """
    column = column.fill_null("")
    values = column.unique().sort()
    return values, np.asarray(values.search_sorted(column).to_numpy(), np.int64)


def spread(index: IntArray, bad: IntArray, reasons: list[str]) -> tuple[IntArray, list[str]]:
    """Rows whose distinct value (``index``) was refused, with that value's reason."""
    refused = np.zeros(index.max() + 1 if index.size else 0, np.bool_)
    refused[bad] = True
    reason_of = dict(zip(bad.tolist(), reasons, strict=True))
    rows = np.flatnonzero(refused[index])
    return rows, [reason_of[int(index[r])] for r in rows]


def rejects_at(
    file: str, lines: IntArray, positions: IntArray, reasons: list[str], field: str
) -> list[Reject]:
    """Rejects for refused positions of a column whose rows sit on ``lines``."""
    return [
        Reject(file, int(lines[p]), reason, field)
        for p, reason in zip(positions, reasons, strict=True)
    ]
