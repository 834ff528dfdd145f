"""Time the product-footprint solver against Brightway's bw2calc 3.1 on the same product system.

The system is random but seeded. Each process makes 0.5 to 5 units per run and uses 5 to 10
products: most from processes further up a hidden supply-chain order, one in five from one of
the ``processes // 100`` hubs (think electricity, transport, packaging), which sit anywhere in
that order, so that hubs and the processes around them form loops, nested ones included, as
in real databases. Each process's inputs add up to 20-80 % of its output, so the system is
productive. The processes are then listed in random order, as a user's data would be.

Timed, as the median of ``repeats`` runs:

* ours, build and solve: ``build_system`` from the ``ProcessSpec`` list, ``solve`` for one unit
  of the most downstream product (the LU factorisation included) and ``footprint``;
* ours, solve only: ``solve`` and ``footprint`` on a freshly built system (factorisation
  included, building not);
* bw2calc: ``LCA(demand, data_objs=[datapackage])``, ``lci()`` and ``lcia()`` on an in-memory
  bw_processing datapackage of the same numbers (building the datapackage is not timed).

The two scores must agree to 1e-9 relative. bw2calc and bw_processing have no type hints and
are loaded with ``importlib``, which types them as ``Any``.
"""

from __future__ import annotations

import importlib
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ecocredit.carbon.footprint import (
    Exchange,
    ProcessSpec,
    build_system,
    footprint,
    solve,
)

GWP = {"CO2": 1.0, "CH4": 27.0, "N2O": 273.0}
SEED = 20_260_101


def make_processes(n: int, seed: int = SEED) -> tuple[list[ProcessSpec], str]:
    """Return ``n`` random processes in random order and the code of the most downstream one."""
    rng = np.random.default_rng(seed)
    hubs = rng.choice(n, max(1, n // 100), replace=False)
    outputs = rng.uniform(0.5, 5.0, n)
    processes = []
    for rank in range(n):
        count = int(rng.integers(5, 11))
        from_hub = (rng.random(count) < 0.2) | (rank == 0)
        upstream = rng.integers(0, max(rank, 1), count)
        suppliers = np.unique(np.where(from_hub, rng.choice(hubs, count), upstream))
        suppliers = suppliers[suppliers != rank]
        shares = rng.random(len(suppliers))
        amounts = shares / shares.sum() * outputs[rank] * rng.uniform(0.2, 0.8)
        processes.append(
            ProcessSpec(
                code=f"p{rank}",
                name=f"process {rank}",
                unit="kg",
                output=float(outputs[rank]),
                inputs=tuple(
                    Exchange(f"p{j}", float(a)) for j, a in zip(suppliers, amounts, strict=True)
                ),
                emissions=_emissions(rng),
            )
        )
    order = rng.permutation(n)
    return [processes[i] for i in order], f"p{n - 1}"


def _emissions(rng: np.random.Generator) -> dict[str, float]:
    emissions = {"CO2": float(rng.uniform(0.0, 10.0))}
    if rng.random() < 0.3:
        emissions["CH4"] = float(rng.uniform(0.0, 0.05))
    if rng.random() < 0.1:
        emissions["N2O"] = float(rng.uniform(0.0, 0.005))
    return emissions


def bw_datapackage(processes: list[ProcessSpec]) -> Any:
    """Return a bw_processing in-memory datapackage with the same matrices as ``processes``.

    Process ``i`` (in list order) has id ``i + 1`` for both its activity and its product; the
    gases come after. Inputs are stored as positive amounts with the flip flag, as Brightway
    stores them.
    """
    bwp = importlib.import_module("bw_processing")
    ids = {p.code: i + 1 for i, p in enumerate(processes)}
    gas_ids = {gas: len(processes) + 1 + g for g, gas in enumerate(GWP)}
    rows, cols, values, flips = [], [], [], []
    for p in processes:
        rows.append(ids[p.code])
        cols.append(ids[p.code])
        values.append(p.output)
        flips.append(False)
        for exchange in p.inputs:
            rows.append(ids[exchange.supplier])
            cols.append(ids[p.code])
            values.append(exchange.amount)
            flips.append(True)
    package = bwp.create_datapackage()
    package.add_persistent_vector(
        matrix="technosphere_matrix",
        indices_array=_indices(bwp, rows, cols),
        data_array=np.array(values, dtype=np.float64),
        flip_array=np.array(flips, dtype=bool),
    )
    emitted = [(gas_ids[g], ids[p.code], kg) for p in processes for g, kg in p.emissions.items()]
    package.add_persistent_vector(
        matrix="biosphere_matrix",
        indices_array=_indices(bwp, [e[0] for e in emitted], [e[1] for e in emitted]),
        data_array=np.array([e[2] for e in emitted], dtype=np.float64),
    )
    package.add_persistent_vector(
        matrix="characterization_matrix",
        indices_array=_indices(bwp, list(gas_ids.values()), [0] * len(gas_ids)),
        data_array=np.array([GWP[g] for g in gas_ids], dtype=np.float64),
    )
    return package


def _indices(bwp: Any, rows: list[int], cols: list[int]) -> Any:
    indices = np.empty(len(rows), dtype=bwp.INDICES_DTYPE)
    indices["row"] = rows
    indices["col"] = cols
    return indices


def _median_time(work: Callable[[], float], repeats: int) -> tuple[float, float]:
    """Run ``work`` ``repeats`` times; return the median seconds and the last result."""
    times, result = [], 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def solve_figures(processes: int = 10_000, repeats: int = 5) -> dict[str, float | int]:
    """Time ours and bw2calc on one random system of ``processes`` processes; see the module."""
    specs, final = make_processes(processes)
    demand = {final: 1.0}

    def ours() -> float:
        return footprint(solve(build_system(specs), demand), GWP)

    built = [build_system(specs) for _ in range(repeats)]  # each one factorises afresh

    def ours_solve_only() -> float:
        return footprint(solve(built.pop(), demand), GWP)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bw2calc warns that no PARDISO or UMFPACK is installed
        bw2calc = importlib.import_module("bw2calc")
    package = bw_datapackage(specs)
    final_id = 1 + [p.code for p in specs].index(final)

    def theirs() -> float:
        lca = bw2calc.LCA(demand={final_id: 1.0}, data_objs=[package])
        lca.lci()
        lca.lcia()
        return float(lca.score)

    solve_s, kg = _median_time(ours, repeats)
    solve_only_s, _ = _median_time(ours_solve_only, repeats)
    bw_s, bw_kg = _median_time(theirs, repeats)
    assert abs(kg - bw_kg) <= 1e-9 * abs(bw_kg), (kg, bw_kg)
    return {
        "solve_10k_s": solve_s,
        "solve_only_10k_s": solve_only_s,
        "bw2calc_solve_10k_s": bw_s,
        "footprint_kg": kg,
        "bw2calc_kg": bw_kg,
        "processes": processes,
    }


if __name__ == "__main__":
    print(solve_figures())
