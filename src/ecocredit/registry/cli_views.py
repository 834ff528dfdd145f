"""``ecocredit registry show|replay``: read the registry, and prove it against the log.

``show`` prints what the public API serves (the same queries); ``replay`` rebuilds every
supply figure, serial block and retirement from the log entries alone and compares them with
the tables, exiting 1 with the first difference.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from ecocredit import console
from ecocredit.errors import InvalidParameter
from ecocredit.ledger import store
from ecocredit.registry import audit, queries, queries_certificate, queries_credits
from ecocredit.registry.cli_common import AsJson, app
from ecocredit.registry.filters import HoldingFilter, Page
from ecocredit.runtime import open_runtime
from ecocredit.settings import get_settings


class Kind(StrEnum):
    """What ``show`` can show."""

    CLASS = "class"
    PROJECT = "project"
    BATCH = "batch"
    ACCOUNT = "account"
    RETIREMENT = "retirement"
    SERIAL = "serial"


def _serial(session: Session, ident: str) -> dict[str, Any]:
    batch, _, unit = ident.rpartition(":")
    if not batch or not unit.isascii() or not unit.isdigit():
        raise InvalidParameter(
            f"{ident!r} is not BATCH:UNIT, e.g. C01-001-20260101-20261231-001:42", field="id"
        )
    return queries_credits.serial_lookup(session, batch, int(unit))


def _retirement(session: Session, ident: str) -> dict[str, Any]:
    if not ident.isascii() or not ident.isdigit() or int(ident) >= 2**63:
        raise InvalidParameter(f"a retirement is its ledger index, not {ident!r}", field="id")
    return queries_certificate.certificate(session, int(ident))


_READERS = {
    Kind.CLASS: queries.class_detail,
    Kind.PROJECT: queries.project_detail,
    Kind.BATCH: queries.batch_detail,
    Kind.ACCOUNT: lambda s, name: queries_credits.holdings(
        s, name, HoldingFilter.parse({}), Page(limit=1000)
    ),
    Kind.RETIREMENT: _retirement,
    Kind.SERIAL: _serial,
}


def _lines(value: Any, indent: str = "") -> list[str]:
    if isinstance(value, dict):
        out: list[str] = []
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                out += [f"{indent}{key}:", *_lines(item, indent + "  ")]
            else:
                out.append(f"{indent}{key}: {item}")
        return out
    if isinstance(value, list):
        return [line for item in value for line in _lines(item, indent + "- ")]
    return [f"{indent}{value}"]


@app.command(name="show")
def show(
    kind: Annotated[Kind, typer.Argument(help="What to show.")],
    ident: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="C01, C01-001, a batch, an account name, a retirement's ledger index, "
            "or BATCH:UNIT for one serial number.",
        ),
    ],
    as_json: AsJson = False,
) -> None:
    """Show a class, project, batch (with supply), account (holdings), retirement or serial."""
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        found = _READERS[kind](session, ident)
    if as_json:
        console.raw(json.dumps(found, indent=2, ensure_ascii=False, default=str) + "\n")
    else:
        console.raw("".join(f"{line}\n" for line in _lines(found)))


@app.command(name="replay")
def replay() -> None:
    """Rebuild supply, serial blocks and retirements from the log alone; compare with tables."""
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        size = store.read_head(session).size
        with console.progress("Replaying the log", size) as advance:
            report = audit.replay_check(session, advance)
    console.show(
        f"ok: {report.entries} entries replayed; {report.batches} batches, {report.blocks} "
        "serial blocks and every retirement match the tables; supply is conserved"
    )
