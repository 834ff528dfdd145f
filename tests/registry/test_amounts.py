"""Amounts: decimal strings at the edge, exact integers of the smallest unit inside."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecocredit.errors import InvalidParameter, PrecisionExceeded
from ecocredit.registry.amounts import MAX_UNITS, format_amount, parse_amount

precisions = st.integers(0, 9)


@given(st.integers(1, MAX_UNITS), precisions)
def test_format_then_parse_gives_back_the_units(units: int, precision: int) -> None:
    text = format_amount(units, precision)
    assert parse_amount(text, precision) == units
    assert Decimal(text) == Decimal(units).scaleb(-precision)  # exact, no float on the way


@given(st.integers(0, MAX_UNITS), precisions)
def test_format_is_the_shortest_exact_decimal(units: int, precision: int) -> None:
    text = format_amount(units, precision)
    assert not text.endswith(".")
    if "." in text:
        assert not text.endswith("0")
        assert len(text.split(".")[1]) <= precision
    assert text.lstrip("0") != "" or units == 0


@given(
    st.integers(0, 10**9),
    st.text(alphabet="0123456789", max_size=6),
    st.integers(0, 9),
)
def test_parse_then_format_normalises_the_decimal(whole: int, digits: str, extra: int) -> None:
    precision = 6
    text = f"{whole}.{digits}{'0' * extra}" if digits or extra else str(whole)
    if Decimal(text) == 0:
        return
    units = parse_amount(text, precision)
    assert Decimal(format_amount(units, precision)) == Decimal(text)


def test_examples_of_credit_type_c() -> None:
    assert parse_amount("1", 6) == 1_000_000
    assert parse_amount("1.5", 6) == 1_500_000
    assert parse_amount("0.000001", 6) == 1  # one gram of CO2e
    assert parse_amount("600.000000", 6) == 600_000_000  # zeros beyond nothing are not rounding
    assert parse_amount(" 2.25 ", 6) == 2_250_000
    assert format_amount(1, 6) == "0.000001"
    assert format_amount(1_500_000, 6) == "1.5"
    assert format_amount(600_000_000, 6) == "600"
    assert format_amount(7, 0) == "7"


def test_more_decimals_than_the_precision_is_refused_naming_the_precision() -> None:
    with pytest.raises(PrecisionExceeded) as caught:
        parse_amount("1.0000001", 6)
    err = caught.value
    assert err.code == "precision_exceeded"
    assert err.field == "amount"
    assert "7 decimal places" in err.message
    assert "precision is 6" in err.message
    with pytest.raises(PrecisionExceeded, match="precision is 0"):
        parse_amount("3.5", 0, "recipients[0].amount")


@given(precisions, st.integers(1, 5), st.integers(0, 10**6))
def test_any_significant_digit_beyond_the_precision_is_refused(
    precision: int, beyond: int, whole: int
) -> None:
    text = f"{whole}." + "0" * (precision + beyond - 1) + "1"
    with pytest.raises(PrecisionExceeded) as caught:
        parse_amount(text, precision, "verified")
    assert f"precision is {precision}" in caught.value.message
    assert caught.value.field == "verified"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("0", "must be more than zero"),
        ("0.000000", "must be more than zero"),
        ("-1", "not a plain decimal number"),
        ("+1", "not a plain decimal number"),
        ("1e3", "not a plain decimal number"),
        ("1,5", "not a plain decimal number"),
        (".5", "not a plain decimal number"),
        ("1.", "not a plain decimal number"),
        ("", "not a plain decimal number"),
        ("NaN", "not a plain decimal number"),
        ("9007199254.740992", "too large: at most 9007199254.740991"),
    ],
)
def test_malformed_zero_and_too_large_amounts_are_refused(text: str, says: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_amount(text, 6, "amount")
    assert caught.value.code == "invalid_parameter"
    assert caught.value.field == "amount"
    assert says in caught.value.message


def test_zero_is_accepted_where_asked_for() -> None:
    assert parse_amount("0", 6, zero=True) == 0


def test_a_float_is_not_an_amount() -> None:
    with pytest.raises(InvalidParameter, match="decimal string"):
        parse_amount(1.5, 6)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["１０", "٣", "10\u0661"])
def test_only_ascii_digits_make_an_amount(text: str) -> None:
    # "A plain decimal such as 1.5": fullwidth or Arabic-Indic digits are not one, and a
    # payout file that carries them must be refused, not read as some other number.
    with pytest.raises(InvalidParameter, match="not a plain decimal number"):
        parse_amount(text, 6)
