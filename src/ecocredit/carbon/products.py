"""Reads of product systems: the process list, and a product's cradle-to-gate footprint.

The processes a product reaches through its inputs are loaded, their units converted to each
supplier's reference unit, their direct emissions turned into kilograms of each gas per run
(through factors where given), and the technology matrix solved (:mod:`.footprint`). The
answer carries the total, the top processes, the materials of the bill, a tree for a sunburst
chart and the effect of a 10 % change of each emission source.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecocredit.carbon import catalog, store, units
from ecocredit.carbon.footprint import (
    Exchange,
    ProcessSpec,
    ProductSystem,
    Solution,
    breakdown,
    build_system,
    footprint,
    intensities,
    solve,
    top_processes,
)
from ecocredit.carbon.tables import exchanges, processes
from ecocredit.errors import InvalidParameter, NotFound

SENSITIVITY_ROWS = 15
MAX_PROCESSES = 50_000  # a footprint solves at most this many processes
CACHED_SYSTEMS = 8  # built systems kept per database connection
CHANGE = 0.10  # the sensitivity table shows the effect of a 10 % change of each source


def product_list(session: Session) -> list[dict[str, Any]]:
    """Every process and product with its number of inputs."""
    counts: dict[str, int] = defaultdict(int)
    for (process,) in session.execute(
        select(exchanges.c.process).where(exchanges.c.kind == "input")
    ):
        counts[process] += 1
    rows = session.execute(select(processes).order_by(processes.c.kind.desc(), processes.c.code))
    return [
        {"code": r["code"], "name": r["name"], "kind": r["kind"], "unit": r["unit"],
         "output": r["output"], "inputs": counts[r["code"]], "sha256": r["sha256"],
         "ledger_index": r["ledger_index"]}
        for r in rows.mappings()
    ]  # fmt: skip


def _reachable(session: Session, root: str) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The processes ``root`` reaches through its inputs, and their exchanges.

    The graph of inputs is read in one query and walked in memory: a supply chain thousands
    of processes deep costs one round trip, not one per level.
    """
    edges: dict[str, list[str]] = defaultdict(list)
    graph = select(exchanges.c.process, exchanges.c.target).where(exchanges.c.kind == "input")
    for process, target in session.execute(graph):
        edges[process].append(target)
    reached, pending = {root}, [root]
    while pending:
        for target in edges.get(pending.pop(), ()):
            if target not in reached:
                reached.add(target)
                pending.append(target)
    if len(reached) > MAX_PROCESSES:
        raise InvalidParameter(
            f"{root!r} reaches {len(reached):,} processes; at most {MAX_PROCESSES:,} are solved",
            field="code",
        )
    found: dict[str, Any] = {}
    flows: dict[str, list[Any]] = {}
    codes = sorted(reached)
    for start in range(0, len(codes), 500):
        part = codes[start : start + 500]
        for row in session.execute(select(processes).where(processes.c.code.in_(part))).mappings():
            found[row["code"]] = dict(row)
            flows[row["code"]] = []
        query = select(exchanges).where(exchanges.c.process.in_(part))
        for flow in session.execute(query.order_by(exchanges.c.position)).mappings():
            flows[flow["process"]].append(dict(flow))
    if root not in found:
        raise NotFound(f"no process or product {root!r}", field="code")
    return found, flows


def _specs(
    session: Session, found: dict[str, Any], flows: dict[str, list[Any]]
) -> tuple[list[ProcessSpec], dict[tuple[str, str], dict[str, float]]]:
    """Process specs in kg per run, and each (process, source) emission's kg of each gas."""
    named = [f["target"] for fs in flows.values() for f in fs if f["kind"] == "factor"]
    factors = store.all_factors(session, named)
    specs, sources = [], {}
    for code, row in found.items():
        inputs: list[Exchange] = []
        gases: dict[str, float] = defaultdict(float)
        for flow in flows[code]:
            where = f"process {code}"
            if flow["kind"] == "input":
                supplier = found[flow["target"]]
                amount = flow["amount"] * units.multiplier(flow["unit"], supplier["unit"], where)
                inputs.append(Exchange(flow["target"], amount))
                continue
            if flow["kind"] == "gas":
                kg = {flow["target"]: flow["amount"] * units.multiplier(flow["unit"], "kg", where)}
            else:
                factor = factors[flow["target"]]
                per = flow["amount"] * units.multiplier(flow["unit"], factor.unit, where)
                kg = {gas: per * value for gas, value in factor.gases.items()}
            for gas, value in kg.items():
                gases[gas] += value
            sources[(code, flow["target"])] = kg
        specs.append(
            ProcessSpec(code, row["name"], row["unit"], row["output"], tuple(inputs), dict(gases))
        )
    return specs, sources


Built = tuple[ProductSystem, dict[tuple[str, str], dict[str, float]], dict[str, Any]]


def _system(session: Session, code: str) -> Built:
    """The product system ``code`` reaches, built (and factorised) once per definition state.

    Systems are kept on the database connection (``Connection.info``, which lives as long
    as the pooled connection), keyed by the product and the log index of the latest
    definition, so reading a footprint again costs no new factorisation.
    """
    state = session.execute(select(func.count(), func.max(processes.c.ledger_index))).one()
    key = ("carbon.system", code, tuple(state))
    cache = session.connection().info.setdefault("carbon.systems", {})
    if key not in cache:
        found, flows = _reachable(session, code)
        specs, sources = _specs(session, found, flows)
        if len(cache) >= CACHED_SYSTEMS:
            cache.pop(next(iter(cache)))
        cache[key] = (build_system(specs), sources, found)
    built: Built = cache[key]
    return built


def _weights(gwp: str) -> dict[str, float]:
    sets = catalog.gwp_sets()
    if gwp not in sets:
        raise InvalidParameter(f"gwp: one of {', '.join(sets)}", field="gwp")
    return dict(sets[gwp])


def product_footprint(
    session: Session, code: str, amount: float = 1.0, gwp: str = "AR6"
) -> dict[str, Any]:
    """The cradle-to-gate footprint of ``amount`` units of a product, with its breakdown."""
    if not (0 < amount < 1e12):
        raise InvalidParameter("amount must be > 0", field="amount")
    weights = _weights(gwp)
    system, sources, found = _system(session, code)
    solution = solve(system, {code: amount})
    total = footprint(solution, weights)
    per_unit = intensities(system, weights)
    root = found[code]
    return {
        "product": code, "name": root["name"], "unit": root["unit"], "amount": amount,
        "gwp_set": gwp, "kg_co2e": total,
        "gases_kg": {g: float(v) for g, v in zip(system.gases, solution.inventory, strict=True)},
        "processes": len(system.codes),
        "top_processes": [asdict(c) for c in top_processes(system, solution, weights)],
        "materials": _materials(system, solution, found, code, per_unit, total),
        "tree": breakdown(system, weights, code, amount).as_dict(),
        "sensitivity": _sensitivity(system, solution, sources, weights, found, total),
    }  # fmt: skip


def _materials(
    system: ProductSystem, solution: Solution, found: dict[str, Any], code: str,
    per_unit: Any, total: float,
) -> list[dict[str, Any]]:  # fmt: skip
    """The product's direct inputs (its bill of materials) and their cradle-to-gate share."""
    i = system.index[code]
    column = system.technosphere[:, [i]].toarray().ravel()
    runs = float(solution.supply[i])
    rows = []
    for j in column.nonzero()[0]:
        if j == i:
            continue
        used = -float(column[j]) * runs
        kg = used * float(per_unit[j])
        supplier = found[system.codes[j]]
        rows.append(
            {"code": supplier["code"], "name": supplier["name"], "amount": used,
             "unit": supplier["unit"], "kg_co2e": kg, "share": kg / total if total else 0.0}
        )  # fmt: skip
    return sorted(rows, key=lambda r: -abs(r["kg_co2e"]))


def what_if(
    session: Session, code: str, source: str, change_percent: float,
    amount: float = 1.0, gwp: str = "AR6",
) -> dict[str, Any]:  # fmt: skip
    """The footprint with one emission source (a gas or a factor id) changed by a percentage.

    Emissions do not enter the technology matrix, so the supply stays as solved and the
    change is exact: each process emitting through ``source`` changes by its runs times the
    change of that source per run.
    """
    if not (-100.0 <= change_percent <= 1000.0):
        raise InvalidParameter(
            "change_percent must be between -100 and 1000", field="change_percent"
        )
    weights = _weights(gwp)
    system, sources, _ = _system(session, code)
    if not any(key[1] == source for key in sources):
        raise InvalidParameter(f"no process of {code!r} emits through {source!r}", field="source")
    solution = solve(system, {code: amount})
    before = footprint(solution, weights)
    change = sum(
        float(solution.supply[system.index[process]])
        * sum(value * weights[gas] for gas, value in kg.items())
        * change_percent
        / 100.0
        for (process, emitted), kg in sources.items()
        if emitted == source
    )
    return {
        "product": code, "source": source, "change_percent": change_percent,
        "kg_co2e_before": before, "kg_co2e_after": before + change, "change_kg_co2e": change,
    }  # fmt: skip


def _sensitivity(
    system: ProductSystem,
    solution: Solution,
    sources: dict[tuple[str, str], dict[str, float]],
    weights: dict[str, float],
    found: dict[str, Any],
    total: float,
) -> list[dict[str, Any]]:
    """The change of the footprint when one emission source of one process changes by 10 %."""
    rows = []
    for (code, source), kg in sources.items():
        per_run = sum(value * weights[gas] for gas, value in kg.items())
        runs = float(solution.supply[system.index[code]])
        change = runs * per_run * CHANGE
        rows.append(
            {"process": code, "name": found[code]["name"], "gas": source,
             "kg_per_run": per_run, "change_kg_co2e_per_10_percent": change,
             "share": change / total if total else 0.0}
        )  # fmt: skip
    rows.sort(key=lambda r: -abs(r["change_kg_co2e_per_10_percent"]))
    return rows[:SENSITIVITY_ROWS]
