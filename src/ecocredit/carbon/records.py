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
    _check_text(frame, name)
    typed = _typed(frame, name, year)
    _check_categories(typed, name)
    for unit in typed.get_column("unit").unique().to_list():
        line = int(typed.filter(pl.col("unit") == unit).get_column("line")[0])
        try:
            units.parse(unit, "unit")
        except InvalidParameter as exc:
            raise _fail(name, line, "unit", exc.message.removeprefix("unit: ")) from exc
    return typed.select(list(RECORD_SCHEMA))


def _check_text(frame: pl.DataFrame, name: str) -> None:
    _check(
        frame,
        ~pl.col("facility").str.contains(CODE_PATTERN),
        name,
        "facility",
        "not a facility code",
    )
    _check(
        frame,
        ~pl.col("activity").str.contains(ACTIVITY_PATTERN),
        name,
        "activity",
        "not an activity name (lower-case letters, digits, _ . -, e.g. diesel, electricity)",
    )
    _check(
        frame,
        (pl.col("factor_id") != "") & ~pl.col("factor_id").str.contains(FACTOR_ID_PATTERN),
        name,
        "factor_id",
        "not a factor id",
    )
    _check(
        frame,
        (pl.col("evidence_sha256") != "")
        & ~pl.col("evidence_sha256").str.contains(r"^[0-9a-f]{64}$"),
        name,
        "evidence_sha256",
        "must be a SHA-256 in 64 lower-case hex digits",
    )
    _check(
        frame,
        pl.col("note").str.len_chars() > MAX_NOTE,
        name,
        "note",
        f"longer than {MAX_NOTE} characters",
    )
    _check(
        frame,
        pl.col("note").str.contains(r"[\x00-\x08\x0b-\x1f\x7f]"),
        name,
        "note",
        "contains control characters",
    )


def _typed(frame: pl.DataFrame, name: str, year: int) -> pl.DataFrame:
    raw = frame.select(
        pl.col(c).alias(f"raw_{c}") for c in ("period_start", "period_end", "scope", "quantity")
    )
    typed = pl.concat([frame, raw], how="horizontal").with_columns(
        pl.col("period_start").str.to_date("%Y-%m-%d", strict=False),
        pl.col("period_end").str.to_date("%Y-%m-%d", strict=False),
        pl.col("scope").cast(pl.Int8, strict=False),
        pl.col("quantity").cast(pl.Float64, strict=False),
    )
    for column in ("period_start", "period_end"):
        bad = pl.col(column).is_null() | ~pl.col(f"raw_{column}").str.contains(ISO_DATE)
        _check(typed, bad, name, column, "not a date YYYY-MM-DD", f"raw_{column}")
    _check(
        typed,
        pl.col("period_end") < pl.col("period_start"),
        name,
        "period_end",
        "the period ends before it starts",
    )
    outside = (pl.col("period_start").dt.year() != year) | (pl.col("period_end").dt.year() != year)
    _check(
        typed, outside, name, "period_start", f"the period is not inside the inventory year {year}"
    )
    _check(
        typed,
        pl.col("scope").is_null() | ~pl.col("scope").is_in([1, 2, 3]),
        name,
        "scope",
        "must be 1, 2 or 3",
        "raw_scope",
    )
    quantity = pl.col("quantity")
    _check(
        typed,
        quantity.is_null() | quantity.is_nan() | quantity.is_infinite(),
        name,
        "quantity",
        "not a finite number",
        "raw_quantity",
    )
    _check(
        typed,
        quantity < 0,
        name,
        "quantity",
        "is negative; a quantity is what was used: correct a record in a new version instead",
    )
    _check(typed, quantity > MAX_QUANTITY, name, "quantity", f"larger than {MAX_QUANTITY:g}")
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
