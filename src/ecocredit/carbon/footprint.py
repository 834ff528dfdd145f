"""Product carbon footprints: a product system of processes, solved as a sparse linear system.

Each process makes ``output`` units of one product per run, uses the products of other
processes and emits greenhouse gases. With the technology matrix ``A`` (outputs on the diagonal,
minus the inputs elsewhere) and the emission matrix ``B`` (kg of each gas per run), a final
demand ``f`` needs ``s = A⁻¹ f`` runs of each process and emits ``g = B s``. Loops (electricity
for coal mining, coal for electricity) are allowed; they are solved exactly, not truncated.

Everything here is pure computation on data the caller has loaded and converted to each
supplier's unit; see ``footprint_linalg`` for the factorisation and ``footprint_tree`` for the
breakdown tree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from numbers import Real

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]

from ecocredit.carbon.footprint_linalg import Factor, FloatArray, factorise
from ecocredit.carbon.footprint_tree import MAX_DEPTH, Node, TreeData, build_tree
from ecocredit.errors import InvalidParameter

__all__ = [
    "Contribution",
    "Exchange",
    "Node",
    "ProcessSpec",
    "ProductSystem",
    "Solution",
    "breakdown",
    "build_system",
    "footprint",
    "intensities",
    "sensitivity",
    "solve",
    "top_processes",
]


@dataclass(frozen=True)
class Exchange:
    """An input of ``amount`` units of the supplier's product, already in the supplier's unit."""

    supplier: str
    amount: float


@dataclass(frozen=True)
class ProcessSpec:
    """One process: per run it makes ``output`` units, uses ``inputs`` and emits kg of gases."""

    code: str
    name: str
    unit: str
    output: float
    inputs: tuple[Exchange, ...]
    emissions: Mapping[str, float]


@dataclass(frozen=True, eq=False)
class ProductSystem:
    """The matrices of a product system; the LU factorisation is made once, on first use.

    ``inputs`` holds the amounts each process uses per run (``inputs[j, i]`` of ``j`` by ``i``);
    ``technosphere`` is ``diag(outputs) - inputs`` and ``emissions`` is kg of gas per run.
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    units: tuple[str, ...]
    index: dict[str, int]
    outputs: FloatArray
    inputs: sp.csc_matrix
    technosphere: sp.csc_matrix
    gases: tuple[str, ...]
    emissions: FloatArray

    @cached_property
    def factor(self) -> Factor:
        """The LU factorisation of ``technosphere``; raises InvalidParameter if unsolvable."""
        return factorise(self.technosphere, self.codes)


@dataclass(frozen=True, eq=False)
class Solution:
    """Runs of each process (``supply``, in ``ProductSystem.codes`` order) and kg of each gas."""

    demand: Mapping[str, float]
    supply: FloatArray
    gases: tuple[str, ...]
    inventory: FloatArray = field(repr=False)

    def by_gas(self) -> dict[str, float]:
        """Return the inventory as kg per gas."""
        return {gas: float(kg) for gas, kg in zip(self.gases, self.inventory, strict=True)}


@dataclass(frozen=True)
class Contribution:
    """The direct emissions of one process (``code`` None for the rest) in kg CO2e and share."""

    code: str | None
    name: str
    kg_co2e: float
    share: float


def build_system(processes: Sequence[ProcessSpec]) -> ProductSystem:
    """Check the processes and build the technology and emission matrices."""
    if not processes:
        raise InvalidParameter("a product system needs at least one process", field="processes")
    index = _index_codes(processes)
    rows: list[int] = []
    cols: list[int] = []
    amounts: list[float] = []
    for i, process in enumerate(processes):
        _check_output(process, i)
        for k in range(len(process.inputs)):
            rows.append(_supplier_index(index, process, i, k))
            cols.append(i)
            amounts.append(_check_amount(process, i, k))
    n = len(processes)
    inputs = sp.csc_matrix((amounts, (rows, cols)), shape=(n, n), dtype=np.float64)
    inputs.sum_duplicates()  # two exchanges from one supplier are one entry
    outputs = np.array([float(p.output) for p in processes], dtype=np.float64)
    gases, emissions = _emission_matrix(processes)
    return ProductSystem(
        codes=tuple(p.code for p in processes),
        names=tuple(p.name for p in processes),
        units=tuple(p.unit for p in processes),
        index=index,
        outputs=outputs,
        inputs=inputs,
        technosphere=(sp.diags(outputs, format="csc") - inputs).tocsc(),
        gases=gases,
        emissions=emissions,
    )


def _index_codes(processes: Sequence[ProcessSpec]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, process in enumerate(processes):
        if not isinstance(process.code, str) or not process.code:
            raise InvalidParameter(f"process number {i} has no code", field=f"processes[{i}].code")
        if process.code in index:
            raise InvalidParameter(
                f"process code {process.code!r} is used twice (processes "
                f"{index[process.code]} and {i}); codes must be unique",
                field=f"processes[{i}].code",
            )
        index[process.code] = i
    return index


def _check_output(process: ProcessSpec, i: int) -> None:
    if not _finite(process.output) or float(process.output) <= 0:
        raise InvalidParameter(
            f"process {process.code!r} has output {process.output!r}; it must be a positive "
            "number of units per run",
            field=f"processes[{i}].output",
        )


def _supplier_index(index: Mapping[str, int], process: ProcessSpec, i: int, k: int) -> int:
    supplier = process.inputs[k].supplier
    if supplier not in index:
        raise InvalidParameter(
            f"process {process.code!r} uses {supplier!r}, which is not a process of this "
            "product system",
            field=f"processes[{i}].inputs[{k}].supplier",
        )
    return index[supplier]


def _check_amount(process: ProcessSpec, i: int, k: int) -> float:
    exchange = process.inputs[k]
    if not _finite(exchange.amount) or float(exchange.amount) < 0:
        raise InvalidParameter(
            f"process {process.code!r} uses {exchange.amount!r} of {exchange.supplier!r}; an "
            "input amount must be a finite number, zero or more",
            field=f"processes[{i}].inputs[{k}].amount",
        )
    return float(exchange.amount)


def _emission_matrix(processes: Sequence[ProcessSpec]) -> tuple[tuple[str, ...], FloatArray]:
    gases = tuple(sorted({gas for p in processes for gas in p.emissions}))
    row = {gas: g for g, gas in enumerate(gases)}
    emissions = np.zeros((len(gases), len(processes)), dtype=np.float64)
    for i, process in enumerate(processes):
        for gas, kg in process.emissions.items():
            # Negative emissions (uptake) are allowed; only non-numbers are rejected.
            if not isinstance(gas, str) or not gas or not _finite(kg):
                raise InvalidParameter(
                    f"process {process.code!r} emits {kg!r} kg of {gas!r}; gases need a name "
                    "and a finite number of kg per run",
                    field=f"processes[{i}].emissions[{gas}]",
                )
            emissions[row[gas], i] = float(kg)
    return gases, emissions


def _finite(value: object) -> bool:
    # numbers.Real takes NumPy scalars too; True and False are not amounts.
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def solve(system: ProductSystem, demand: Mapping[str, float]) -> Solution:
    """Return the runs of each process and the kg of each gas that meet ``demand``."""
    final = np.zeros(len(system.codes), dtype=np.float64)
    for code, amount in demand.items():
        if code not in system.index:
            raise InvalidParameter(
                f"the demand asks for {code!r}, which is not a process of this product system",
                field="demand",
            )
        if not _finite(amount):
            raise InvalidParameter(
                f"the demand for {code!r} is {amount!r}; it must be a finite number",
                field="demand",
            )
        final[system.index[code]] += float(amount)
    supply = system.factor.solve(final)
    return Solution(
        demand=dict(demand),
        supply=supply,
        gases=system.gases,
        inventory=system.emissions @ supply,
    )


def weight_vector(gases: Sequence[str], weights: Mapping[str, float]) -> FloatArray:
    """Return the weight of each gas in ``gases``; every gas emitted must have one."""
    missing = [gas for gas in gases if gas not in weights]
    if missing:
        raise InvalidParameter(
            f"no weight (GWP) is given for {', '.join(map(repr, missing))}; give 0 to leave a "
            "gas out on purpose",
            field="weights",
        )
    vector = np.array([weights[gas] for gas in gases], dtype=np.float64)
    if not np.all(np.isfinite(vector)):
        raise InvalidParameter("weights must be finite numbers", field="weights")
    return vector


def direct_intensities(system: ProductSystem, weights: Mapping[str, float]) -> FloatArray:
    """Return each process's own emissions per run in kg CO2e (wᵀB)."""
    result: FloatArray = weight_vector(system.gases, weights) @ system.emissions
    return result


def intensities(system: ProductSystem, weights: Mapping[str, float]) -> FloatArray:
    """Return kg CO2e per unit of each process's product, cradle to gate: λ = A⁻ᵀ (wᵀB)."""
    return system.factor.solve_transposed(direct_intensities(system, weights))


def footprint(solution: Solution, weights: Mapping[str, float]) -> float:
    """Return the footprint of a solution in kg CO2e."""
    return float(weight_vector(solution.gases, weights) @ solution.inventory)


def top_processes(
    system: ProductSystem, solution: Solution, weights: Mapping[str, float], limit: int = 10
) -> list[Contribution]:
    """Return the processes whose own emissions weigh most, largest first, and the rest summed.

    Processes that contribute nothing are left out; the entries add up to the footprint.
    """
    if limit < 1:
        raise InvalidParameter("limit must be 1 or more", field="limit")
    _check_fits(system, solution)
    values = solution.supply * direct_intensities(system, weights)
    total = float(values.sum())
    nonzero = np.flatnonzero(values)
    ranked = nonzero[np.argsort(-np.abs(values[nonzero]), kind="stable")]

    def share(kg: float) -> float:
        return kg / total if total else 0.0

    result = [
        Contribution(system.codes[i], system.names[i], float(values[i]), share(float(values[i])))
        for i in ranked[:limit]
    ]
    if len(ranked) > limit:
        rest, others = float(values[ranked[limit:]].sum()), len(ranked) - limit
        label = f"{others} other process" + ("es" if others > 1 else "")
        result.append(Contribution(None, label, rest, share(rest)))
    return result


def _check_fits(system: ProductSystem, solution: Solution) -> None:
    if solution.supply.shape != (len(system.codes),) or solution.gases != system.gases:
        raise InvalidParameter(
            "the solution was computed for another product system", field="solution"
        )


def breakdown(
    system: ProductSystem,
    weights: Mapping[str, float],
    root: str,
    amount: float,
    depth: int = 4,
    cutoff: float = 0.005,
) -> Node:
    """Return the footprint of ``amount`` units of ``root`` as a tree of emissions and inputs.

    Every node with children is worth the sum of its children; children worth less than
    ``cutoff`` of the root (in absolute value) are summed into one "other" child, and nodes
    ``depth`` levels below the root have no children, which also ends loops.
    """
    if root not in system.index:
        raise InvalidParameter(f"{root!r} is not a process of this product system", field="root")
    if not _finite(amount):
        raise InvalidParameter("amount must be a finite number", field="amount")
    if not isinstance(depth, int) or not 0 <= depth <= MAX_DEPTH:
        raise InvalidParameter(f"depth must be a whole number from 0 to {MAX_DEPTH}", field="depth")
    if not _finite(cutoff) or not 0 <= cutoff < 1:
        raise InvalidParameter("cutoff must be a share from 0 up to (not incl.) 1", field="cutoff")
    data = TreeData(
        codes=system.codes,
        names=system.names,
        units=system.units,
        outputs=system.outputs,
        inputs=system.inputs,
        direct=direct_intensities(system, weights),
        cumulative=intensities(system, weights),
    )
    return build_tree(data, system.index[root], float(amount), depth, float(cutoff))


def sensitivity(
    system: ProductSystem,
    solution: Solution,
    process: str,
    gas: str,
    delta_kg_per_run: float,
    weights: Mapping[str, float],
) -> float:
    """Return the change in footprint (kg CO2e) if ``process`` emitted ``delta`` more kg of ``gas``.

    The footprint is linear in the emissions and supply does not depend on them, so the change
    is the runs of the process times the change times the weight of the gas.
    """
    _check_fits(system, solution)
    if process not in system.index:
        raise InvalidParameter(
            f"{process!r} is not a process of this product system", field="process"
        )
    if gas not in weights or not _finite(weights[gas]):
        raise InvalidParameter(f"no finite weight (GWP) is given for {gas!r}", field="weights")
    if not _finite(delta_kg_per_run):
        raise InvalidParameter("the change must be a finite number", field="delta_kg_per_run")
    runs = float(solution.supply[system.index[process]])
    return runs * float(delta_kg_per_run) * float(weights[gas])
