"""HTTP API of the marine-plastic chain of custody and its shared-prosperity fund.

Reads need no key: a lot, a product's trace back to every collector (what its QR code's page
shows), and the fund. Writes need an API key: the custody verbs an account with the role
``holder`` (the service then checks that it holds the lot, or is the handoff's receiver), the
fund's payout an ``operator``. Masses are decimal kilograms and money decimal yuan, refused
(never rounded) beyond a gram or a cent. Each write is one transaction with its log entries;
an ``Idempotency-Key`` makes a retried write answer as the first did and change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal, Role
from ecocredit.api_deps import ReadSession, RuntimeDep, require
from ecocredit.errors import InvalidParameter
from ecocredit.idempotency import run_once
from ecocredit.inclusion.api import CODE_PATTERN, ERRORS, WRITE_ERRORS, IdempotencyKey
from ecocredit.inclusion.custody_model import Coordinates, Place, Stage
from ecocredit.inclusion.ops import custody, fund
from ecocredit.inclusion.ops.custody_checks import cents_of_yuan, grams_of_kg
from ecocredit.runtime import Runtime

router = APIRouter(prefix="/v1/inclusion", tags=["inclusion custody"])
Holder = Annotated[Principal, Depends(require(Role.HOLDER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR, Role.ADMIN))]
ACCOUNT_PATTERN = r"^[a-z0-9][a-z0-9_.\-]{1,63}$"
LOT_ID = Path(max_length=64, pattern=CODE_PATTERN, description="LOT-000001, or a product's id.")
LotId = Annotated[str, LOT_ID]
HandoffId = Annotated[str, Path(max_length=24, pattern=r"^HO-[0-9]{1,20}$")]
ProductCode = Annotated[
    str, Path(pattern=r"^[A-Z2-7]{16}$", description="The code in the product's QR.")
]
Identifier = Annotated[str, Field(max_length=64, pattern=CODE_PATTERN)]
Account = Annotated[str, Field(max_length=64, pattern=ACCOUNT_PATTERN)]
Kg = Annotated[
    Decimal,
    Field(gt=0, le=100_000, decimal_places=3, allow_inf_nan=False,
          description="Kilograms, at most 3 decimals; at most 100 t in one lot."),
]  # fmt: skip
Mass = Annotated[
    Decimal,
    Field(gt=0, le=10**9, decimal_places=3, allow_inf_nan=False,
          description="Kilograms, at most 3 decimals."),
]  # fmt: skip


def _once(
    runtime: Runtime, caller: Principal, key: str | None, signature: Any,
    work: Callable[[Session], Any],
) -> dict[str, Any]:  # fmt: skip
    """One write that a retry with the same ``Idempotency-Key`` does not repeat; signed."""
    result = runtime.db.write(
        lambda s: run_once(s, caller, key, signature, lambda: (200, work(s)))[1]
    )
    runtime.sign_checkpoint()
    return dict(result)


def _signature(verb: str, body: BaseModel | None = None, **more: str) -> dict[str, Any]:
    dumped = body.model_dump(mode="json") if body is not None else {}
    return {"custody": verb} | more | dumped


class LotIn(BaseModel):
    """A lot the caller collected: where (a place name, or lon and lat), when, how much."""

    model_config = ConfigDict(extra="forbid")
    place: str | None = Field(default=None, min_length=1, max_length=200)
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    time: dt.datetime = Field(description="When it was collected, with its offset.")
    kg: Kg
    photo_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the photo.")


def _place(body: LotIn) -> Place:
    if body.place is not None and body.lon is None and body.lat is None:
        return body.place
    if body.place is None and body.lon is not None and body.lat is not None:
        return Coordinates(body.lon, body.lat)
    raise InvalidParameter("place: give a place name, or lon and lat (not both)", field="place")


@router.post("/lots", responses=WRITE_ERRORS, status_code=201)
def collect(
    runtime: RuntimeDep, caller: Holder, body: LotIn, key: IdempotencyKey = None
) -> dict[str, Any]:
    """Declare a lot the caller collected; it is the caller's until a station confirms it."""
    place, grams = _place(body), grams_of_kg(body.kg)
    if body.time.tzinfo is None:
        raise InvalidParameter("time: give the time with its offset", field="time")
    return _once(runtime, caller, key, _signature("collect", body), lambda s: custody.collect(
        s, caller, place, body.time, grams, body.photo_sha256))  # fmt: skip


@router.get("/lots/{lot_id}", responses=ERRORS)
def lot(session: ReadSession, lot_id: LotId) -> dict[str, Any]:
    """A lot: stage, holder, mass and grams still held, flags, parents and its handoffs."""
    return custody.lot(session, lot_id)


class WeighingIn(BaseModel):
    """What the station's scale reads for a lot it holds."""

    model_config = ConfigDict(extra="forbid")
    kg: Kg


@router.post("/lots/{lot_id}/weighing", responses=WRITE_ERRORS)
def weigh(
    runtime: RuntimeDep, caller: Holder, lot_id: LotId, body: WeighingIn,
    key: IdempotencyKey = None,
) -> dict[str, Any]:  # fmt: skip
    """Weigh a lot the caller holds at its station; a difference beyond 5 % is flagged."""
    grams = grams_of_kg(body.kg)
    signature = _signature("weigh", body, lot=lot_id)
    return _once(runtime, caller, key, signature,
                 lambda s: custody.weigh(s, caller, lot_id, grams))  # fmt: skip


class OfferIn(BaseModel):
    """Hand some of a lot to another account, for the stage it moves to."""

    model_config = ConfigDict(extra="forbid")
    to_account: Account
    kg: Mass
    to_stage: Stage | None = Field(default=None, description="None: the next stage.")


@router.post("/lots/{lot_id}/handoffs", responses=WRITE_ERRORS, status_code=201)
def offer(
    runtime: RuntimeDep, caller: Holder, lot_id: LotId, body: OfferIn, key: IdempotencyKey = None
) -> dict[str, Any]:
    """Offer kilograms of a lot the caller holds; pending until the receiver confirms."""
    grams = grams_of_kg(body.kg)
    signature = _signature("offer", body, lot=lot_id)
    return _once(runtime, caller, key, signature, lambda s: custody.offer(
        s, caller, lot_id, body.to_account, grams, body.to_stage))  # fmt: skip


@router.post("/handoffs/{handoff_id}/confirmation", responses=WRITE_ERRORS)
def confirm(
    runtime: RuntimeDep, caller: Holder, handoff_id: HandoffId, key: IdempotencyKey = None
) -> dict[str, Any]:
    """The receiver confirms a handoff: the kilograms become its new lot."""
    signature = _signature("confirm", handoff=handoff_id)
    return _once(runtime, caller, key, signature,
                 lambda s: custody.confirm(s, caller, handoff_id))  # fmt: skip


@router.post("/handoffs/{handoff_id}/cancellation", responses=WRITE_ERRORS)
def cancel(
    runtime: RuntimeDep, caller: Holder, handoff_id: HandoffId, key: IdempotencyKey = None
) -> dict[str, Any]:
    """Either party withdraws a pending handoff; its kilograms are free again."""
    signature = _signature("cancel", handoff=handoff_id)
    return _once(runtime, caller, key, signature,
                 lambda s: custody.cancel(s, caller, handoff_id))  # fmt: skip


class InputIn(BaseModel):
    """Kilograms taken from one lot the caller holds."""

    model_config = ConfigDict(extra="forbid")
    lot: Identifier
    kg: Mass


class PelletsIn(BaseModel):
    """A recycler's processing run: its input lots, the pellets made and the declared yield."""

    model_config = ConfigDict(extra="forbid")
    inputs: list[InputIn] = Field(min_length=1, max_length=500)
    output_kg: Mass
    declared_yield_bp: int = Field(ge=1, le=10_000, description="8000 = 80 % of the inputs.")


def _inputs(items: list[InputIn]) -> list[tuple[str, int]]:
    return [(item.lot, grams_of_kg(item.kg, "inputs.kg")) for item in items]


@router.post("/pellets", responses=WRITE_ERRORS, status_code=201)
def process(
    runtime: RuntimeDep, caller: Holder, body: PelletsIn, key: IdempotencyKey = None
) -> dict[str, Any]:
    """Turn lots the caller holds at its recycler into pellets, within the declared yield.

    More than the inputs × the yield is refused, except within the scale's 3 points (flagged),
    never above the inputs; well under it is accepted and flagged as a loss.
    """
    inputs, output = _inputs(body.inputs), grams_of_kg(body.output_kg, "output_kg")
    return _once(runtime, caller, key, _signature("process", body), lambda s: custody.process(
        s, caller, inputs, output, body.declared_yield_bp))  # fmt: skip


class ProductIn(BaseModel):
    """A product made of pellets the caller holds; its id is the maker's own."""

    model_config = ConfigDict(extra="forbid")
    product_id: Identifier
    inputs: list[InputIn] = Field(min_length=1, max_length=500)
    kg: Mass


@router.post("/products", responses=WRITE_ERRORS, status_code=201)
def make_product(
    runtime: RuntimeDep, caller: Holder, body: ProductIn, key: IdempotencyKey = None
) -> dict[str, Any]:
    """Make a product of pellets; returns its QR code and the portal page it opens."""
    inputs, grams = _inputs(body.inputs), grams_of_kg(body.kg)
    return _once(runtime, caller, key, _signature("product", body), lambda s: custody.make_product(
        s, caller, inputs, body.product_id, grams))  # fmt: skip


@router.get("/products/{code}", responses=ERRORS)
def product(session: ReadSession, code: ProductCode) -> dict[str, Any]:
    """A product's custody: each collector's grams of it, every lot, and its sales."""
    return custody.trace(session, code) | {"sales": fund.sales_of(session, code)}


class SaleIn(BaseModel):
    """A sale of a product the caller made; the fund's share is the chain's, not the seller's."""

    model_config = ConfigDict(extra="forbid")
    yuan: Annotated[
        Decimal, Field(gt=0, le=10**13, decimal_places=2, allow_inf_nan=False,
                       description="The sale's amount in yuan, at most 2 decimals.")
    ]  # fmt: skip


@router.post("/products/{code}/sales", responses=WRITE_ERRORS, status_code=201)
def record_sale(
    runtime: RuntimeDep, caller: Holder, code: ProductCode, body: SaleIn,
    key: IdempotencyKey = None,
) -> dict[str, Any]:  # fmt: skip
    """Record a sale of a product the caller holds; the fund's share of it is owed."""
    cents = cents_of_yuan(body.yuan)
    signature = _signature("sale", body, product=code)
    return _once(runtime, caller, key, signature,
                 lambda s: fund.record_sale(s, caller, code, cents))  # fmt: skip


@router.get("/fund", responses=ERRORS)
def fund_state(
    session: ReadSession, runs: Annotated[int, Query(ge=1, le=100)] = 20
) -> dict[str, Any]:
    """The fund: its share of each sale, what it received, paid and owes, and its newest runs."""
    return fund.state(session, runs)


@router.post("/fund/payouts", responses=WRITE_ERRORS)
def pay_fund(runtime: RuntimeDep, caller: Operator, key: IdempotencyKey = None) -> dict[str, Any]:
    """Pay the fund's share of every unpaid sale to the collectors, by their kilograms."""
    return _once(runtime, caller, key, _signature("payout"), lambda s: fund.pay_fund(s, caller))
