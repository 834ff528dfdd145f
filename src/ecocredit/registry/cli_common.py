"""What every ``ecocredit registry`` command shares: the Typer apps, options, one write path.

Every write names the account that acts (``--as NAME``) and the registry service checks its
authority, so a command only parses, calls one service function in one transaction and
renders the result: a short summary with the serial ranges moved, or with ``--json`` the
service's result. ``--idempotency-key KEY`` works like the API's ``Idempotency-Key``: a
repeated command prints the first result and writes nothing.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from ecocredit import console
from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Principal
from ecocredit.idempotency import run_once
from ecocredit.registry.model import ReasonCode, RetirementRequest
from ecocredit.runtime import open_runtime
from ecocredit.settings import get_settings

Result = dict[str, Any]
Operation = Callable[[Session, Principal], Result]
Summary = Callable[[Result], Iterable[str]]

PROGRESS_ROWS = 10_000  # a payout file longer than this shows a progress bar
SHOWN_BLOCKS = 20  # the summary of a large payout lists this many blocks; --json has them all
ROW_FIELD = re.compile(r"^recipients\[(\d+)\](\.amount)?$")

app = typer.Typer(help="The carbon credit registry.", no_args_is_help=True)
credit_type_app = typer.Typer(help="Credit types (the registry admin).", no_args_is_help=True)
class_app = typer.Typer(help="Credit classes and their issuers.", no_args_is_help=True)
project_app = typer.Typer(help="Projects under a class (its issuers).", no_args_is_help=True)
report_app = typer.Typer(help="Verification reports (verifiers).", no_args_is_help=True)
app.add_typer(credit_type_app, name="credit-type")
app.add_typer(class_app, name="class")
app.add_typer(project_app, name="project")
app.add_typer(report_app, name="report")

Actor = Annotated[
    str, typer.Option("--as", help="The account that acts; the registry checks its authority.")
]
IdempotencyKey = Annotated[
    str | None,
    typer.Option(
        "--idempotency-key", help="Run at most once: repeated, print the first result only."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Issuers = Annotated[list[str], typer.Option("--issuer", help="An issuer; repeat for several.")]
Jurisdiction = Annotated[
    str | None, typer.Option(help="Where the claim is made (ISO 3166-2), e.g. CN-GD.")
]
ReasonCodeOption = Annotated[
    str | None, typer.Option(help=f"One of: {', '.join(c.value for c in ReasonCode)}.")
]
Reason = Annotated[str | None, typer.Option(help="Why (free text).")]
BeneficiaryAccount = Annotated[
    str | None, typer.Option(help="The registry account the retirement is for.")
]
BeneficiaryName = Annotated[
    str | None, typer.Option(help="The named entity (not an account) the retirement is for.")
]
Note = Annotated[str | None, typer.Option(help="Free text published with the retirement.")]


def write_as(actor: str, key: str | None, request: Result, op: Operation) -> Result:
    """Run ``op`` as ``actor`` in one write transaction, at most once per idempotency key."""
    runtime = open_runtime(get_settings())
    ran = False

    def work(session: Session) -> tuple[int, Any]:
        nonlocal ran
        ran = False  # a transaction retried after a serialization race starts over
        caller = accounts.principal(session, actor)

        def once() -> tuple[int, Any]:
            nonlocal ran
            ran = True
            return 200, op(session, caller)

        return run_once(session, caller, key, request, once)

    _, result = runtime.db.write(work)
    runtime.sign_checkpoint()
    if not ran:
        console.err().print(
            f"idempotency key {key!r} was used before for this request: "
            "its first result follows; nothing was written",
            markup=False,
        )
    return dict(result)


def show_result(result: Result, as_json: bool, summary: str | Summary) -> None:
    """Print the result as JSON, or the summary (a template is followed by the serials)."""
    if as_json:
        console.raw(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        return
    if callable(summary):
        lines = list(summary(result))
    else:
        view = {k: ", ".join(v) if _names(v) else v for k, v in result.items()}
        lines = [summary.format_map(view), *(f"  {s}" for s in result.get("serials", []))]
    console.raw("".join(f"{line}\n" for line in lines))


def _is_claim(value: object) -> bool:
    return isinstance(value, RetirementRequest)


def _names(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def run_command(
    command: str,
    service: Callable[..., Result],
    params: Result,
    summary: str,
    acting: tuple[str, str | None, bool],
) -> None:
    """Call ``service(session, caller, **params)`` as ``--as``, then print the result.

    ``acting`` is the options every write takes: ``--as``, ``--idempotency-key``, ``--json``.
    """
    actor, key, as_json = acting
    plain = {k: dataclasses.asdict(v) if _is_claim(v) else v for k, v in params.items()}
    request = {"command": command, **plain}
    result = write_as(actor, key, request, lambda s, c: service(s, c, **params))
    show_result(result, as_json, summary)
