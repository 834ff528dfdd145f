"""HTTP API of the registry: public reads (JSON or CSV) and the authenticated writes.

Reads need no key. Every list takes the filters of :mod:`.filters` plus ``limit``, ``offset``
and ``format``; a query parameter an endpoint does not know is refused with 400 naming it.
The writes live in :mod:`.api_writes` and are included here, so one router serves the registry.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from ecocredit.api_deps import ReadSession
from ecocredit.registry import (
    amounts,
    api_writes,
    audit,
    export,
    filters,
    queries,
    queries_certificate,
    queries_credits,
)
from ecocredit.registry.filters import (
    BatchFilter,
    CancellationFilter,
    ClassFilter,
    F,
    HoldingFilter,
    Listing,
    NoFilter,
    ProjectFilter,
    RetirementFilter,
)

router = APIRouter(prefix="/v1/registry", tags=["registry"])

MAX_INDEX = 2**63 - 1
MAX_TEXT_PARAM = 200
CSV = "text/csv; charset=utf-8"
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A parameter is invalid or unknown; the body names it."},
    404: {"description": "An id in the path or in a filter does not exist; the body names it."},
}
LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A page of the list: JSON, or CSV with format=csv.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    },
    **ERRORS,
}


def _annotation(param: filters.Param) -> Any:
    """The FastAPI annotation that documents one filter parameter."""
    if param.kind == "integer":
        low, high = param.bounds
        return Annotated[int | None, Query(ge=low, le=high, description=param.description)]
    if param.kind == "choice":
        choice = cast(Any, Literal)[param.choices]
        return Annotated[choice | None, Query(description=param.description)]
    return Annotated[str | None, Query(max_length=MAX_TEXT_PARAM, description=param.description)]


def _listing(kind: type[F]) -> Callable[..., Listing[F]]:
    """A dependency that parses a list request strictly, documenting each parameter.

    FastAPI reads the parameters to document from the signature, so the signature is built
    from the filter's own declaration; the values are read again from the raw query string,
    where a parameter the filter does not know is refused rather than ignored.
    """

    def dependency(request: Request, **_documented: object) -> Listing[F]:
        return filters.parse_listing(kind, request.query_params.multi_items())

    keyword = inspect.Parameter.KEYWORD_ONLY
    declared = [
        inspect.Parameter(p.name, keyword, default=None, annotation=_annotation(p))
        for p in filters.allowed(kind)
    ]
    request = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [request.replace(annotation=Request), *declared]
    )
    return dependency


def _no_query(request: Request) -> None:
    """Refuse any query parameter on an endpoint that takes none."""
    filters.collect(request.query_params.multi_items(), ())


def _render(kind: str, query: Listing[Any], result: dict[str, Any], name: str = "") -> Response:
    """The list as JSON, or as a CSV attachment of its items."""
    if query.format == filters.Format.CSV:
        disposition = f'attachment; filename="{name or kind}.csv"'
        return Response(
            export.render(kind, result["items"]),
            media_type=CSV,
            headers={"Content-Disposition": disposition},
        )
    return JSONResponse(result)


NoQuery = Depends(_no_query)
Id = Annotated[str, Path(max_length=64)]
CreditTypes = Annotated[Listing[NoFilter], Depends(_listing(NoFilter))]
Classes = Annotated[Listing[ClassFilter], Depends(_listing(ClassFilter))]
Projects = Annotated[Listing[ProjectFilter], Depends(_listing(ProjectFilter))]
Batches = Annotated[Listing[BatchFilter], Depends(_listing(BatchFilter))]
Holdings = Annotated[Listing[HoldingFilter], Depends(_listing(HoldingFilter))]
Retirements = Annotated[Listing[RetirementFilter], Depends(_listing(RetirementFilter))]
Cancellations = Annotated[Listing[CancellationFilter], Depends(_listing(CancellationFilter))]


@router.get("/credit-types", responses=LIST_RESPONSES)
def list_credit_types(session: ReadSession, query: CreditTypes) -> Response:
    """Credit types: abbreviation, name, unit and precision (decimal places)."""
    result = queries.credit_type_list(session, query.filter, query.page)
    return _render("credit_types", query, result)


@router.get("/classes", responses=LIST_RESPONSES)
def list_classes(session: ReadSession, query: Classes) -> Response:
    """Credit classes with their methodology and version, admin and issuers."""
    return _render("classes", query, queries.class_list(session, query.filter, query.page))


@router.get("/classes/{class_id}", responses=ERRORS, dependencies=[NoQuery])
def get_class(session: ReadSession, class_id: Id) -> dict[str, Any]:
    """One credit class."""
    return queries.class_detail(session, class_id)


@router.get("/projects", responses=LIST_RESPONSES)
def list_projects(session: ReadSession, query: Projects) -> Response:
    """Projects with their developer, jurisdiction, location, reference and status."""
    return _render("projects", query, queries.project_list(session, query.filter, query.page))


@router.get("/projects/{project}", responses=ERRORS, dependencies=[NoQuery])
def get_project(session: ReadSession, project: Id) -> dict[str, Any]:
    """One project."""
    return queries.project_detail(session, project)


@router.get("/batches", responses=LIST_RESPONSES)
def list_batches(session: ReadSession, query: Batches) -> Response:
    """Batches with vintage, report, issuer and supply by state.

    Supply: issued, tradable, retired, cancelled, buffer; issued is the sum of the other four.
    """
    return _render("batches", query, queries.batch_list(session, query.filter, query.page))


@router.get("/batches/{batch}", responses=ERRORS, dependencies=[NoQuery])
def get_batch(session: ReadSession, batch: Id) -> dict[str, Any]:
    """One batch with its supply and the number of serial blocks it is held in."""
    return queries.batch_detail(session, batch)


@router.get("/accounts/{name}/holdings", responses=LIST_RESPONSES)
def list_holdings(session: ReadSession, name: Id, query: Holdings) -> Response:
    """What an account holds, per batch and state: the amount and its serial blocks."""
    result = queries_credits.holdings(session, name, query.filter, query.page)
    return _render("holdings", query, result, f"holdings-{name}")


@router.get("/retirements", responses=LIST_RESPONSES)
def list_retirements(session: ReadSession, query: Retirements) -> Response:
    """Retirements (claims against emissions); cancellations are listed separately."""
    result = queries_credits.retirement_list(session, query.filter, query.page)
    return _render("retirements", query, result)


@router.get("/retirements/{index}", responses=ERRORS, dependencies=[NoQuery])
def get_certificate(
    session: ReadSession, index: Annotated[int, Path(ge=0, le=MAX_INDEX)]
) -> dict[str, Any]:
    """The retirement certificate, with an RFC 9162 inclusion proof of its log entry.

    It holds the claim, its serial blocks, the log entry (bytes in base64, leaf hash in hex)
    and the proof against the latest signed checkpoint: null, with ``proof_pending`` saying
    why, while the entry is newer than that checkpoint.
    """
    return queries_certificate.certificate(session, index)


@router.get("/cancellations", responses=LIST_RESPONSES)
def list_cancellations(session: ReadSession, query: Cancellations) -> Response:
    """Cancellations without a claim: by holders, and of buffer credits to cover reversals."""
    result = queries_credits.cancellation_list(session, query.filter, query.page)
    return _render("cancellations", query, result)


@router.get("/serials/{batch}/{unit}", responses=ERRORS, dependencies=[NoQuery])
def get_serial(
    session: ReadSession, batch: Id, unit: Annotated[int, Path(ge=1, le=amounts.MAX_UNITS)]
) -> dict[str, Any]:
    """What became of one unit of a batch.

    The block holding it (owner, state, serial range) and, if retired or cancelled, that record.
    """
    return queries_credits.serial_lookup(session, batch, unit)


router.include_router(api_writes.router)


_SUPPLY_LOCK = threading.Lock()


def _log_supply(request: Request) -> audit.LogSupply:
    # One replay per app, moved forward as the log grows; made on first use, not at import.
    with _SUPPLY_LOCK:
        state = request.app.state
        if getattr(state, "registry_log_supply", None) is None:
            state.registry_log_supply = audit.LogSupply()
        supply: audit.LogSupply = state.registry_log_supply
        return supply


@router.get(
    "/audit",
    responses={
        **ERRORS,
        503: {"description": "The log breaks a registry rule; the body names the entry."},
    },
)
def get_audit(request: Request, session: ReadSession) -> dict[str, Any]:
    """Supply per batch replayed from the log alone, at the latest signed checkpoint.

    Nothing here is read from the registry's tables: every figure comes from applying the
    log's entries 0 … size-1 with the registry's rules. Anyone holding the log can do the
    same (`ecocredit.registry.replay.Replay`) and must get the same numbers; `conserved` says
    issued = tradable + retired + cancelled + buffer for every batch.
    """
    filters.collect(request.query_params.multi_items(), ())
    return _log_supply(request).at_latest_checkpoint(session)
