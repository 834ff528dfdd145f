"""``ecocredit custody``: the marine-plastic chain of custody and its fund, for operators.

Writes name the acting account with ``--as``: a custody verb needs the role ``holder`` (and the
lot, or the handoff to confirm), ``fund-payout`` the role ``operator``. Masses are decimal
kilograms and money decimal yuan; a fraction of a gram or a cent is refused. Inputs of a
processing run or a product are ``LOT=KG``. Exit codes: 0 done, 1 refused (the message names
the field), 2 bad option.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ecocredit import console
from ecocredit.accounts import service as accounts
from ecocredit.errors import InvalidParameter
from ecocredit.inclusion.custody_model import Coordinates, Place
from ecocredit.inclusion.ops import custody, fund
from ecocredit.inclusion.ops.custody_checks import cents_of_yuan, grams_of_kg
from ecocredit.runtime import Runtime, open_runtime
from ecocredit.settings import get_settings

app = typer.Typer(
    help="Marine-plastic chain of custody: lots, handoffs, pellets, products, the fund.",
    no_args_is_help=True,
)
Actor = Annotated[str, typer.Option("--as", help="The acting account.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Kg = Annotated[str, typer.Option("--kg", help="Kilograms, at most 3 decimals.")]
LotArg = Annotated[str, typer.Argument(help="The lot, LOT-000001.")]
HandoffArg = Annotated[str, typer.Argument(help="The handoff, HO-000002.")]
Inputs = Annotated[list[str], typer.Option("--input", help="LOT=KG; repeat for each lot.")]


def _json(body: Any) -> None:
    console.raw(json.dumps(body, indent=2, ensure_ascii=False, default=str) + "\n")


def _write(runtime: Runtime, actor: str, work: Any) -> Any:
    """Run ``work(session, principal)`` as one write and sign a checkpoint over it."""
    result = runtime.db.write(lambda s: work(s, accounts.principal(s, actor)))
    runtime.sign_checkpoint()
    return result


def _done(body: dict[str, Any], as_json: bool, line: str) -> None:
    if as_json:
        _json(body)
        return
    console.show(line)
    for flag in body.get("flags", []):
        console.show(f"  flagged: {flag}")


def parse_inputs(items: list[str]) -> list[tuple[str, int]]:
    """``LOT=KG`` options as (lot, grams) pairs."""
    pairs = []
    for item in items:
        lot, sep, kg = item.partition("=")
        if not sep or not lot:
            raise InvalidParameter(f"--input {item!r}: give LOT=KG", field="inputs")
        pairs.append((lot, grams_of_kg(kg, "inputs")))
    return pairs


def _place(place: str | None, lon: float | None, lat: float | None) -> Place:
    if place is not None and lon is None and lat is None:
        return place
    if place is None and lon is not None and lat is not None:
        return Coordinates(lon, lat)
    raise InvalidParameter("place: give --place, or --lon and --lat (not both)", field="place")


@app.command("collect")
def collect_command(
    kg: Kg,
    time: Annotated[str, typer.Option(help="When, ISO 8601 with its offset.")],
    photo: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="The lot's photo.")],
    actor: Actor,
    place: Annotated[str | None, typer.Option(help="A place name.")] = None,
    lon: Annotated[float | None, typer.Option(help="GPS longitude.")] = None,
    lat: Annotated[float | None, typer.Option(help="GPS latitude.")] = None,
    as_json: AsJson = False,
) -> None:
    """Declare a lot the acting collector brought in, with its photo."""
    try:
        moment = dt.datetime.fromisoformat(time)
    except ValueError:
        raise InvalidParameter(f"time: {time!r} is not an ISO 8601 time", field="time") from None
    where, grams = _place(place, lon, lat), grams_of_kg(kg)
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    done = _write(open_runtime(get_settings()), actor,
                  lambda s, who: custody.collect(s, who, where, moment, grams, sha))  # fmt: skip
    _done(done, as_json, f"lot {done['lot_id']}: {kg} kg collected by {actor}")


@app.command("weigh")
def weigh_command(lot: LotArg, kg: Kg, actor: Actor, as_json: AsJson = False) -> None:
    """Weigh a lot the acting station holds; a difference beyond 5 % is flagged."""
    grams = grams_of_kg(kg)
    done = _write(open_runtime(get_settings()), actor,
                  lambda s, who: custody.weigh(s, who, lot, grams))  # fmt: skip
    _done(done, as_json, f"lot {lot}: weighed {kg} kg (declared {done['declared_grams']} g)")


@app.command("offer")
def offer_command(
    lot: LotArg,
    to: Annotated[str, typer.Argument(help="The receiving account.")],
    kg: Kg,
    actor: Actor,
    stage: Annotated[str | None, typer.Option(help="The stage it moves to.")] = None,
    as_json: AsJson = False,
) -> None:
    """Offer kilograms of a lot to another account; pending until it confirms."""
    grams = grams_of_kg(kg)
    done = _write(open_runtime(get_settings()), actor,
                  lambda s, who: custody.offer(s, who, lot, to, grams, stage))  # fmt: skip
    _done(done, as_json, f"handoff {done['handoff_id']}: {kg} kg of {lot} offered to {to}")


@app.command("confirm")
def confirm_command(handoff: HandoffArg, actor: Actor, as_json: AsJson = False) -> None:
    """Confirm a handoff offered to the acting account: the kilograms become its lot."""
    done = _write(open_runtime(get_settings()), actor,
                  lambda s, who: custody.confirm(s, who, handoff))  # fmt: skip
    _done(done, as_json, f"handoff {handoff} confirmed: lot {done['new_lot_id']}")


@app.command("cancel")
def cancel_command(handoff: HandoffArg, actor: Actor) -> None:
    """Withdraw, or decline, a pending handoff."""
    _write(open_runtime(get_settings()), actor, lambda s, who: custody.cancel(s, who, handoff))
    console.show(f"handoff {handoff} cancelled")


@app.command("process")
def process_command(
    inputs: Inputs,
    output_kg: Annotated[str, typer.Option("--output-kg", help="Pellets made, kg.")],
    declared_yield_bp: Annotated[
        int, typer.Option("--yield-bp", min=1, max=10_000, help="8000 = 80 %.")
    ],
    actor: Actor,
    as_json: AsJson = False,
) -> None:
    """Turn lots the acting recycler holds into pellets, within the declared yield."""
    pairs, output = parse_inputs(inputs), grams_of_kg(output_kg, "output_kg")
    done = _write(open_runtime(get_settings()), actor, lambda s, who: custody.process(
        s, who, pairs, output, declared_yield_bp))  # fmt: skip
    _done(done, as_json, f"pellets {done['lot_id']}: {output_kg} kg from {len(pairs)} lots")


@app.command("product")
def product_command(
    product_id: Annotated[str, typer.Argument(help="The maker's id of the product.")],
    inputs: Inputs,
    kg: Kg,
    actor: Actor,
    as_json: AsJson = False,
) -> None:
    """Make a product of pellets; prints its QR code and the portal page it opens."""
    pairs, grams = parse_inputs(inputs), grams_of_kg(kg)
    done = _write(open_runtime(get_settings()), actor, lambda s, who: custody.make_product(
        s, who, pairs, product_id, grams))  # fmt: skip
    _done(done, as_json, f"product {product_id}: code {done['product_code']}, "
                         f"page {done['portal_path']}")  # fmt: skip


@app.command("sale")
def sale_command(
    code: Annotated[str, typer.Argument(help="The product's QR code.")],
    yuan: Annotated[str, typer.Option(help="The amount, at most 2 decimals.")],
    actor: Actor,
    as_json: AsJson = False,
) -> None:
    """Record a sale of a product the acting maker holds; the fund's share is owed."""
    cents = cents_of_yuan(yuan)
    done = _write(open_runtime(get_settings()), actor,
                  lambda s, who: fund.record_sale(s, who, code, cents))  # fmt: skip
    _done(done, as_json, f"sale {done['sale']}: {yuan} yuan, "
                         f"{done['fund_cents'] / 100:.2f} yuan to the fund")  # fmt: skip


@app.command("fund-payout")
def fund_payout_command(actor: Actor, as_json: AsJson = False) -> None:
    """Pay the fund's share of every unpaid sale to the collectors, by their kilograms."""
    done = _write(open_runtime(get_settings()), actor, lambda s, who: fund.pay_fund(s, who))
    if as_json:
        _json(done)
        return
    if done["run"] is None:
        console.show("nothing to pay: no unpaid sale")
        return
    for collector, cents in done["payouts"]:
        console.show(f"  {collector}  {cents / 100:,.2f} yuan")
    console.show(f"run {done['run']}: {done['fund_cents'] / 100:,.2f} yuan from "
                 f"{done['sales']} sales to {len(done['payouts'])} collectors")  # fmt: skip


@app.command("trace")
def trace_command(
    code: Annotated[str, typer.Argument(help="The product's QR code.")], as_json: AsJson = False
) -> None:
    """Every collector of a product with their kilograms, and every lot it came through."""
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        found = custody.trace(session, code)
    if as_json:
        _json(found)
        return
    grams = found["grams"]
    console.show(f"{found['product_id']} ({code}) by {found['maker']}: {grams / 1000:,.3f} kg")
    for collector, part in found["collectors"]:
        console.show(f"  {collector}  {part / 1000:,.3f} kg  {100 * part / grams:.1f} %")
    console.show(f"{len(found['collectors'])} collectors, {len(found['lots'])} lots")
