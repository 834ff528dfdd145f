"""Identifiers as the public registries write them, and the checks of what users type."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecocredit.errors import InvalidParameter
from ecocredit.registry import ids


def test_ids_read_like_the_public_registries() -> None:
    assert ids.class_id("C", 1) == "C01"
    assert ids.project_id("C01", 1) == "C01-001"
    batch = ids.batch_id("C01-001", date(2026, 1, 1), date(2026, 12, 31), 1)
    assert batch == "C01-001-20260101-20261231-001"
    assert ids.report_id("C01-001", 1) == "C01-001-R001"


@given(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=3),
    st.integers(1, 10_000),
    st.integers(1, 10_000),
    st.dates(),
    st.dates(),
    st.integers(1, 10_000),
)
def test_every_id_made_matches_its_pattern_and_reads_back(
    abbrev: str, cls: int, project: int, start: date, end: date, seq: int
) -> None:
    class_ = ids.class_id(abbrev, cls)
    match = ids.CLASS.match(class_)
    assert match is not None
    assert (match.group(1), int(match.group(2))) == (abbrev, cls)
    proj = ids.project_id(class_, project)
    match = ids.PROJECT.match(proj)
    assert match is not None
    assert (match.group(1), int(match.group(2))) == (class_, project)
    if start.year >= 1000 and end.year >= 1000:  # eight-digit dates
        batch = ids.batch_id(proj, start, end, seq)
        match = ids.BATCH.match(batch)
        assert match is not None
        assert match.group(1) == proj
        assert (match.group(2), match.group(3)) == (f"{start:%Y%m%d}", f"{end:%Y%m%d}")
        assert int(match.group(4)) == seq
    report = ids.REPORT.match(ids.report_id(proj, seq))
    assert report is not None
    assert (report.group(1), int(report.group(2))) == (proj, seq)


@pytest.mark.parametrize(
    "value", ["CN", "CN-NM", "CN-GD 518000", "US-WA", "CN-11", "KE-110 Nairobi"]
)
def test_jurisdictions_of_iso_3166_are_accepted(value: str) -> None:
    assert ids.check_jurisdiction(value) == value


@pytest.mark.parametrize(
    "value",
    ["cn-nm", "CHN", "CN-", "cn", "C", "CN-NMXX", "CN NM", "CN-nm", "", " CN", "CN-GD ", 86, None],
)
def test_malformed_jurisdictions_are_refused_with_an_example(value: object) -> None:
    with pytest.raises(InvalidParameter) as caught:
        ids.check_jurisdiction(value)
    err = caught.value
    assert err.code == "invalid_parameter"
    assert err.field == "jurisdiction"
    assert repr(value) in err.message  # says what was typed …
    assert "CN-NM" in err.message  # … and what is expected
    assert "ISO 3166-2" in err.message


@pytest.mark.parametrize("value", ["CN\n", "CN-NM\n", "CN-GD 518000\n"])
def test_a_jurisdiction_with_a_trailing_newline_is_refused(value: str) -> None:
    # `$` in a Python regex also matches before a final newline: the check must not let
    # "CN-NM\n" through into a project or a public retirement record.
    with pytest.raises(InvalidParameter):
        ids.check_jurisdiction(value)


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (ids.CLASS, "C01", ["c01", "C1", "C-01", "CO2X1"]),
        (ids.PROJECT, "C01-001", ["C01-01", "C01001", "C01-00A"]),
        (ids.BATCH, "C01-001-20260101-20261231-001", ["C01-001-2026-2026-001", "C01-20190101"]),
        (ids.REPORT, "C01-001-R001", ["C01-001-001", "C01-001-R1"]),
    ],
)
def test_id_patterns(pattern: object, good: str, bad: list[str]) -> None:
    assert ids.check(pattern, good, "id", "X") == good  # type: ignore[arg-type]
    for value in bad:
        with pytest.raises(InvalidParameter, match="is not of the form X"):
            ids.check(pattern, value, "id", "X")  # type: ignore[arg-type]


def test_text_is_checked_for_presence_length_and_control_characters() -> None:
    assert ids.check_text("  moved to another registry ", "reason", required=True) == (
        "moved to another registry"
    )
    assert ids.check_text("", "reason", required=False) == ""
    with pytest.raises(InvalidParameter, match="reason is required"):
        ids.check_text("   ", "reason", required=True)
    with pytest.raises(InvalidParameter, match="513 characters; at most 512"):
        ids.check_text("x" * 513, "reason", required=False)
    with pytest.raises(InvalidParameter, match="control character"):
        ids.check_text("bell\x07", "note", required=False)
    with pytest.raises(InvalidParameter, match="must be text"):
        ids.check_text(5, "note", required=False)


def test_dates_and_periods() -> None:
    assert ids.check_date("2026-02-28", "period_start") == date(2026, 2, 28)
    with pytest.raises(InvalidParameter, match="not a calendar date"):
        ids.check_date("2026-02-30", "period_start")
    with pytest.raises(InvalidParameter, match="not a date YYYY-MM-DD"):
        ids.check_date("28/02/2026", "period_start")
    with pytest.raises(InvalidParameter, match="period_start 2026-12-31 is after period_end"):
        ids.check_period("2026-12-31", "2026-01-01", ("period_start", "period_end"))
