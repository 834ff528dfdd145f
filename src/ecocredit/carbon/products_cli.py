"""``ecocredit carbon process-define`` and ``carbon footprint``: product systems from the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ecocredit import console
from ecocredit.accounts import service as accounts
from ecocredit.carbon import process_io, products
from ecocredit.carbon.ops.processes import define
from ecocredit.errors import InvalidParameter
from ecocredit.runtime import open_runtime
from ecocredit.settings import get_settings


def define_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON definitions.")],
    actor: Annotated[str, typer.Option("--as", help="The acting account (role reporter).")],
) -> None:
    """Define processes and products from a JSON file (one transaction)."""
    try:
        body = json.loads(path.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidParameter(f"{path.name}: not a JSON file ({exc})", field="file") from exc
    definitions = process_io.parse(body)
    runtime = open_runtime(get_settings())
    codes = runtime.db.write(lambda s: define(s, definitions, accounts.principal(s, actor)))
    runtime.sign_checkpoint()
    console.show(f"{len(codes)} processes defined")


def footprint_command(
    code: Annotated[str, typer.Argument(help="Product or process code.")],
    amount: Annotated[float, typer.Option(help="Amount of its reference unit.")] = 1.0,
    gwp: Annotated[str, typer.Option(help="SAR, AR4, AR5 or AR6.")] = "AR6",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """A product's cradle-to-gate footprint with its top processes and materials."""
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        found = products.product_footprint(session, code, amount, gwp)
    if as_json:
        console.raw(json.dumps(found, indent=2, ensure_ascii=False) + "\n")
        return
    console.show(
        f"{found['name']}: {found['kg_co2e']:,.3f} kg CO2e for {amount:g} {found['unit']} "
        f"({found['processes']} processes, GWP {gwp})"
    )
    for row in found["top_processes"]:
        console.show(f"  {row['name']:40} {row['kg_co2e']:>14,.3f} kg  {row['share']:6.1%}")


def register(app: typer.Typer) -> None:
    """Add the product-system commands to ``ecocredit carbon``."""
    app.command("process-define")(define_command)
    app.command("footprint")(footprint_command)
