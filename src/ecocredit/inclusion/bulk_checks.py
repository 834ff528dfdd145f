"""The checks a bulk file passes before anything of it is written: each error names the place.

A file is read once with the bulk path's own reader (``bulk.read``), its times and numbers
converted leniently, and every rule below tested column-wise; the first broken rule is
reported with the file, the line (CSV, the header being line 1) or row (Parquet) and the
field. The files must also follow one another in time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ecocredit.errors import InvalidParameter
from ecocredit.inclusion.bulk import read

EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # the service's bounds (ops.actions)
LATEST = dt.datetime(2200, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)
REQUIRED = ("participant", "key", "methodology", "at", "evidence_sha256")
# What each column must hold, as (column, test that is true for a good value, what is wrong).
_CHECKS: tuple[tuple[str, pl.Expr, str], ...] = (
    ("participant", pl.col("participant").str.contains(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"),
     "letters, digits, _ . -; at most 64"),
    ("key", pl.col("key").str.contains(r"^[^\p{C}[\p{Z}--\x20]]{1,128}$"),
     "1 to 128 printable characters"),
    ("methodology", pl.col("methodology").is_not_null(), "missing"),
    ("at", pl.col("at").is_not_null(), "missing"),
    ("received", pl.col("received").is_not_null(), "missing"),
    ("evidence_sha256", pl.col("evidence_sha256").str.contains(r"^[0-9a-f]{64}$"),
     "64 lowercase hex digits"),
    ("phash", pl.col("phash").is_null() | pl.col("phash").str.contains(r"^[0-9a-fA-F]{16}$"),
     "16 hex digits, or empty when the evidence is not a photo"),
    ("at", pl.col("at").is_between(EARLIEST, LATEST),
     "out of range; give a time from 1970-01-01 to 2200-12-31 (UTC)"),
    ("received", pl.col("received").is_between(EARLIEST, LATEST),
     "out of range; give a time from 1970-01-01 to 2200-12-31 (UTC)"),
    ("at", pl.col("at") >= pl.col("at").shift(1).fill_null(pl.col("at")),
     "earlier than the row before: the files must be in time order"),
)  # fmt: skip
NUMBERS = ("portions", "kg", "km")


@dataclass(frozen=True)
class Checked:
    """What checking a file found: its rows and its first and last times."""

    rows: int
    first: dt.datetime | None
    last: dt.datetime | None


def check_files(paths: Sequence[str]) -> int:
    """``check_file`` each file, and that each starts no earlier than the one before ends."""
    total, last, before = 0, None, ""
    for path in paths:
        found = check_file(path)
        if last is not None and found.first is not None and found.first < last:
            raise InvalidParameter(
                f"{Path(path).name} starts before {before} ends: the files must be in time order",
                field="at",
            )
        total += found.rows
        last, before = found.last or last, Path(path).name
    return total


def check_file(path: str) -> Checked:
    """Check a file's rows before anything is written; their count and time span.

    An error names the file, the line (CSV, counting the header as line 1) or row (Parquet)
    and the field.
    """
    name = Path(path).name
    try:
        schema = _scan(path).collect_schema()
        _check_columns(name, schema)
        frame = _tested(path, schema)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InvalidParameter(f"{name}: cannot be read as actions ({exc})", field="file") from exc
    _first_fault(path, schema, frame)
    if not frame.height:
        return Checked(0, None, None)
    return Checked(frame.height, frame["first"][0], frame["last"][0])


def _scan(path: str) -> pl.LazyFrame:
    """The file as written: every CSV column as text."""
    return pl.scan_parquet(path) if path.endswith(".parquet") else pl.scan_csv(
        path, infer_schema=False)  # fmt: skip


def _check_columns(name: str, schema: pl.Schema) -> None:
    """The required columns are there, and the times are text or times."""
    missing = [c for c in REQUIRED if c not in schema.names()]
    if missing:
        raise InvalidParameter(f"{name}: no column {missing[0]!r}", field=missing[0])
    for column in ("at", "received"):
        kind = schema.get(column)
        if kind is not None and kind != pl.String and not isinstance(kind, pl.Datetime):
            raise InvalidParameter(f"{name}: {column}: times, not {kind}", field=column)


def _rules(schema: pl.Schema) -> list[tuple[str, pl.Expr, str]]:
    """The rules that apply: ``received`` only where the file gives it."""
    return [rule for rule in _CHECKS if rule[0] != "received" or "received" in schema.names()]


def _tested(path: str, schema: pl.Schema) -> pl.DataFrame:
    """One row per action: whether it keeps each rule, and what the file wrote where needed."""
    texts = [c for c in ("at", "received") if schema.get(c) == pl.String]
    numbers = [c for c in NUMBERS if c in schema.names()]
    rules = _rules(schema)
    return pl.concat([
        read(path).with_row_index("n").select(
            "n", pl.col("at").min().alias("first"), pl.col("at").max().alias("last"),
            *(test.fill_null(False).alias(f"ok{k}") for k, (_, test, _) in enumerate(rules)),
            *(pl.col(c).is_not_null().alias(f"number_{c}") for c in numbers),
            *(pl.col(c).is_null().alias(f"null_{c}") for c in texts)),
        _scan(path).select(
            pl.col(texts).fill_null("").str.strip_chars().name.prefix("text_"),
            pl.col(numbers).cast(pl.String).fill_null("").str.strip_chars().name.prefix("raw_")),
    ], how="horizontal").collect()  # fmt: skip


def _first_fault(path: str, schema: pl.Schema, frame: pl.DataFrame) -> None:
    """Raise for the first number that did not convert, else the first rule broken."""
    name = Path(path).name

    def where(n: int) -> str:
        return f"row {n + 1}" if path.endswith(".parquet") else f"line {n + 2}"

    for column in (c for c in NUMBERS if c in schema.names()):
        bad = frame.filter(~pl.col(f"number_{column}") & (pl.col(f"raw_{column}") != ""))
        if bad.height:
            raise InvalidParameter(f"{name}, {where(int(bad['n'][0]))}: {column}: not a number "
                                   "(or out of range)", field=column)  # fmt: skip
    for k, (column, _, wrong) in enumerate(_rules(schema)):
        bad = frame.filter(~pl.col(f"ok{k}"))
        if bad.height:
            timed = column in ("at", "received") and schema.get(column) == pl.String
            if timed and bad[f"text_{column}"][0] and bad[f"null_{column}"][0]:
                wrong = "not a time: ISO 8601 with its offset, such as 2026-03-01T08:00:00Z"
            raise InvalidParameter(f"{name}, {where(int(bad['n'][0]))}: {column}: {wrong}",
                                   field=column)  # fmt: skip
