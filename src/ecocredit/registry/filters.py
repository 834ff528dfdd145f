"""Query filters of the registry's lists: small, pure objects, each testable without a database.

A list request is a filter, a page and a format. Parsing is strict: a parameter the list does
not know, or one given twice, is refused naming it (a typo must never widen a query silently);
an empty value counts as not given, so that an HTML form's "any" choice works. Each filter
declares its parameters once (:class:`Param`), which is what the API documents and checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import ClassVar, Generic, Self, TypeVar

from ecocredit.errors import InvalidParameter
from ecocredit.registry import ids
from ecocredit.registry.model import BlockState, ProjectStatus, ReasonCode

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 2**53 - 1
MAX_ACCOUNT_NAME = 64
MAX_BENEFICIARY = 200
CANCELLATION_KINDS = ("holder", "reversal")


class Format(StrEnum):
    """How a list is rendered."""

    JSON = "json"
    CSV = "csv"


@dataclass(frozen=True)
class Param:
    """One query parameter: its name, what it means, its kind and, for a choice, its values.

    ``kind`` is ``text``, ``date`` (YYYY-MM-DD), ``moment`` (a date or an ISO datetime),
    ``integer`` (within ``bounds``) or ``choice``.
    """

    name: str
    description: str
    kind: str = "text"
    choices: tuple[str, ...] = ()
    bounds: tuple[int, int] = (0, 0)


PAGE_PARAMS = (
    Param(
        "limit",
        f"Items per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
        "integer",
        bounds=(1, MAX_LIMIT),
    ),
    Param("offset", "Items to skip (default 0).", "integer", bounds=(0, MAX_OFFSET)),
    Param("format", "json (default) or csv.", "choice", tuple(f.value for f in Format)),
)


@dataclass(frozen=True)
class Page:
    """Which slice of a list: at most ``limit`` items after skipping ``offset``."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Page:
        """Read ``limit`` (1..1000) and ``offset`` (0 or more)."""
        limit = _integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        return cls(limit, _integer(params, "offset", 0, 0, MAX_OFFSET))


class Filter:
    """Base of the filters: the parameters a list accepts besides the page and format."""

    PARAMS: ClassVar[tuple[Param, ...]] = ()

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Self:
        """Build the filter from query parameters already checked to be known."""
        raise NotImplementedError


F = TypeVar("F", bound=Filter)


@dataclass(frozen=True)
class Listing(Generic[F]):
    """A parsed list request."""

    filter: F
    page: Page
    format: Format


def allowed(kind: type[Filter]) -> tuple[Param, ...]:
    """Every parameter a list with filter ``kind`` accepts, the page's included."""
    return kind.PARAMS + PAGE_PARAMS


def collect(items: Iterable[tuple[str, str]], names: Iterable[str]) -> dict[str, str]:
    """Query parameters as a dict; refuse one that is unknown or given twice, naming it.

    Empty values are dropped: a form's blank field means "any".
    """
    known = set(names)
    found: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in items:
        if name not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise InvalidParameter(
                f"unknown query parameter {name!r}; this endpoint accepts: {listed}", field=name
            )
        if name in seen:
            raise InvalidParameter(f"query parameter {name!r} is given twice", field=name)
        seen.add(name)
        if value != "":
            found[name] = value
    return found


def parse_listing(kind: type[F], items: Iterable[tuple[str, str]]) -> Listing[F]:
    """Parse a list request: the filter of ``kind``, the page and the format."""
    params = collect(items, (p.name for p in allowed(kind)))
    fmt = Format(_choice(params, "format", tuple(f.value for f in Format)) or Format.JSON)
    return Listing(kind.parse(params), Page.parse(params), fmt)


@dataclass(frozen=True)
class NoFilter(Filter):
    """A list without filters (the credit types)."""

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Self:
        """Nothing to read."""
        return cls()


@dataclass(frozen=True)
class ClassFilter(Filter):
    """Classes of one credit type."""

    PARAMS = (Param("credit_type", "Credit type abbreviation, such as C."),)
    credit_type: str | None = None

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Self:
        """Read ``credit_type``."""
        return cls(_id(params, "credit_type", ids.CREDIT_TYPE, "C"))


@dataclass(frozen=True)
class ProjectFilter(Filter):
    """Projects by class, jurisdiction and status.

    A jurisdiction matches itself and everything inside it: ``CN`` finds ``CN-NM`` projects.
    """

    PARAMS = (
        Param("class_id", "Credit class, such as C01."),
        Param("jurisdiction", "ISO 3166 code such as CN or CN-NM; CN includes CN-NM."),
        Param("status", "Project status.", "choice", tuple(s.value for s in ProjectStatus)),
    )
    class_id: str | None = None
    jurisdiction: str | None = None
    status: ProjectStatus | None = None

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Self:
        """Read ``class_id``, ``jurisdiction`` and ``status``."""
        where = params.get("jurisdiction")
        status = _choice(params, "status", tuple(s.value for s in ProjectStatus))
        return cls(
            _id(params, "class_id", ids.CLASS, "C01"),
            None if where is None else ids.check_jurisdiction(where),
            None if status is None else ProjectStatus(status),
        )


@dataclass(frozen=True)
class BatchFilter(Filter):
    """Batches by class, project and vintage: the vintage lies within the dates given."""

    PARAMS = (
        Param("class_id", "Credit class, such as C01."),
        Param("project", "Project, such as C01-001."),
        Param("vintage_from", "Vintage starts on or after this date (YYYY-MM-DD).", "date"),
        Param("vintage_to", "Vintage ends on or before this date (YYYY-MM-DD).", "date"),
    )
    class_id: str | None = None
    project: str | None = None
    vintage_from: date | None = None
    vintage_to: date | None = None

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Self:
        """Read ``class_id``, ``project``, ``vintage_from`` and ``vintage_to``."""
        first, last = _date(params, "vintage_from"), _date(params, "vintage_to")
        if first is not None and last is not None and first > last:
            raise InvalidParameter(
                f"vintage_from {first} is after vintage_to {last}", field="vintage_from"
            )
        return cls(
            _id(params, "class_id", ids.CLASS, "C01"),
            _id(params, "project", ids.PROJECT, "C01-001"),
            first,
            last,
        )


@dataclass(frozen=True)
class RetirementFilter(Filter):
    """Retirements by beneficiary, batch, time, reason and holder.

    ``since`` is inclusive and ``before`` exclusive, both in UTC. ``until`` given as a date
    means the whole of that day; given as a datetime, up to and including that instant.
    A beneficiary is an account name or an entity name (matched however it is spelled).
    """

    PARAMS = (
        Param("beneficiary", "Beneficiary: an account name or an entity name."),
        Param("batch", "Batch, such as C01-001-20260101-20261231-001."),
        Param(
            "since", "Retired at or after this date or ISO datetime (UTC if no offset).", "moment"
        ),
        Param("until", "Retired on or before this date or ISO datetime.", "moment"),
        Param("reason_code", "Reason code.", "choice", tuple(c.value for c in ReasonCode)),
        Param("holder", "Account that held and retired the credits."),
    )
    beneficiary: str | None = None
    batch: str | None = None
    since: datetime | None = None
    before: datetime | None = None
    reason_code: ReasonCode | None = None
    holder: str | None = None

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Self:
        """Read the parameters; ``since`` must not be after ``until``."""
        since, before = _moment(params, "since", end=False), _moment(params, "until", end=True)
        if since is not None and before is not None and since >= before:
            raise InvalidParameter(
                f"since {params['since']} is after until {params['until']}", field="since"
            )
        code = _choice(params, "reason_code", tuple(c.value for c in ReasonCode))
        beneficiary = params.get("beneficiary")
        if beneficiary is not None:
            beneficiary = ids.check_text(
                beneficiary, "beneficiary", required=True, limit=MAX_BENEFICIARY
            )
        return cls(
            beneficiary,
            _id(params, "batch", ids.BATCH, "C01-001-20260101-20261231-001"),
            since,
            before,
            None if code is None else ReasonCode(code),
            _account(params, "holder"),
        )


@dataclass(frozen=True)
class CancellationFilter(Filter):
    """Cancellations by batch and kind (``holder``: withdrawn by a holder; ``reversal``)."""

    PARAMS = (
        Param("batch", "Batch, such as C01-001-20260101-20261231-001."),
        Param("kind", "holder or reversal (buffer credits).", "choice", CANCELLATION_KINDS),
    )
    batch: str | None = None
    kind: str | None = None

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Self:
        """Read ``batch`` and ``kind``."""
        return cls(
            _id(params, "batch", ids.BATCH, "C01-001-20260101-20261231-001"),
            _choice(params, "kind", CANCELLATION_KINDS),
        )


@dataclass(frozen=True)
class HoldingFilter(Filter):
    """An account's holdings by batch and state."""

    PARAMS = (
        Param("batch", "Batch, such as C01-001-20260101-20261231-001."),
        Param("state", "Block state.", "choice", tuple(s.value for s in BlockState)),
    )
    batch: str | None = None
    state: BlockState | None = None

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Self:
        """Read ``batch`` and ``state``."""
        state = _choice(params, "state", tuple(s.value for s in BlockState))
        return cls(
            _id(params, "batch", ids.BATCH, "C01-001-20260101-20261231-001"),
            None if state is None else BlockState(state),
        )


def _integer(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or len(text) > len(str(high)):
        raise InvalidParameter(f"{name} {text!r} must be a whole number {low}-{high}", field=name)
    value = int(text)
    if not low <= value <= high:
        raise InvalidParameter(f"{name} {value} must be between {low} and {high}", field=name)
    return value


def _choice(params: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str | None:
    value = params.get(name)
    if value is not None and value not in choices:
        raise InvalidParameter(f"{name} {value!r} is not one of: {', '.join(choices)}", field=name)
    return value


def _id(params: Mapping[str, str], name: str, pattern: re.Pattern[str], example: str) -> str | None:
    value = params.get(name)
    return None if value is None else ids.check(pattern, value, name, example)


def _account(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is not None and (len(value) > MAX_ACCOUNT_NAME or not value.isprintable()):
        raise InvalidParameter(f"{name} is not an account name", field=name)
    return value


def _date(params: Mapping[str, str], name: str) -> date | None:
    value = params.get(name)
    return None if value is None else ids.check_date(value, name)


def _moment(params: Mapping[str, str], name: str, *, end: bool) -> datetime | None:
    """A date or datetime as a UTC bound; an end bound is exclusive, so it is moved past."""
    value = params.get(name)
    if value is None:
        return None
    if len(value) == 10:
        moment = datetime.combine(ids.check_date(value, name), time(), UTC)
        step = timedelta(days=1)
    else:
        # Stored times have microsecond resolution: "up to and including" is "before + 1 µs".
        moment, step = _datetime(value, name), timedelta(microseconds=1)
    try:
        return moment + step if end else moment
    except OverflowError:
        raise InvalidParameter(
            f"{name} {value} is past the last representable time", field=name
        ) from None


def _datetime(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidParameter(
            f"{name} {value!r} is not a date YYYY-MM-DD or an ISO datetime such as "
            "2026-03-01T08:00:00+08:00",
            field=name,
        ) from None
