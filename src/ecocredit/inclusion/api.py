"""HTTP API of carbon inclusion: programmes, actions, points, reviews, credits and the dashboard.

Reads need no key: programmes with their rules and rewards, the dashboard, the methodology
catalogue, a participant's points, and a period's verification document. Writes need an
account with the role ``operator`` (or the admin), and only a programme's own operator writes
to it; each write is one transaction with its log entry. An action's idempotency key is its
own ``key`` (or the ``Idempotency-Key`` header): a retried submission gets the first answer.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal, Role
from ecocredit.api_deps import ReadSession, RuntimeDep, read_body, require
from ecocredit.errors import EntryTooLarge, InvalidParameter
from ecocredit.idempotency import run_once
from ecocredit.inclusion import service
from ecocredit.inclusion.ops.actions import FIRST_DAY, LAST_DAY, check_day, check_time
from ecocredit.inclusion.ops.programmes import require_operator
from ecocredit.runtime import Runtime

router = APIRouter(prefix="/v1/inclusion", tags=["inclusion"])
Operator = Annotated[Principal, Depends(require(Role.OPERATOR, Role.ADMIN))]
MAX_EVIDENCE = 20 * 1024 * 1024  # decoded bytes: the photo decoder's own limit
MAX_ACTION_BODY = MAX_EVIDENCE * 4 // 3 + 64 * 1024  # base64 of that, plus the other fields
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A parameter or field is invalid; the body names it."},
    404: {"description": "No such programme, participant, reward or action."},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"description": "No valid API key."},
    403: {"description": "The caller does not run this programme."},
    409: {"description": "Clashes with the current state (a taken code, short balance, stock)."},
    503: {"description": "The outcome of the commit is unknown or the database is not ready."},
}
Code = Annotated[str, Path(max_length=64, pattern=CODE_PATTERN, description="Programme code.")]
Slug = Annotated[str, Path(max_length=64, pattern=CODE_PATTERN)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]
Identifier = Annotated[str, Field(max_length=64, pattern=CODE_PATTERN)]
Count = Annotated[int, Field(ge=1, le=10**9)]
DAY_RANGE = f"from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"
TIME_RANGE = f"in UTC {DAY_RANGE}"


def _done(runtime: Runtime, work: Callable[[Session], Any]) -> Any:
    """Run one write and sign a checkpoint over it."""
    result = runtime.db.write(work)
    runtime.sign_checkpoint()
    return result


@router.get("/programmes")
def programmes(session: ReadSession) -> list[dict[str, Any]]:
    """Every programme with its operator, ownership and methodologies."""
    return service.programme_list(session)


class RuleIn(BaseModel):
    """How one methodology's reductions become points: per action, or grams per point."""

    model_config = ConfigDict(extra="forbid")
    methodology: str = Field(max_length=64)
    version: str | None = Field(default=None, max_length=16, description="None: the latest.")
    points_per_action: Count | None = None
    grams_per_point: Count | None = None
    max_actions_per_day: Count | None = None
    max_points_per_day: Count | None = None


class LimitsIn(BaseModel):
    """A programme's limits on actions."""

    model_config = ConfigDict(extra="forbid")
    max_age_days: int = Field(default=7, ge=1, le=3650)
    clock_skew_minutes: int = Field(default=5, ge=0, le=1440)
    velocity_window_minutes: int = Field(default=10, ge=1, le=1440)
    velocity_max: int = Field(default=5, ge=1, le=10_000)


class ProgrammeIn(BaseModel):
    """A new programme run by the caller."""

    model_config = ConfigDict(extra="forbid")
    code: Identifier
    name: str = Field(min_length=1, max_length=200)
    ownership: Literal["participant", "operator"] = "participant"
    validity_days: int = Field(default=3652, ge=1, le=3652)
    rules: list[RuleIn] = Field(min_length=1, max_length=50)
    limits: LimitsIn = Field(default_factory=LimitsIn)


def programme_spec(body: ProgrammeIn) -> service.Programme:
    """The service's programme from the request body (the CLI's TOML has the same shape)."""
    limits = service.Limits(
        max_age=dt.timedelta(days=body.limits.max_age_days),
        clock_skew=dt.timedelta(minutes=body.limits.clock_skew_minutes),
        velocity_window=dt.timedelta(minutes=body.limits.velocity_window_minutes),
        velocity_max=body.limits.velocity_max,
    )
    rules = [
        (service.PointRule(**r.model_dump(exclude={"version"})), r.version) for r in body.rules
    ]
    return service.Programme(
        body.code, body.name, body.ownership, body.validity_days, rules, limits
    )


@router.post("/programmes", responses=WRITE_ERRORS, status_code=201)
def create_programme(runtime: RuntimeDep, caller: Operator, body: ProgrammeIn) -> dict[str, Any]:
    """Create a programme with its point rules and limits; the caller runs it."""
    spec = programme_spec(body)
    _done(runtime, lambda s: service.create_programme(s, spec, caller))
    with runtime.db.read() as session:
        return service.programme(session, body.code)


@router.get("/programmes/{code}", responses=ERRORS)
def programme(session: ReadSession, code: Code) -> dict[str, Any]:
    """A programme: rules, limits, rewards with their stock, and the review queue's size."""
    return service.programme(session, code)


@router.get("/programmes/{code}/dashboard", responses=ERRORS)
def programme_dashboard(session: ReadSession, code: Code) -> dict[str, Any]:
    """What the programme achieved: totals and per local day (UTC+8)."""
    return service.dashboard(session, code)


@router.get("/dashboard")
def dashboard(session: ReadSession) -> dict[str, Any]:
    """What every programme achieved together, and each one: totals and per local day."""
    return service.dashboard(session)


@router.get("/methodologies")
def methodologies() -> list[dict[str, Any]]:
    """The methodology catalogue: every version with its parameters, bounds and sources."""
    return service.methodology_list()


@router.get("/programmes/{code}/participants/{participant}", responses=ERRORS)
def participant(session: ReadSession, code: Code, participant: Slug) -> dict[str, Any]:
    """A participant of the programme: balance, grants, newest actions and redemptions."""
    return service.participant(session, code, participant)


class RewardIn(BaseModel):
    """A reward of the catalogue: its name, price in points and stock."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    points: Count
    stock: int = Field(ge=0, le=10**9)


@router.put("/programmes/{code}/rewards/{reward}", responses=WRITE_ERRORS)
def set_reward(
    runtime: RuntimeDep, caller: Operator, code: Code, reward: Slug, body: RewardIn
) -> dict[str, Any]:
    """Add a reward, or change its price or stock."""
    _done(
        runtime,
        lambda s: service.set_reward(s, code, reward, body.name, body.points, body.stock, caller),
    )
    return {"programme": code, "reward": reward} | body.model_dump()


class ActionIn(BaseModel):
    """One participant's action as the operator's app submits it; evidence in base64."""

    model_config = ConfigDict(extra="forbid")
    participant: Identifier
    key: str | None = Field(default=None, min_length=1, max_length=128)
    methodology: str = Field(max_length=64)
    at: dt.datetime = Field(description=f"When it happened, with its offset; {TIME_RANGE}.")
    inputs: dict[str, Any] = Field(max_length=20)
    evidence: str = Field(min_length=1, description="The photo, slip or trip record, base64.")
    evidence_kind: Literal["photo", "slip", "trip"] = "photo"


ACTION_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": ActionIn.model_json_schema()}},
    }
}


def _evidence(text: str) -> bytes:
    if len(text) > MAX_EVIDENCE * 4 // 3 + 4:
        raise EntryTooLarge(f"evidence: at most {MAX_EVIDENCE} bytes", field="evidence")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidParameter("evidence: not valid base64", field="evidence") from exc
    if not data:
        raise InvalidParameter("evidence: empty", field="evidence")
    return data


def _action(body: bytes, header_key: str | None) -> service.Action:
    try:
        parsed = ActionIn.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
    key = parsed.key or header_key
    if key is None:
        raise InvalidParameter("key: give the action's key or an Idempotency-Key", field="key")
    if parsed.key and header_key and parsed.key != header_key:
        raise InvalidParameter("Idempotency-Key differs from key", field="Idempotency-Key")
    # Checked before the conversion: a time near year 1 or 9999 would overflow it.
    at = check_time(parsed.at, "at").astimezone(dt.UTC)  # stored in UTC, whatever zone was sent
    evidence = _evidence(parsed.evidence)
    return service.Action(
        parsed.participant, key, parsed.methodology, at, parsed.inputs, evidence,
        parsed.evidence_kind,
    )  # fmt: skip


@router.post("/programmes/{code}/actions", responses=WRITE_ERRORS, openapi_extra=ACTION_BODY)
async def submit_action(
    request: Request, runtime: RuntimeDep, caller: Operator, code: Code, key: IdempotencyKey = None
) -> dict[str, Any]:
    """Submit one action: it is decided (accepted, rejected or held) and earns its points."""
    action = _action(await read_body(request, MAX_ACTION_BODY), key)
    result: dict[str, Any] = _done(runtime, lambda s: service.submit(s, code, action, caller))
    return result


class RedemptionIn(BaseModel):
    """A participant redeems points for a reward."""

    model_config = ConfigDict(extra="forbid")
    participant: Identifier
    reward: Identifier
    quantity: int = Field(default=1, ge=1, le=1000)


def _once(
    runtime: Runtime, caller: Principal, key: str | None, signature: Any,
    work: Callable[[Session], Any],
) -> Any:  # fmt: skip
    """A write that a retry with the same ``Idempotency-Key`` does not repeat."""
    return _done(runtime, lambda s: run_once(s, caller, key, signature, lambda: (200, work(s)))[1])


@router.post("/programmes/{code}/redemptions", responses=WRITE_ERRORS)
def redeem(
    runtime: RuntimeDep,
    caller: Operator,
    code: Code,
    body: RedemptionIn,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Redeem points for a reward; refused whole when points or stock are short."""
    signature = {"redeem": code} | body.model_dump()
    return dict(_once(runtime, caller, key, signature, lambda s: service.redeem(
        s, code, body.participant, body.reward, body.quantity, caller)))  # fmt: skip


@router.post("/programmes/{code}/expiry", responses=WRITE_ERRORS)
def expire(runtime: RuntimeDep, caller: Operator, code: Code) -> dict[str, Any]:
    """Expire every grant of the programme past its day."""
    points = _done(runtime, lambda s: service.expire(s, code, caller))
    return {"programme": code, "expired_points": points}


@router.get("/programmes/{code}/review", responses=WRITE_ERRORS)
def review_queue(
    runtime: RuntimeDep,
    caller: Operator,
    code: Code,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Actions held for review, oldest first (the programme's operator only)."""
    with runtime.db.read() as session:
        require_operator(session, caller, code)
        return service.queue(session, code, limit)


class DecisionIn(BaseModel):
    """The operator's decision on a held action."""

    model_config = ConfigDict(extra="forbid")
    decision: Literal["accept", "reject"]
    note: str = Field(min_length=1, max_length=300)


@router.post("/programmes/{code}/review/{action}", responses=WRITE_ERRORS)
def decide(
    runtime: RuntimeDep,
    caller: Operator,
    code: Code,
    action: Annotated[int, Path(ge=1, le=2**62)],
    body: DecisionIn,
) -> dict[str, Any]:
    """Accept (it earns its points) or reject a held action, with a note."""
    accept = body.decision == "accept"
    return dict(
        _done(runtime, lambda s: service.decide_held(s, code, action, accept, body.note, caller))
    )


Day = Annotated[dt.date, Query(description=f"A local day (UTC+8), YYYY-MM-DD; {DAY_RANGE}.")]


@router.get("/programmes/{code}/credits/document", responses=ERRORS)
def credit_document(session: ReadSession, code: Code, start: Day, end: Day) -> dict[str, Any]:
    """The verification document of the period's uncredited reductions, with its SHA-256."""
    check_day(start, "start")
    check_day(end, "end")
    return service.aggregate(session, code, start, end)


class CreditsIn(BaseModel):
    """Issue the period's reductions as the batch of a verified report."""

    model_config = ConfigDict(extra="forbid")
    start: dt.date = Field(description=f"The period's first local day; {DAY_RANGE}.")
    end: dt.date = Field(description=f"The period's last local day; {DAY_RANGE}.")
    report: str = Field(min_length=1, max_length=64)


@router.post("/programmes/{code}/credits", responses=WRITE_ERRORS, status_code=201)
def issue(runtime: RuntimeDep, caller: Operator, code: Code, body: CreditsIn) -> dict[str, Any]:
    """Issue the batch of a verified report and mark every action it counts."""
    check_day(body.start, "start")
    check_day(body.end, "end")
    result = _done(
        runtime, lambda s: service.issue_credits(s, code, body.start, body.end, body.report, caller)
    )
    return json.loads(json.dumps(result, default=str))  # type: ignore[no-any-return]
