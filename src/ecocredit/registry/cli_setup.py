"""``ecocredit registry credit-type|class|project|report …``: what credits are issued under."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer

from ecocredit.errors import InvalidParameter
from ecocredit.registry import service as registry
from ecocredit.registry.cli_common import (
    Actor,
    AsJson,
    IdempotencyKey,
    Issuers,
    Result,
    class_app,
    credit_type_app,
    project_app,
    report_app,
    run_command,
)
from ecocredit.registry.model import ProjectStatus

_CREDIT_TYPE_ADDED = (
    "credit type {abbrev} added: {name}, unit {unit}, precision {precision} (entry {ledger_index})"
)


@credit_type_app.command(name="add")
def credit_type_add(
    abbrev: Annotated[str, typer.Argument(help="1-3 capital letters, e.g. C.")],
    name: Annotated[str, typer.Option(help="e.g. 'Carbon dioxide equivalent'.")],
    unit: Annotated[str, typer.Option(help="e.g. tCO2e.")],
    precision: Annotated[int, typer.Option(help="Decimal places of an amount (0-9).")],
    actor: Actor,
    key: IdempotencyKey = None,
    as_json: AsJson = False,
) -> None:
    """Add a credit type (the registry admin)."""
    params = {"abbrev": abbrev, "name": name, "unit": unit, "precision": precision}
    acting = (actor, key, as_json)
    run_command("credit-type add", registry.add_credit_type, params, _CREDIT_TYPE_ADDED, acting)


_CLASS_CREATED = (
    "class {class_id} created: {name} ({methodology} {methodology_version}), admin {admin}, "
    "issuers {issuers} (entry {ledger_index})"
)


@class_app.command(name="create")
def class_create(
    credit_type: Annotated[str, typer.Option(help="The credit type, e.g. C.")],
    name: Annotated[str, typer.Option(help="The class's name.")],
    methodology: Annotated[str, typer.Option(help="Methodology id, e.g. CCER-14-001.")],
    methodology_version: Annotated[str, typer.Option(help="Methodology version, e.g. V01.")],
    admin: Annotated[str, typer.Option(help="The class admin account (names its issuers).")],
    issuer: Issuers,
    actor: Actor,
    key: IdempotencyKey = None,
    as_json: AsJson = False,
) -> None:
    """Create the next credit class of a credit type (the registry admin)."""
    params: Result = {"credit_type": credit_type, "name": name, "methodology": methodology}
    params |= {"methodology_version": methodology_version, "admin": admin, "issuers": issuer}
    acting = (actor, key, as_json)
    run_command("class create", registry.create_class, params, _CLASS_CREATED, acting)


@class_app.command(name="issuers")
def class_issuers(
    class_id: Annotated[str, typer.Argument(metavar="CLASS", help="The class, e.g. C01.")],
    issuer: Issuers,
    actor: Actor,
    key: IdempotencyKey = None,
    as_json: AsJson = False,
) -> None:
    """Replace the issuers of a class (its admin)."""
    params = {"class_id": class_id, "issuers": issuer}
    summary = "class {class_id} issuers: {issuers} (entry {ledger_index})"
    run_command("class issuers", registry.set_class_issuers, params, summary, (actor, key, as_json))


_PROJECT_CREATED = (
    "project {project} created: {name}, {jurisdiction}, admin {admin}, {status} "
    "(entry {ledger_index})"
)


@project_app.command(name="create")
def project_create(
    class_id: Annotated[str, typer.Option("--class", help="The class, e.g. C01.")],
    name: Annotated[str, typer.Option(help="The project's name.")],
    admin: Annotated[str, typer.Option(help="The project admin (developer) account.")],
    jurisdiction: Annotated[str, typer.Option(help="ISO 3166-2, e.g. CN-NM.")],
    location: Annotated[str, typer.Option(help="Where the project is, in words.")],
    actor: Actor,
    reference_id: Annotated[str, typer.Option(help="The project's id elsewhere.")] = "",
    status: Annotated[
        str, typer.Option(help=f"One of: {', '.join(s.value for s in ProjectStatus)}.")
    ] = ProjectStatus.LISTED.value,
    key: IdempotencyKey = None,
    as_json: AsJson = False,
) -> None:
    """Create the next project of a class (an issuer of the class)."""
    params = {"class_id": class_id, "name": name, "admin": admin, "location": location}
    params |= {"jurisdiction": jurisdiction, "reference_id": reference_id, "status": status}
    acting = (actor, key, as_json)
    run_command("project create", registry.create_project, params, _PROJECT_CREATED, acting)


@project_app.command(name="status")
def project_status(
    project: Annotated[str, typer.Argument(help="The project, e.g. C01-001.")],
    status: Annotated[str, typer.Argument(help="The new status.")],
    reason: Annotated[str, typer.Option(help="Why the status changes.")],
    actor: Actor,
    key: IdempotencyKey = None,
    as_json: AsJson = False,
) -> None:
    """Change a project's status (an issuer of its class, or the registry admin)."""
    params = {"project": project, "status": status, "reason": reason}
    summary = "project {project} is now {status} (entry {ledger_index})"
    run_command(
        "project status", registry.set_project_status, params, summary, (actor, key, as_json)
    )


def _document_sha256(document: Path | None, sha256: str | None) -> str:
    """The report's hash: given, or the SHA-256 of the document file's bytes."""
    if (document is None) == (sha256 is None):
        raise InvalidParameter("give --document PATH or --sha256 HEX (one)", field="document")
    if document is None:
        assert sha256 is not None
        return sha256
    try:
        with document.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except FileNotFoundError:
        raise InvalidParameter(f"{document}: no such file", field="document") from None
    except OSError as exc:
        raise InvalidParameter(f"{document}: cannot read it: {exc}", field="document") from exc


_REPORT_FILED = (
    "report {report} filed for {project}: {verified} verified, {period_start}..{period_end}, "
    "sha256 {document_sha256} (entry {ledger_index})"
)


@report_app.command(name="file")
def report_file(
    project: Annotated[str, typer.Argument(help="The project, e.g. C01-001.")],
    period_start: Annotated[str, typer.Option(help="First day monitored, YYYY-MM-DD.")],
    period_end: Annotated[str, typer.Option(help="Last day monitored, YYYY-MM-DD.")],
    verified: Annotated[str, typer.Option(help="The verified quantity, e.g. 1000.5.")],
    actor: Actor,
    document: Annotated[Path | None, typer.Option(help="The report; its SHA-256 is filed.")] = None,
    sha256: Annotated[str | None, typer.Option(help="The report's SHA-256 (hex).")] = None,
    key: IdempotencyKey = None,
    as_json: AsJson = False,
) -> None:
    """File a verification report of a project (a verifier)."""
    params = {"project": project, "period_start": period_start, "period_end": period_end}
    params |= {"verified": verified, "document_sha256": _document_sha256(document, sha256)}
    acting = (actor, key, as_json)
    run_command("report file", registry.file_report, params, _REPORT_FILED, acting)
