"""HTTP API of product systems: define processes and products, read footprints.

``POST /v1/carbon/processes`` takes ``{"processes": [...]}`` (see
:mod:`ecocredit.carbon.process_io`) and needs the role ``reporter``; the reads are public.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from ecocredit.api_deps import ReadSession, RuntimeDep
from ecocredit.carbon import process_io, products
from ecocredit.carbon.api import ERRORS, WRITE_ERRORS, Reporter
from ecocredit.carbon.model import CODE_PATTERN, FACTOR_ID_PATTERN
from ecocredit.carbon.ops.processes import define

router = APIRouter(prefix="/v1/carbon", tags=["carbon"])
Code = Annotated[str, Path(max_length=64, pattern=CODE_PATTERN, description="Product code.")]
Amount = Annotated[float, Query(gt=0, lt=1e12, description="Amount of the reference unit.")]
Gwp = Annotated[str, Query(pattern="^(SAR|AR4|AR5|AR6)$", description="GWP100 set.")]


@router.get("/processes")
def process_list(session: ReadSession) -> list[dict[str, Any]]:
    """Every process and product of the product systems."""
    return products.product_list(session)


@router.post("/processes", responses=WRITE_ERRORS, status_code=201)
def define_processes(
    runtime: RuntimeDep,
    caller: Reporter,
    body: Annotated[
        dict[str, Any],
        Body(description='{"processes": [{code, name, unit, output, inputs, emissions}]}'),
    ],
) -> dict[str, Any]:
    """Define or redefine processes and products (one transaction; cycles allowed)."""
    definitions = process_io.parse(body)
    codes = runtime.db.write(lambda s: define(s, definitions, caller))
    runtime.sign_checkpoint()
    return {"defined": codes}


@router.get("/products/{code}/footprint", responses=ERRORS)
def product_footprint(
    session: ReadSession, code: Code, amount: Amount = 1.0, gwp: Gwp = "AR6"
) -> dict[str, Any]:
    """Cradle-to-gate footprint: total, gases, top processes, materials, tree, sensitivity."""
    return products.product_footprint(session, code, amount, gwp)


@router.get("/products/{code}/what-if", responses=ERRORS)
def what_if(
    session: ReadSession,
    code: Code,
    source: Annotated[
        str, Query(max_length=128, pattern=FACTOR_ID_PATTERN, description="Gas or factor id.")
    ],
    change_percent: Annotated[float, Query(ge=-100, le=1000)],
    amount: Amount = 1.0,
    gwp: Gwp = "AR6",
) -> dict[str, Any]:
    """The footprint re-solved with one emission source (a gas or a factor) changed."""
    return products.what_if(session, code, source, change_percent, amount, gwp)
