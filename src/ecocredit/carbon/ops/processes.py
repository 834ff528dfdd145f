"""Define the processes and products of product systems; each definition is logged by hash.

A definition gives the process's reference product (unit and output per run), its inputs
(other processes' products, in any unit that converts to theirs) and its direct emissions
(kilograms of a gas, or a quantity of an activity times a factor). A product is a process
whose inputs are its bill of materials. Several definitions are written together, so a
cycle (power needs coal, coal mining needs power) is defined in one call.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import rfc8785
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal, Role
from ecocredit.carbon import catalog, store, units
from ecocredit.carbon.model import CODE_PATTERN, MAX_QUANTITY, Factor
from ecocredit.carbon.ops.common import lock_log, require_reporter
from ecocredit.carbon.tables import exchanges, processes
from ecocredit.errors import InvalidParameter, PermissionDenied
from ecocredit.ledger import service as ledger
from ecocredit.ledger.events import CARBON_PROCESS_DEFINED
from ecocredit.text import check_text

MAX_EXCHANGES = 500
MAX_DEFINITIONS = 20_000
KINDS = ("process", "product")


@dataclass(frozen=True)
class Flow:
    """An input (``supplier``) or a direct emission (``gas`` or ``factor_id``) per run."""

    amount: float
    unit: str
    supplier: str | None = None
    gas: str | None = None
    factor_id: str | None = None


@dataclass(frozen=True)
class Definition:
    """One process or product as given."""

    code: str
    name: str
    unit: str
    output: float = 1.0
    kind: str = "process"
    inputs: tuple[Flow, ...] = ()
    emissions: tuple[Flow, ...] = ()

    def sha256(self) -> str:
        """SHA-256 of the definition's canonical JSON (RFC 8785), as logged."""
        return hashlib.sha256(rfc8785.dumps(asdict(self))).hexdigest()


def _amount(value: float, where: str) -> None:
    if not math.isfinite(value) or value < 0 or value > MAX_QUANTITY:
        raise InvalidParameter(f"{where}: must be a finite amount >= 0", field=where)


def _check_flow(
    flow: Flow, where: str, unit_of: Mapping[str, str], factors: Mapping[str, Factor]
) -> None:
    """One input or emission: well formed, and in a unit its footprint will convert."""
    _amount(flow.amount, f"{where}.amount")
    units.parse(flow.unit, f"{where}.unit")
    given = [x for x in (flow.supplier, flow.gas, flow.factor_id) if x is not None]
    if len(given) != 1:
        raise InvalidParameter(
            f"{where}: give exactly one of supplier, gas, factor_id", field=where
        )
    if flow.supplier is not None:
        if flow.supplier not in unit_of:
            raise InvalidParameter(
                f"{where}.supplier: no process {flow.supplier[:64]!r} (define it in the same "
                "call or before)",
                field=f"{where}.supplier",
            )
        units.multiplier(flow.unit, unit_of[flow.supplier], f"{where}.unit")
    if flow.gas is not None:
        if flow.gas not in catalog.gwp_sets()["AR6"]:
            raise InvalidParameter(f"{where}.gas: unknown gas {flow.gas[:20]!r}", field=where)
        units.multiplier(flow.unit, "kg", f"{where}.unit")
    if flow.factor_id is not None:
        factor = factors.get(flow.factor_id)
        if factor is None:
            raise InvalidParameter(
                f"{where}.factor_id: unknown factor {flow.factor_id[:128]!r}", field=where
            )
        units.multiplier(flow.unit, factor.unit, f"{where}.unit")


def check(
    definitions: Sequence[Definition], known: Mapping[str, str], factors: Mapping[str, Factor]
) -> None:
    """Every definition well formed; suppliers among ``known`` (code: unit) or the definitions."""
    if not definitions or len(definitions) > MAX_DEFINITIONS:
        raise InvalidParameter(f"give 1 to {MAX_DEFINITIONS} definitions", field="processes")
    codes = [d.code for d in definitions]
    if len(set(codes)) != len(codes):
        raise InvalidParameter("a process code is given twice", field="processes")
    for i, d in enumerate(definitions):
        where = f"processes[{i}]"
        if not re.fullmatch(CODE_PATTERN, d.code):
            raise InvalidParameter(f"{where}.code: not a code", field=f"{where}.code")
        check_text(d.name, f"{where}.name", 200)
        units.parse(d.unit, f"{where}.unit")
    unit_of = {**known, **{d.code: d.unit for d in definitions}}
    for i, d in enumerate(definitions):
        where = f"processes[{i}]"
        if d.kind not in KINDS:
            raise InvalidParameter(f"{where}.kind: process or product", field=f"{where}.kind")
        if not (math.isfinite(d.output) and 0 < d.output <= MAX_QUANTITY):
            raise InvalidParameter(f"{where}.output: must be > 0", field=f"{where}.output")
        if len(d.inputs) + len(d.emissions) > MAX_EXCHANGES:
            raise InvalidParameter(f"{where}: at most {MAX_EXCHANGES} exchanges", field=where)
        for j, flow in enumerate(d.inputs):
            _check_flow(flow, f"{where}.inputs[{j}]", unit_of, factors)
        for j, flow in enumerate(d.emissions):
            _check_flow(flow, f"{where}.emissions[{j}]", unit_of, factors)


def _check_users(session: Session, definitions: Sequence[Definition]) -> None:
    """A process given a new unit must still serve the processes that take it as an input."""
    new_unit = {d.code: d.unit for d in definitions}
    redefined = set(new_unit)
    query = select(exchanges.c.process, exchanges.c.target, exchanges.c.unit).where(
        exchanges.c.kind == "input", exchanges.c.target.in_(list(redefined)[:MAX_DEFINITIONS])
    )
    for user, supplier, unit in session.execute(query):
        if user in redefined:
            continue  # redefined in the same call: checked with its new inputs above
        units.multiplier(unit, new_unit[supplier], f"process {user} (an input of {supplier})")


def define(session: Session, definitions: Sequence[Definition], actor: Principal) -> list[str]:
    """Define (or redefine, if the actor owns them) processes; return their codes."""
    lock_log(session)
    actor = require_reporter(session, actor)
    rows = session.execute(select(processes.c.code, processes.c.owner, processes.c.unit)).all()
    owners = {code: owner for code, owner, _ in rows}
    named = [f.factor_id for d in definitions for f in d.emissions if f.factor_id]
    check(definitions, {code: unit for code, _, unit in rows}, store.all_factors(session, named))
    _check_users(session, definitions)
    now = datetime.now(UTC)
    for d in definitions:
        owner = owners.get(d.code)
        if owner is not None and owner != actor.name and not actor.has(Role.ADMIN):
            raise PermissionDenied(f"process {d.code!r} belongs to {owner!r}")
        data = {
            "code": d.code, "name": d.name.strip(), "kind": d.kind, "unit": d.unit,
            "output": float(d.output), "exchanges": len(d.inputs) + len(d.emissions),
            "sha256": d.sha256(),
        }  # fmt: skip
        index = ledger.record(session, CARBON_PROCESS_DEFINED, actor.name, data)
        session.execute(delete(exchanges).where(exchanges.c.process == d.code))
        session.execute(delete(processes).where(processes.c.code == d.code))
        values = {k: v for k, v in data.items() if k != "exchanges"}
        session.execute(
            processes.insert().values(
                **values, owner=owner or actor.name, ledger_index=index, created_at=now
            )
        )
        _write_flows(session, d)
    return [d.code for d in definitions]


def _write_flows(session: Session, d: Definition) -> None:
    rows = []
    for position, flow in enumerate([*d.inputs, *d.emissions]):
        if flow.supplier is not None:
            kind, target = "input", flow.supplier
        elif flow.gas is not None:
            kind, target = "gas", flow.gas
        else:
            kind, target = "factor", str(flow.factor_id)
        rows.append(
            {"process": d.code, "position": position, "kind": kind, "target": target,
             "amount": float(flow.amount), "unit": flow.unit}
        )  # fmt: skip
    if rows:
        session.execute(exchanges.insert(), rows)
