"""Query filters without a database: strict parameters, pages, dates and times."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecocredit.errors import InvalidParameter
from ecocredit.registry import filters
from ecocredit.registry.filters import (
    BatchFilter,
    CancellationFilter,
    ClassFilter,
    Format,
    HoldingFilter,
    NoFilter,
    Page,
    ProjectFilter,
    RetirementFilter,
)
from ecocredit.registry.model import BlockState, ProjectStatus, ReasonCode


def _parse(of: type[filters.F], /, **params: str) -> filters.Listing[filters.F]:
    return filters.parse_listing(of, params.items())


def _refused(of: type[filters.Filter], /, **params: str) -> InvalidParameter:
    with pytest.raises(InvalidParameter) as caught:
        filters.parse_listing(of, params.items())
    return caught.value


def test_defaults_are_the_first_100_as_json() -> None:
    listing = _parse(ProjectFilter)
    assert listing.page == Page(100, 0)
    assert listing.format is Format.JSON
    assert listing.filter == ProjectFilter()


def test_an_unknown_parameter_is_refused_by_name() -> None:
    error = _refused(RetirementFilter, beneficary="alice")  # a typo must not widen the query
    assert error.field == "beneficary"
    assert "beneficiary" in error.message  # the message lists what is accepted


def test_a_filter_of_another_list_is_unknown_here() -> None:
    assert _refused(CancellationFilter, reason_code="voluntary").field == "reason_code"
    assert _refused(NoFilter, credit_type="C").field == "credit_type"


def test_a_parameter_given_twice_is_refused() -> None:
    with pytest.raises(InvalidParameter) as caught:
        filters.parse_listing(BatchFilter, [("project", "C01-001"), ("project", "C01-002")])
    assert caught.value.field == "project"


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "ten", "1.5", "", "١٠"])
def test_limit_outside_1_to_1000_is_refused(limit: str) -> None:
    if limit == "":  # an empty value is "not given": the default applies
        assert _parse(ClassFilter, limit=limit).page.limit == 100
        return
    assert _refused(ClassFilter, limit=limit).field == "limit"


@given(st.integers(min_value=1, max_value=1000), st.integers(min_value=0, max_value=10**12))
def test_every_limit_in_range_and_any_offset_is_accepted(limit: int, offset: int) -> None:
    listing = _parse(ClassFilter, limit=str(limit), offset=str(offset))
    assert listing.page == Page(limit, offset)


def test_negative_offset_is_refused() -> None:
    assert _refused(ClassFilter, offset="-5").field == "offset"


def test_format_is_json_or_csv() -> None:
    assert _parse(BatchFilter, format="csv").format is Format.CSV
    assert _refused(BatchFilter, format="xlsx").field == "format"


def test_project_filter_reads_class_jurisdiction_and_status() -> None:
    got = _parse(ProjectFilter, class_id="C01", jurisdiction="CN-NM", status="registered")
    assert got.filter == ProjectFilter("C01", "CN-NM", ProjectStatus.REGISTERED)
    assert _refused(ProjectFilter, status="approved").field == "status"
    assert _refused(ProjectFilter, jurisdiction="China").field == "jurisdiction"
    assert _refused(ProjectFilter, class_id="c01").field == "class_id"


def test_batch_vintage_dates_must_be_calendar_dates_in_order() -> None:
    got = _parse(BatchFilter, vintage_from="2026-01-01", vintage_to="2026-12-31").filter
    assert (got.vintage_from, got.vintage_to) == (date(2026, 1, 1), date(2026, 12, 31))
    assert _refused(BatchFilter, vintage_from="2026-02-30").field == "vintage_from"
    assert _refused(BatchFilter, vintage_to="31/12/2026").field == "vintage_to"
    error = _refused(BatchFilter, vintage_from="2027-01-01", vintage_to="2026-12-31")
    assert error.field == "vintage_from"


def test_until_a_date_covers_the_whole_day_in_utc() -> None:
    got = _parse(RetirementFilter, since="2026-03-01", until="2026-03-01").filter
    assert got.since == datetime(2026, 3, 1, tzinfo=UTC)
    assert got.before == datetime(2026, 3, 2, tzinfo=UTC)


def test_datetimes_with_an_offset_are_converted_to_utc() -> None:
    # Beijing time 08:00 is midnight UTC; "until" includes its own instant.
    got = _parse(
        RetirementFilter, since="2026-03-01T08:00:00+08:00", until="2026-03-01T12:00:00Z"
    ).filter
    assert got.since == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert got.before == datetime(2026, 3, 1, 12, 0, 0, 1, tzinfo=UTC)


def test_naive_datetimes_are_utc() -> None:
    got = _parse(RetirementFilter, since="2026-03-01T10:30:00").filter
    assert got.since == datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-03-01T25:00", "9999-12-31"])
def test_bad_or_unrepresentable_times_are_refused(value: str) -> None:
    assert _refused(RetirementFilter, until=value).field == "until"


def test_since_after_until_is_refused() -> None:
    error = _refused(RetirementFilter, since="2026-04-01", until="2026-03-01")
    assert error.field == "since"


def test_retirement_filter_reads_reason_code_holder_batch_beneficiary() -> None:
    got = _parse(
        RetirementFilter,
        reason_code="corsia",
        holder="alice",
        batch="C01-001-20260101-20261231-001",
        beneficiary="Delta Air Lines, Inc.",
    ).filter
    assert got.reason_code is ReasonCode.CORSIA
    assert got.holder == "alice"
    assert got.batch == "C01-001-20260101-20261231-001"
    assert got.beneficiary == "Delta Air Lines, Inc."
    assert _refused(RetirementFilter, reason_code="charity").field == "reason_code"
    assert _refused(RetirementFilter, batch="C01-001").field == "batch"
    assert _refused(RetirementFilter, beneficiary="a\x00b").field == "beneficiary"


def test_cancellation_kinds_and_holding_states() -> None:
    assert _parse(CancellationFilter, kind="reversal").filter.kind == "reversal"
    assert _refused(CancellationFilter, kind="retired").field == "kind"
    assert _parse(HoldingFilter, state="buffer").filter.state is BlockState.BUFFER
    assert _refused(HoldingFilter, state="burnt").field == "state"


def test_credit_type_filter_checks_the_abbreviation() -> None:
    assert _parse(ClassFilter, credit_type="C").filter == ClassFilter("C")
    assert _refused(ClassFilter, credit_type="carbon").field == "credit_type"


def test_empty_values_mean_any() -> None:
    assert _parse(ProjectFilter, status="", jurisdiction="").filter == ProjectFilter()


def test_every_list_accepts_the_page_and_format() -> None:
    for kind in (NoFilter, ClassFilter, ProjectFilter, BatchFilter, RetirementFilter):
        names = {p.name for p in filters.allowed(kind)}
        assert {"limit", "offset", "format"} <= names
