"""``ecocredit registry issue|transfer|retire|cancel|cancel-buffer``: credits and their moves."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer

from ecocredit import console
from ecocredit.errors import EcocreditError, InvalidParameter
from ecocredit.registry import service as registry
from ecocredit.registry.cli_common import (
    PROGRESS_ROWS,
    ROW_FIELD,
    SHOWN_BLOCKS,
    Actor,
    AsJson,
    BeneficiaryAccount,
    BeneficiaryName,
    IdempotencyKey,
    Jurisdiction,
    Note,
    Reason,
    ReasonCodeOption,
    Result,
    app,
    run_command,
    show_result,
    write_as,
)
from ecocredit.registry.model import ReasonCode, RetirementRequest


def read_recipients(file: Path) -> tuple[list[tuple[str, str]], list[int]]:
    """Read a payout CSV (header ``account,amount``): the rows, and the line of each."""
    rows: list[tuple[str, str]] = []
    lines: list[int] = []
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [cell.strip().lower() for cell in next(reader, [])]
            if header != ["account", "amount"]:
                raise InvalidParameter(
                    f"{file}, line 1: the header must be account,amount", field="recipients"
                )
            for record in reader:
                if not any(cell.strip() for cell in record):
                    continue  # a blank line, often the last one
                if len(record) != 2:
                    raise InvalidParameter(
                        f"{file}, line {reader.line_num}: expected account,amount, "
                        f"found {len(record)} fields",
                        field="recipients",
                    )
                rows.append((record[0].strip(), record[1].strip()))
                lines.append(reader.line_num)
    except FileNotFoundError:
        raise InvalidParameter(f"{file}: no such file", field="recipients") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidParameter(
            f"{file}: cannot read recipients: {exc}", field="recipients"
        ) from exc
    if not rows:
        raise InvalidParameter(f"{file}: no recipients below the header", field="recipients")
    return rows, lines


def _at_line(exc: EcocreditError, file: Path, lines: list[int]) -> EcocreditError:
    """Name the file, line and column of an error the service raised about one recipient."""
    if exc.field == "recipients":  # about the file as a whole, such as its total
        return type(exc)(f"{file}: {exc.message}", field=exc.field)
    match = ROW_FIELD.match(exc.field or "")
    if match is None:
        return exc
    column = "amount" if match.group(2) else "account"
    message = exc.message
    # The service's messages start with the field it knows ("recipients[5].amount '1x' is …").
    for lead in (f"{exc.field}: ", f"{exc.field} "):
        message = message.removeprefix(lead)
    where = f"{file}, line {lines[int(match.group(1))]}, {column}"
    return type(exc)(f"{where}: {message}", field=column)


def _issue_summary(result: Result, rows: list[tuple[str, str]]) -> list[str]:
    batch, first = result["batch"], int(result["ledger_index"])
    head = (
        f"batch {batch} issued: {result['issued']} ({result['tradable']} to "
        f"{result['recipients']} recipients, {result['buffer']} to the buffer pool) "
        f"(entries {first}..{first + int(result['entries']) - 1})"
    )
    shown = zip(result["blocks"][:SHOWN_BLOCKS], rows, strict=False)
    lines = [head, *(f"  {n}  {amount}  {batch}:{a}-{b}" for (n, a, b), (_, amount) in shown)]
    if len(result["blocks"]) > SHOWN_BLOCKS:
        more = len(result["blocks"]) - SHOWN_BLOCKS
        lines.append(f"  … and {more} more recipients (--json lists every block)")
    if result["buffer_block"]:
        a, b = result["buffer_block"]
        lines.append(f"  buffer pool  {result['buffer']}  {batch}:{a}-{b}")
    return lines


@app.command(name="issue")
def issue(
    report: Annotated[str, typer.Argument(help="The verification report, e.g. C01-001-R001.")],
    recipients: Annotated[Path, typer.Option(help="CSV with header account,amount.")],
    actor: Actor,
    buffer_share: Annotated[str, typer.Option(help="Share withheld to the buffer pool.")] = "0",
    reference: Annotated[str, typer.Option(help="The issuer's reference of the batch.")] = "",
    retire: Annotated[
        bool, typer.Option("--retire", help="Retire every recipient's credits on issuance.")
    ] = False,
    jurisdiction: Jurisdiction = None,
    reason_code: ReasonCodeOption = None,
    reason: Reason = None,
    beneficiary_name: BeneficiaryName = None,
    note: Note = None,
    key: IdempotencyKey = None,
    as_json: AsJson = False,
) -> None:
    """Issue a batch against a report to the recipients of a CSV file (an issuer).

    With ``--retire`` each recipient's credits are retired on issuance in its name.
    """
    claim = [jurisdiction, reason_code, reason, None, beneficiary_name, note]
    if not retire and any(value is not None for value in claim):
        raise InvalidParameter("the retirement options need --retire", field="retire")
    retirement = _retirement(claim) if retire else None
    rows, lines = read_recipients(recipients)
    request: dict[str, Any] = {"command": "issue", "report": report, "recipients": rows}
    request |= {"buffer_share": buffer_share, "reference": reference}
    if retirement is not None:
        request["retire"] = dataclasses.asdict(retirement)
    bar = (
        console.progress(f"Issuing {report} to {len(rows)} recipients", len(rows))
        if len(rows) > PROGRESS_ROWS
        else contextlib.nullcontext(None)
    )
    try:
        with bar as advance:
            result = write_as(
                actor,
                key,
                request,
                lambda s, c: registry.issue(
                    s, c, report, rows, buffer_share, reference, advance, retirement
                ),
            )
    except EcocreditError as exc:
        located = _at_line(exc, recipients, lines)
        if located is exc:
            raise
        raise located from exc
    show_result(result, as_json, lambda r: _issue_summary(r, rows))


def _retirement(claim: list[str | None]) -> RetirementRequest:
    """The retirement the options describe (the service checks it); voluntary by default."""
    jurisdiction, reason_code, *texts = claim
    if not jurisdiction:
        raise InvalidParameter(
            "a retirement needs --jurisdiction, e.g. CN-GD", field="jurisdiction"
        )
    code = reason_code or ReasonCode.VOLUNTARY.value
    return RetirementRequest(jurisdiction, code, *(text or "" for text in texts))


_CLAIM = "for {beneficiary} ({beneficiary_kind}), {reason_code}, {jurisdiction}"
_TRANSFERRED = "transferred {amount} of {batch} to {recipient} (entry {ledger_index})"
_TRANSFERRED_RETIRED = (
    "transferred {amount} of {batch} to {recipient} and retired it "
    + _CLAIM
    + " (retirement {retirement})"
)
Batch = Annotated[str, typer.Argument(help="The batch, e.g. C01-001-20260101-20261231-001.")]
Amount = Annotated[str, typer.Argument(help="A decimal amount, e.g. 12.345678.")]


@app.command(name="transfer")
def transfer(
    batch: Batch,
    recipient: Annotated[str, typer.Argument(help="The account that receives.")],
    amount: Amount,
    actor: Actor,
    retire: Annotated[
        bool, typer.Option("--retire", help="Retire the credits on receipt.")
    ] = False,
    jurisdiction: Jurisdiction = None,
    reason_code: ReasonCodeOption = None,
    reason: Reason = None,
    beneficiary_account: BeneficiaryAccount = None,
    beneficiary_name: BeneficiaryName = None,
    note: Note = None,
    key: IdempotencyKey = None,
    as_json: AsJson = False,
) -> None:
    """Transfer tradable credits to another holder, optionally retiring them on receipt."""
    claim = [jurisdiction, reason_code, reason, beneficiary_account, beneficiary_name, note]
    if not retire and any(value is not None for value in claim):
        raise InvalidParameter("the retirement options need --retire", field="retire")
    params: Result = {"batch": batch, "recipient": recipient, "amount": amount}
    params["retire"] = _retirement(claim) if retire else None
    summary = _TRANSFERRED_RETIRED if retire else _TRANSFERRED
    run_command("transfer", registry.transfer, params, summary, (actor, key, as_json))


@app.command(name="retire")
def retire(
    batch: Batch,
    amount: Amount,
    actor: Actor,
    jurisdiction: Annotated[str, typer.Option(help="Where the claim is made (ISO 3166-2).")],
    reason_code: ReasonCodeOption = None,
    reason: Reason = None,
    beneficiary_account: BeneficiaryAccount = None,
    beneficiary_name: BeneficiaryName = None,
    note: Note = None,
    key: IdempotencyKey = None,
    as_json: AsJson = False,
) -> None:
    """Retire the acting holder's tradable credits, for itself or a named beneficiary."""
    claim = [jurisdiction, reason_code, reason, beneficiary_account, beneficiary_name, note]
    params = {"batch": batch, "amount": amount, "request": _retirement(claim)}
    summary = "retired {amount} of {batch} " + _CLAIM + " (retirement {retirement})"
    run_command("retire", registry.retire, params, summary, (actor, key, as_json))


@app.command(name="cancel")
def cancel(
    batch: Batch,
    amount: Amount,
    reason: Annotated[str, typer.Option(help="Why, e.g. 'moved to another registry'.")],
    actor: Actor,
    key: IdempotencyKey = None,
    as_json: AsJson = False,
) -> None:
    """Cancel the acting holder's tradable credits without a claim."""
    params = {"batch": batch, "amount": amount, "reason": reason}
    summary = "cancelled {amount} of {batch} held by {holder}: {reason} (entry {ledger_index})"
    run_command("cancel", registry.cancel, params, summary, (actor, key, as_json))


@app.command(name="cancel-buffer")
def cancel_buffer(
    batch: Batch,
    amount: Amount,
    reason: Annotated[str, typer.Option(help="The reversal, e.g. 'forest fire on 2026-03-14'.")],
    actor: Actor,
    key: IdempotencyKey = None,
    as_json: AsJson = False,
) -> None:
    """Cancel buffer-pool credits of a batch to cover a reversal (the registry admin)."""
    params = {"batch": batch, "amount": amount, "reason": reason}
    summary = "cancelled {amount} buffer credits of {batch}: {reason} (entry {ledger_index})"
    run_command("cancel-buffer", registry.cancel_buffer, params, summary, (actor, key, as_json))
