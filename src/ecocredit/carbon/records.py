"""Read activity records from CSV or JSON rows into a checked frame, or say which line is wrong.

The CSV has a header with these columns (the last three may be left out)::

    facility,period_start,period_end,scope,category,activity,quantity,unit,factor_id,evidence_sha256,note

Every check that needs no database happens here, on whole columns, before anything is
written: dates (ISO, the period inside the inventory year), scope and category, a finite
quantity that is not negative, a unit pint knows, the shape of factor ids and evidence hashes.
An error names the file, the line (the header is line 1) and the field.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from ecocredit.carbon import units
from ecocredit.carbon.calc import RECORD_SCHEMA
from ecocredit.carbon.model import CATEGORIES, CODE_PATTERN, FACTOR_ID_PATTERN, MAX_QUANTITY
from ecocredit.errors import InvalidParameter

REQUIRED = (
    "facility",
    "period_start",
    "period_end",
    "scope",
    "category",
    "activity",
    "quantity",
    "unit",
)
OPTIONAL = ("factor_id", "evidence_sha256", "note")
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
SHA256_HEX = r"^[0-9a-f]{64}$"
ACTIVITY_PATTERN = r"^[a-z0-9][a-z0-9_.\-]{0,63}$"
MAX_NOTE = 500
MAX_RECORDS = 5_000_000


def _fail(name: str, line: int, column: str, message: str) -> InvalidParameter:
    return InvalidParameter(f"{name}, line {line}, field {column}: {message}", field=column)


def _check(
    frame: pl.DataFrame, bad: pl.Expr, name: str, column: str, message: str, shown: str = ""
) -> None:
    """Raise for the first row where ``bad`` holds, showing its value of ``shown or column``."""
    hit = frame.filter(bad).head(1)
    if hit.height:
        line = int(hit.get_column("line")[0])
        value = hit.get_column(shown or column)[0] if (shown or column) in hit.columns else None
        detail = f" (got {str(value)[:60]!r})" if value not in (None, "") else ""
        raise _fail(name, line, column, message + detail)


def from_csv(data: bytes, name: str, year: int) -> pl.DataFrame:
    """Records of a CSV file, checked; ``name`` is how errors name the file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidParameter(
            f"{name}, line {line}: the file is not UTF-8 text (byte {exc.start})", field="file"
        ) from exc
    try:
        raw = pl.read_csv(io.StringIO(text), infer_schema=False).fill_null("")
    except (pl.exceptions.PolarsError, ValueError) as exc:
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InvalidParameter(f"{name}: not a readable CSV file ({first})", field="file") from exc
    return _checked(raw, name, year, first_line=2)


def from_rows(rows: Iterable[Mapping[str, Any]], name: str, year: int) -> pl.DataFrame:
    """Records given as JSON objects (the API's body), checked; line = position from 1."""
    listed = list(rows)
    columns = [*REQUIRED, *OPTIONAL]
    for position, row in enumerate(listed, start=1):
        for key in row:
            if key not in columns:
                # The name may not even encode as UTF-8 (a lone surrogate): escape it.
                shown = str(key)[:40].encode("ascii", "backslashreplace").decode("ascii")
                raise _fail(name, position, shown, "unknown field")
    table = {c: ["" if r.get(c) is None else _text(r.get(c)) for r in listed] for c in columns}
    raw = pl.DataFrame(table, schema={c: pl.String for c in columns})
    return _checked(raw, name, year, first_line=1)


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return "\x00"  # never a valid value of any field: reported as malformed
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from JSON: no database could store it
        return "\x00"
    return text


def _checked(raw: pl.DataFrame, name: str, year: int, first_line: int) -> pl.DataFrame:
    missing = [c for c in REQUIRED if c not in raw.columns]
    unknown = [c for c in raw.columns if c not in (*REQUIRED, *OPTIONAL)]
    if missing:
        raise _fail(name, 1, missing[0], f"missing column; the header needs {list(REQUIRED)}")
    if unknown:
        raise _fail(name, 1, unknown[0][:40], f"unknown column; known: {[*REQUIRED, *OPTIONAL]}")
    if raw.height == 0:
        raise InvalidParameter(f"{name}: there are no records", field="file")
    if raw.height > MAX_RECORDS:
        raise InvalidParameter(f"{name}: more than {MAX_RECORDS:,} records", field="file")
    frame = raw.with_columns(
        [pl.lit("").alias(c) for c in OPTIONAL if c not in raw.columns]
    ).with_row_index("line", offset=first_line)
    frame = frame.with_columns(pl.col("line").cast(pl.Int64), pl.col(pl.String).str.strip_chars())
    _apply(frame, _text_rules(), name)
    typed = _typed(frame, name, year)
    _check_categories(typed, name)
    for unit in typed.get_column("unit").unique().to_list():
        line = int(typed.filter(pl.col("unit") == unit).get_column("line")[0])
        try:
            units.parse(unit, "unit")
        except InvalidParameter as exc:
            raise _fail(name, line, "unit", exc.message.removeprefix("unit: ")) from exc
    return typed.select(list(RECORD_SCHEMA))


@dataclass(frozen=True)
class Rule:
    """A check of one column: where ``bad`` holds, the row is refused with ``message``."""

    column: str
    bad: pl.Expr
    message: str
    shown: str = ""  # the column whose text the error quotes, if not ``column``


def _apply(frame: pl.DataFrame, rules: list[Rule], name: str) -> None:
    for rule in rules:
        _check(frame, rule.bad, name, rule.column, rule.message, rule.shown)


def _text_rules() -> list[Rule]:
    given = {c: pl.col(c) != "" for c in ("factor_id", "evidence_sha256")}
    return [
        Rule("facility", ~pl.col("facility").str.contains(CODE_PATTERN), "not a facility code"),
        Rule("activity", ~pl.col("activity").str.contains(ACTIVITY_PATTERN),
             "not an activity name (lower-case letters, digits, _ . -, e.g. diesel, electricity)"),
        Rule("factor_id", given["factor_id"] & ~pl.col("factor_id").str.contains(FACTOR_ID_PATTERN),
             "not a factor id"),
        Rule("evidence_sha256",
             given["evidence_sha256"] & ~pl.col("evidence_sha256").str.contains(SHA256_HEX),
             "must be a SHA-256 in 64 lower-case hex digits"),
        Rule("note", pl.col("note").str.len_chars() > MAX_NOTE,
             f"longer than {MAX_NOTE} characters"),
        Rule("note", pl.col("note").str.contains(r"[\x00-\x08\x0b-\x1f\x7f]"),
             "contains control characters"),
    ]  # fmt: skip


def _value_rules(year: int) -> list[Rule]:
    start, end, quantity = pl.col("period_start"), pl.col("period_end"), pl.col("quantity")
    dates = [
        Rule(c, pl.col(c).is_null() | ~pl.col(f"raw_{c}").str.contains(ISO_DATE),
             "not a date YYYY-MM-DD", f"raw_{c}")
        for c in ("period_start", "period_end")
    ]  # fmt: skip
    return [
        *dates,
        Rule("period_end", end < start, "the period ends before it starts"),
        Rule("period_start", (start.dt.year() != year) | (end.dt.year() != year),
             f"the period is not inside the inventory year {year}"),
        Rule("scope", pl.col("scope").is_null() | ~pl.col("scope").is_in([1, 2, 3]),
             "must be 1, 2 or 3", "raw_scope"),
        Rule("quantity", quantity.is_null() | quantity.is_nan() | quantity.is_infinite(),
             "not a finite number", "raw_quantity"),
        Rule("quantity", quantity < 0,
             "is negative; a quantity is what was used: correct a record in a new version instead"),
        Rule("quantity", quantity > MAX_QUANTITY, f"larger than {MAX_QUANTITY:g}"),
    ]  # fmt: skip


def _typed(frame: pl.DataFrame, name: str, year: int) -> pl.DataFrame:
    """The columns as dates and numbers, checked; the raw text is kept for the errors."""
    raw = frame.select(
        pl.col(c).alias(f"raw_{c}") for c in ("period_start", "period_end", "scope", "quantity")
    )
    typed = pl.concat([frame, raw], how="horizontal").with_columns(
        pl.col("period_start").str.to_date("%Y-%m-%d", strict=False),
        pl.col("period_end").str.to_date("%Y-%m-%d", strict=False),
        pl.col("scope").cast(pl.Int8, strict=False),
        pl.col("quantity").cast(pl.Float64, strict=False),
    )
    _apply(typed, _value_rules(year), name)
    return typed.with_columns(
        pl.col("factor_id").replace("", None),
        pl.col("evidence_sha256").replace("", None),
        pl.col("quantity") + 0.0,  # -0 is 0: the records CSV must not show "-0.0"
    )


def _check_categories(frame: pl.DataFrame, name: str) -> None:
    for scope, categories in CATEGORIES.items():
        bad = (pl.col("scope") == int(scope)) & ~pl.col("category").is_in(list(categories))
        _check(
            frame,
            bad,
            name,
            "category",
            f"not a category of scope {int(scope)} ({', '.join(categories)})",
        )
