"""The product-footprint solver: hand-solved systems, loops, the breakdown tree and bad input."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecocredit.carbon.footprint import (
    Exchange,
    Node,
    ProcessSpec,
    ProductSystem,
    breakdown,
    build_system,
    footprint,
    intensities,
    sensitivity,
    solve,
    top_processes,
)
from ecocredit.carbon.footprint_linalg import _kahn_rank, elimination_order
from ecocredit.errors import InvalidParameter

GWP = {"CO2": 1.0, "CH4": 27.0, "N2O": 273.0}


def proc(
    code: str,
    output: float = 1.0,
    inputs: Mapping[str, float] | None = None,
    emissions: Mapping[str, float] | None = None,
    unit: str = "kg",
) -> ProcessSpec:
    exchanges = tuple(Exchange(s, a) for s, a in (inputs or {}).items())
    return ProcessSpec(code, code.title(), unit, output, exchanges, dict(emissions or {}))


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


# Electricity burns 0.1 kg coal per kWh; coal mining uses 0.05 kWh per kg of coal.
COAL_LOOP = [
    proc("elec", inputs={"coal": 0.1}, emissions={"CO2": 0.9}, unit="kWh"),
    proc("coal", inputs={"elec": 0.05}, emissions={"CO2": 0.02, "CH4": 0.01}),
]


def test_linear_chain_solved_by_hand() -> None:
    # Steel: 2 kg per run from 4 kWh and 1 kg ore; ore mining uses 0.1 kWh per kg.
    system = build_system(
        [
            proc("steel", 2.0, {"elec": 4.0, "ore": 1.0}, {"CO2": 3.6}),
            proc("elec", 1.0, {}, {"CO2": 0.5}, unit="kWh"),
            proc("ore", 1.0, {"elec": 0.1}, {"CH4": 0.01}),
        ]
    )
    solution = solve(system, {"steel": 10.0})
    runs = dict(zip(system.codes, solution.supply, strict=True))
    assert runs == pytest.approx({"steel": 5.0, "elec": 20.5, "ore": 5.0}, rel=1e-12)
    assert solution.by_gas() == pytest.approx({"CO2": 28.25, "CH4": 0.05}, rel=1e-12)
    assert footprint(solution, GWP) == pytest.approx(28.25 + 0.05 * 27, rel=1e-12)
    assert system.technosphere.toarray() == pytest.approx(
        np.array([[2.0, 0, 0], [-4.0, 1.0, -0.1], [-1.0, 0, 1.0]])
    )


def test_two_process_loop_matches_exact_fractions() -> None:
    system = build_system(COAL_LOOP)
    solution = solve(system, {"elec": 1.0})
    # s_e = 1 + 0.05 s_c and s_c = 0.1 s_e, so s_e = 1/0.995 = 200/199 and s_c = 20/199.
    s_e, s_c = Fraction(200, 199), Fraction(20, 199)
    co2 = Fraction("0.9") * s_e + Fraction("0.02") * s_c
    ch4 = Fraction("0.01") * s_c
    assert rel(solution.supply[system.index["elec"]], float(s_e)) <= 1e-9
    assert rel(solution.supply[system.index["coal"]], float(s_c)) <= 1e-9
    assert rel(solution.by_gas()["CO2"], float(co2)) <= 1e-9
    assert rel(solution.by_gas()["CH4"], float(ch4)) <= 1e-9
    assert rel(footprint(solution, GWP), float(co2 + 27 * ch4)) <= 1e-9
    # Per kWh and per kg: λ_e = 0.9 + 0.1 λ_c and λ_c = 0.02 + 0.27 + 0.05 λ_e.
    lam_c = (Fraction("0.29") + Fraction("0.05") * Fraction("0.9")) / Fraction("0.995")
    lam_e = Fraction("0.9") + Fraction("0.1") * lam_c
    lam = intensities(system, GWP)
    assert rel(lam[system.index["elec"]], float(lam_e)) <= 1e-9
    assert rel(lam[system.index["coal"]], float(lam_c)) <= 1e-9


def test_self_consumption_is_netted_on_the_diagonal() -> None:
    # A power plant uses 5 % of its own electricity.
    system = build_system([proc("power", 1.0, {"power": 0.05}, {"CO2": 0.5}, "kWh")])
    assert system.technosphere.toarray() == pytest.approx(np.array([[0.95]]))
    solution = solve(system, {"power": 1.0})
    assert solution.supply[0] == pytest.approx(1 / 0.95, rel=1e-12)
    assert footprint(solution, GWP) == pytest.approx(0.5 / 0.95, rel=1e-12)


def test_exchanges_from_one_supplier_add_up() -> None:
    twice = ProcessSpec("a", "A", "kg", 1.0, (Exchange("b", 0.2), Exchange("b", 0.3)), {})
    system = build_system([twice, proc("b", emissions={"CO2": 1.0})])
    assert footprint(solve(system, {"a": 1.0}), GWP) == pytest.approx(0.5)


def test_factorisation_is_made_once() -> None:
    system = build_system(COAL_LOOP)
    factor = system.factor
    solve(system, {"elec": 1.0})
    intensities(system, GWP)
    assert system.factor is factor


def test_top_processes_sum_to_the_total_and_are_sorted() -> None:
    system = build_system(COAL_LOOP)
    solution = solve(system, {"elec": 3.0})
    total = footprint(solution, GWP)
    full = top_processes(system, solution, GWP)
    assert [c.code for c in full] == ["elec", "coal"]
    assert sum(c.kg_co2e for c in full) == pytest.approx(total, rel=1e-12)
    assert sum(c.share for c in full) == pytest.approx(1.0)
    short = top_processes(system, solution, GWP, limit=1)
    assert [c.code for c in short] == ["elec", None]
    assert short[1].name == "1 other process"
    assert sum(c.kg_co2e for c in short) == pytest.approx(total, rel=1e-12)


def _check_sums(node: Node, depth_left: int) -> None:
    if depth_left == 0 or node.kind != "process":
        assert node.children == ()
        return
    if node.children:
        total = sum(child.kg_co2e for child in node.children)
        assert total == pytest.approx(node.kg_co2e, rel=1e-9, abs=1e-12)
    for child in node.children:
        _check_sums(child, depth_left - 1)


def _depth(node: Node) -> int:
    return 1 + max((_depth(c) for c in node.children), default=-1)


def test_breakdown_adds_up_and_its_root_is_the_footprint() -> None:
    system = build_system(COAL_LOOP)
    tree = breakdown(system, GWP, "elec", 2.0, depth=6, cutoff=0.0)
    assert tree.kg_co2e == pytest.approx(footprint(solve(system, {"elec": 2.0}), GWP), rel=1e-12)
    _check_sums(tree, 6)
    assert _depth(tree) == 6  # the loop elec → coal → elec … ends at the depth bound
    as_json = json.loads(json.dumps(tree.as_dict()))
    assert set(as_json) >= {"code", "name", "amount", "unit", "kg_co2e", "children"}
    assert [c["kind"] for c in as_json["children"]] == ["direct", "process"]
    assert as_json["children"][1]["amount"] == pytest.approx(0.2)


def test_breakdown_folds_small_children_into_other() -> None:
    system = build_system(
        [
            proc("widget", 1.0, {"steel": 1.0, "glue": 0.001, "paint": 0.002}, {"CO2": 0.1}),
            proc("steel", emissions={"CO2": 2.0}),
            proc("glue", emissions={"CO2": 1.0}),
            proc("paint", emissions={"CO2": 1.0}),
        ]
    )
    tree = breakdown(system, GWP, "widget", 1.0, cutoff=0.01)
    kinds = [(c.kind, c.code) for c in tree.children]
    assert kinds == [("direct", "widget"), ("process", "steel"), ("other", None)]
    assert tree.children[2].kg_co2e == pytest.approx(0.003)
    _check_sums(tree, 4)
    assert breakdown(system, GWP, "widget", 1.0, depth=0).children == ()


def test_sensitivity_equals_solving_again_with_the_changed_emission() -> None:
    system = build_system(COAL_LOOP)
    solution = solve(system, {"elec": 5.0})
    delta = 0.003
    predicted = sensitivity(system, solution, "coal", "CH4", delta, GWP)
    changed = [
        replace(p, emissions={**p.emissions, "CH4": p.emissions.get("CH4", 0.0) + delta})
        if p.code == "coal"
        else p
        for p in COAL_LOOP
    ]
    again = footprint(solve(build_system(changed), {"elec": 5.0}), GWP)
    assert rel(predicted, again - footprint(solution, GWP)) <= 1e-9
    # A gas the process did not emit before works the same way.
    n2o = sensitivity(system, solution, "elec", "N2O", 1e-4, GWP)
    assert n2o == pytest.approx(solution.supply[system.index["elec"]] * 1e-4 * 273)


@pytest.mark.parametrize(
    ("processes", "field", "words"),
    [
        ([proc("a", inputs={"b": 1.0})], "processes[0].inputs[0].supplier", "'b'"),
        ([proc("a"), proc("a")], "processes[1].code", "used twice"),
        ([proc("a", output=0.0)], "processes[0].output", "'a'"),
        ([proc("a", output=float("nan"))], "processes[0].output", "'a'"),
        ([proc("a", inputs={"a": -0.1})], "processes[0].inputs[0].amount", "'a'"),
        ([proc("a", emissions={"CO2": float("inf")})], "processes[0].emissions[CO2]", "'a'"),
        ([], "processes", "at least one"),
    ],
)
def test_bad_processes_are_named(processes: list[ProcessSpec], field: str, words: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        build_system(processes)
    assert caught.value.field == field
    assert words in caught.value.message


def test_a_process_that_uses_all_it_makes_cannot_be_solved() -> None:
    system = build_system([proc("ok"), proc("sink", inputs={"sink": 1.0})])
    with pytest.raises(InvalidParameter, match="process 'sink' uses as much of its own") as caught:
        solve(system, {"ok": 1.0})
    assert caught.value.field == "processes"


@pytest.mark.parametrize("gain", [10.0, 20.0, 12.5])
def test_a_loop_that_amplifies_names_its_processes(gain: float) -> None:
    # a uses 0.1 b and b uses `gain` a: the loop gain 0.1·gain is 1 or more.
    system = build_system(
        [proc("a", inputs={"b": 0.1}), proc("b", inputs={"a": gain}), proc("c", inputs={"a": 1.0})]
    )
    with pytest.raises(InvalidParameter, match="the loop 'a', 'b' uses as much") as caught:
        solve(system, {"c": 1.0})
    assert "'c'" not in caught.value.message


def test_bad_demand_and_weights() -> None:
    system = build_system(COAL_LOOP)
    with pytest.raises(InvalidParameter) as caught:
        solve(system, {"gas": 1.0})
    assert caught.value.field == "demand"
    with pytest.raises(InvalidParameter) as caught:
        solve(system, {"elec": float("nan")})
    assert caught.value.field == "demand"
    with pytest.raises(InvalidParameter, match="'CH4'") as caught:
        intensities(system, {"CO2": 1.0})
    assert caught.value.field == "weights"
    with pytest.raises(InvalidParameter) as caught:
        breakdown(system, GWP, "elec", 1.0, depth=-1)
    assert caught.value.field == "depth"


def test_breakdown_refuses_to_grow_without_bound() -> None:
    system = build_system(COAL_LOOP)
    # With no cutoff a loop of two would still be small; a five-way loop at depth 12 is not.
    codes = [f"p{i}" for i in range(5)]
    web = [
        proc(c, inputs={o: 0.01 for o in codes if o != c}, emissions={"CO2": 1.0}) for c in codes
    ]
    with pytest.raises(InvalidParameter, match="more than") as caught:
        breakdown(build_system(web), GWP, "p0", 1.0, depth=12, cutoff=0.0)
    assert caught.value.field == "cutoff"
    assert breakdown(system, GWP, "elec", 1.0, depth=12, cutoff=0.0).kg_co2e > 0


def _random_system(rng: np.random.Generator, n: int, hubs: int) -> list[ProcessSpec]:
    """Processes in a scrambled order, each using a few others; hubs make nested loops."""
    codes = [f"p{i}" for i in rng.permutation(n)]
    hub_codes = codes[:hubs]
    processes = []
    for i, code in enumerate(codes):
        output = float(rng.uniform(0.5, 3.0))
        picks = {codes[int(j)] for j in rng.integers(0, n, 4)} | {
            hub_codes[int(rng.integers(hubs))]
        }
        picks.discard(code)
        budget = output * float(rng.uniform(0.1, 0.9)) / max(len(picks), 1)
        inputs = {p: budget * float(rng.uniform(0.1, 1.0)) for p in sorted(picks)}
        gases = {"CO2": float(rng.uniform(0, 5)), "CH4": float(rng.uniform(0, 0.1)) * (i % 3)}
        processes.append(proc(code, output, inputs, gases))
    return processes


def test_nested_loops_match_a_dense_solve() -> None:
    rng = np.random.default_rng(20_260_101)
    system = build_system(_random_system(rng, 400, hubs=12))
    order = elimination_order(system.technosphere)
    assert sorted(order.tolist()) == list(range(400))
    demand = {system.codes[i]: float(rng.uniform(0, 10)) for i in rng.integers(0, 400, 20)}
    final = np.zeros(400)
    for code, amount in demand.items():
        final[system.index[code]] = amount
    dense = np.linalg.solve(system.technosphere.toarray(), final)
    supply = solve(system, demand).supply
    assert np.max(np.abs(supply - dense)) <= 1e-9 * np.max(np.abs(dense))
    tree = breakdown(system, GWP, system.codes[0], 1.0)
    _check_sums(tree, 4)


def test_topological_fallback_puts_suppliers_first() -> None:
    # Used when SciPy's numbering of loops is not suppliers-last; edges are supplier → consumer.
    source, target = np.array([3, 3, 1, 0]), np.array([1, 2, 0, 2])
    rank = _kahn_rank(source, target, 4)
    assert sorted(rank.tolist()) == [0, 1, 2, 3]
    assert all(rank[s] < rank[t] for s, t in zip(source, target, strict=True))


@st.composite
def solvable_systems(draw: st.DrawFn) -> tuple[ProductSystem, dict[str, float]]:
    """Small systems, loops allowed, whose inputs per unit of output stay below 0.9."""
    n = draw(st.integers(1, 7))
    codes = [f"p{i}" for i in range(n)]
    processes = []
    for code in codes:
        output = draw(st.floats(0.01, 100.0))
        suppliers = draw(st.lists(st.sampled_from(codes), max_size=4, unique=True))
        shares = [draw(st.floats(0.0, 1.0)) for _ in suppliers]
        budget = draw(st.floats(0.0, 0.9)) * output / max(sum(shares), 1.0)
        emissions = {
            gas: draw(st.floats(-10.0, 100.0))
            for gas in draw(st.lists(st.sampled_from(list(GWP)), max_size=3, unique=True))
        }
        inputs = {s: share * budget for s, share in zip(suppliers, shares, strict=True)}
        processes.append(proc(code, output, inputs, emissions))
    demand = draw(st.dictionaries(st.sampled_from(codes), st.floats(-50.0, 50.0), min_size=1))
    return build_system(processes), demand


@given(solvable_systems())
def test_solutions_satisfy_the_system(case: tuple[ProductSystem, dict[str, float]]) -> None:
    system, demand = case
    final = np.zeros(len(system.codes))
    for code, amount in demand.items():
        final[system.index[code]] = amount
    solution = solve(system, demand)
    residual = system.technosphere @ solution.supply - final
    scale = np.max(np.abs(final)) + 1e-300
    assert np.max(np.abs(residual)) <= 1e-9 * scale
    lam = intensities(system, GWP)
    total = footprint(solution, GWP)
    assert total == pytest.approx(float(lam @ final), rel=1e-9, abs=1e-9 * (1 + abs(total)))
    if all(amount >= 0 for amount in demand.values()):
        assert np.all(solution.supply >= -1e-12 * scale)
