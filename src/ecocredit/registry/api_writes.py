"""The registry's writes over HTTP: one service call per request, one transaction each.

Any valid API key gets in; the service decides whether the caller may act and answers 403
when not. Each write honours an optional ``Idempotency-Key`` header (a retry with the same
key and body returns the first response and changes nothing), then signs a checkpoint if
the rate limit allows, so a new entry's inclusion proof is soon available.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Principal
from ecocredit.api_deps import Caller, RuntimeDep
from ecocredit.errors import EcocreditError
from ecocredit.idempotency import MAX_KEY_LENGTH, run_once
from ecocredit.registry import ids
from ecocredit.registry import service as registry
from ecocredit.registry.model import ReasonCode, RetirementRequest
from ecocredit.runtime import Runtime

router = APIRouter()
log = logging.getLogger("ecocredit")

Operation = Callable[[Session, Principal], dict[str, Any]]
MAX_RECIPIENTS = 100_000  # bigger payouts go through the CLI, which streams them
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "A field is invalid; the body names it."},
    401: {"description": "No valid API key."},
    403: {"description": "The caller's account may not do this."},
    404: {"description": "Something named in the request does not exist."},
    409: {"description": "Clashes with the registry's state, or a reused Idempotency-Key."},
}

Short = Annotated[str, Field(max_length=64)]
Name = Annotated[str, Field(max_length=200)]
Text = Annotated[str, Field(max_length=ids.MAX_TEXT)]
Amount = Annotated[str, Field(max_length=40, description='A decimal string such as "1.5".')]
PathId = Annotated[str, Path(max_length=64)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=MAX_KEY_LENGTH,
        description="Optional: a retry with the same key and body returns the first response.",
    ),
]


class Body(BaseModel):
    """A request body: no unknown fields, no type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True)


class CreditTypeIn(Body):
    """A new credit type; precision is the decimal places of its smallest unit."""

    abbrev: Short
    name: Name
    unit: Name
    precision: int


class ClassIn(Body):
    """A new credit class under a credit type."""

    credit_type: Short
    name: Name
    methodology: Name
    methodology_version: Name
    admin: Short
    issuers: list[Short] = Field(max_length=100)


class IssuersIn(Body):
    """The complete new list of a class's issuers."""

    issuers: list[Short] = Field(max_length=100)


class ProjectIn(Body):
    """A new project under a class; ``admin`` is its developer."""

    class_id: Short
    name: Name
    admin: Short
    jurisdiction: Name
    location: Name
    reference_id: Short = ""
    status: Short = "listed"


class ProjectStatusIn(Body):
    """A project's new status and why."""

    status: Short
    reason: Text


class ReportIn(Body):
    """A verification report: the period, the verified quantity and the document's SHA-256."""

    project: Short
    period_start: Short
    period_end: Short
    verified: Amount
    document_sha256: Short


class RecipientIn(Body):
    """One recipient of an issuance."""

    account: Short
    amount: Amount


class ClaimIn(Body):
    """What a retirement claims: the beneficiary is an account, a named entity, or the holder."""

    jurisdiction: Name
    reason_code: Short = ReasonCode.VOLUNTARY.value
    reason: Text = ""
    beneficiary_account: Short = ""
    beneficiary_name: Name = ""
    note: Text = ""

    def request(self) -> RetirementRequest:
        """The claim as the service takes it."""
        return RetirementRequest(**self.model_dump(include=set(ClaimIn.model_fields)))


class IssueIn(Body):
    """A batch to issue against a report; ``buffer_share`` of it goes to the buffer pool.

    With ``retire``, every recipient's credits are retired on issuance in its name (at most
    10,000 recipients then), each with a retirement and certificate of its own.
    """

    report: Short
    recipients: list[RecipientIn] = Field(max_length=MAX_RECIPIENTS)
    buffer_share: Short = "0"
    reference: Short = ""
    retire: ClaimIn | None = None


class TransferIn(Body):
    """Credits to move to another holder; with ``retire``, retired on receipt."""

    batch: Short
    recipient: Short
    amount: Amount
    retire: ClaimIn | None = None


class RetirementIn(ClaimIn):
    """Credits of the caller's to retire, and the claim."""

    batch: Short
    amount: Amount


class CancellationIn(Body):
    """Credits to cancel without a claim, and why."""

    batch: Short
    amount: Amount
    reason: Text


@dataclass(frozen=True)
class Writer:
    """What every write needs: the runtime, the authenticated caller, its idempotency key."""

    runtime: Runtime
    caller: Principal
    key: str | None

    def run(self, request: dict[str, Any], op: Operation) -> JSONResponse:
        """Run ``op`` once per idempotency key in one transaction; answer 201 with its result.

        ``request`` identifies the request for the idempotency check: the operation's name,
        its path parameters and its body.
        """

        def work(session: Session) -> tuple[int, Any]:
            # Roles as they stand inside the write, not as they stood at authentication.
            caller = accounts.principal(session, self.caller.name)
            return run_once(session, caller, self.key, request, lambda: (201, op(session, caller)))

        # Group commit: concurrent requests share a transaction, each in its own savepoint.
        status, body = self.runtime.db.submit(work)
        _sign(self.runtime)
        return JSONResponse(body, status_code=status)


def _writer(runtime: RuntimeDep, caller: Caller, idempotency_key: IdempotencyKey = None) -> Writer:
    return Writer(runtime, caller, idempotency_key)


Write = Annotated[Writer, Depends(_writer)]


def _sign(runtime: Runtime) -> None:
    """Sign a checkpoint if due; the write has committed whatever happens here."""
    try:
        runtime.sign_checkpoint(min_interval=runtime.settings.checkpoint_interval)
    except (SQLAlchemyError, EcocreditError):
        # Failing the request now would invite a retry of a write that succeeded; the
        # background checkpointer signs on its next round.
        log.exception("signing a checkpoint after a registry write failed")


@router.post("/credit-types", status_code=201, responses=RESPONSES)
def post_credit_type(body: CreditTypeIn, write: Write) -> JSONResponse:
    """Add a credit type (the registry admin)."""
    b = body
    return write.run(
        {"op": "add_credit_type", **b.model_dump()},
        lambda s, c: registry.add_credit_type(s, c, b.abbrev, b.name, b.unit, b.precision),
    )


@router.post("/classes", status_code=201, responses=RESPONSES)
def post_class(body: ClassIn, write: Write) -> JSONResponse:
    """Create the next credit class of a credit type (the registry admin)."""
    b = body
    return write.run(
        {"op": "create_class", **b.model_dump()},
        lambda s, c: registry.create_class(
            s, c, b.credit_type, b.name, b.methodology, b.methodology_version, b.admin, b.issuers
        ),
    )


@router.post("/classes/{class_id}/issuers", status_code=201, responses=RESPONSES)
def post_class_issuers(class_id: PathId, body: IssuersIn, write: Write) -> JSONResponse:
    """Replace a class's issuers (the class admin)."""
    return write.run(
        {"op": "set_class_issuers", "class_id": class_id, **body.model_dump()},
        lambda s, c: registry.set_class_issuers(s, c, class_id, body.issuers),
    )


@router.post("/projects", status_code=201, responses=RESPONSES)
def post_project(body: ProjectIn, write: Write) -> JSONResponse:
    """Create the next project of a class (an issuer of the class)."""
    b = body
    return write.run(
        {"op": "create_project", **b.model_dump()},
        lambda s, c: registry.create_project(
            s, c, b.class_id, b.name, b.admin, b.jurisdiction, b.location, b.reference_id, b.status
        ),
    )


@router.post("/projects/{project}/status", status_code=201, responses=RESPONSES)
def post_project_status(project: PathId, body: ProjectStatusIn, write: Write) -> JSONResponse:
    """Change a project's status (an issuer of its class, or the registry admin)."""
    return write.run(
        {"op": "set_project_status", "project": project, **body.model_dump()},
        lambda s, c: registry.set_project_status(s, c, project, body.status, body.reason),
    )


@router.post("/reports", status_code=201, responses=RESPONSES)
def post_report(body: ReportIn, write: Write) -> JSONResponse:
    """File a verification report (a verifier who does not administer the project)."""
    b = body
    return write.run(
        {"op": "file_report", **b.model_dump()},
        lambda s, c: registry.file_report(
            s, c, b.project, b.period_start, b.period_end, b.verified, b.document_sha256
        ),
    )


@router.post("/batches", status_code=201, responses=RESPONSES)
def post_batch(body: IssueIn, write: Write) -> JSONResponse:
    """Issue a batch against a report to up to 100,000 recipients (an issuer of the class)."""
    pairs = [(r.account, r.amount) for r in body.recipients]
    claim = None if body.retire is None else body.retire.request()
    return write.run(
        {"op": "issue", **body.model_dump()},
        lambda s, c: registry.issue(
            s, c, body.report, pairs, body.buffer_share, body.reference, retire=claim
        ),
    )


@router.post("/transfers", status_code=201, responses=RESPONSES)
def post_transfer(body: TransferIn, write: Write) -> JSONResponse:
    """Transfer tradable credits to another holder, optionally retiring them on receipt."""
    claim = None if body.retire is None else body.retire.request()
    return write.run(
        {"op": "transfer", **body.model_dump()},
        lambda s, c: registry.transfer(s, c, body.batch, body.recipient, body.amount, claim),
    )


@router.post("/retirements", status_code=201, responses=RESPONSES)
def post_retirement(body: RetirementIn, write: Write) -> JSONResponse:
    """Retire the caller's tradable credits for a beneficiary; final."""
    claim = body.request()
    return write.run(
        {"op": "retire", **body.model_dump()},
        lambda s, c: registry.retire(s, c, body.batch, body.amount, claim),
    )


@router.post("/cancellations", status_code=201, responses=RESPONSES)
def post_cancellation(body: CancellationIn, write: Write) -> JSONResponse:
    """Cancel the caller's tradable credits without a claim (moved away, withdrawn)."""
    return write.run(
        {"op": "cancel", **body.model_dump()},
        lambda s, c: registry.cancel(s, c, body.batch, body.amount, body.reason),
    )


@router.post("/buffer-cancellations", status_code=201, responses=RESPONSES)
def post_buffer_cancellation(body: CancellationIn, write: Write) -> JSONResponse:
    """Cancel buffer-pool credits of a batch to cover a reversal (the registry admin)."""
    return write.run(
        {"op": "cancel_buffer", **body.model_dump()},
        lambda s, c: registry.cancel_buffer(s, c, body.batch, body.amount, body.reason),
    )
