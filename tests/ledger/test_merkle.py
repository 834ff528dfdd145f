"""RFC 9162 tree hashing, proof shapes and verifiers against the published test vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecocredit.ledger import merkle
from ecocredit.ledger.merkle import InvalidProof

VECTORS: dict[str, Any] = json.loads((Path(__file__).parent / "rfc9162_vectors.json").read_text())
LEAVES = [bytes.fromhex(x) for x in VECTORS["leaves_hex"]]


def _h(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def test_hash_primitives() -> None:
    empty, empty_leaf, leaf, node = VECTORS["hash_primitives"]
    assert merkle.EMPTY_ROOT.hex() == empty["expect"]
    assert merkle.leaf_hash(b"").hex() == empty_leaf["expect"]
    assert merkle.leaf_hash(bytes.fromhex(leaf["leaf_hex"])).hex() == leaf["expect"]
    node_hash = merkle.node_hash(bytes.fromhex(node["left_hex"]), bytes.fromhex(node["right_hex"]))
    assert node_hash.hex() == node["expect"]


@pytest.mark.parametrize("size", range(9))
def test_roots_of_the_classic_eight_leaves(size: int) -> None:
    expected = VECTORS["roots_by_tree_size"][str(size)]
    assert merkle.root_of(merkle.leaf_hash(x) for x in LEAVES[:size]).hex() == expected
    assert merkle.reference_hash(LEAVES[:size]).hex() == expected


def test_node_hashes_by_level() -> None:
    level = [merkle.leaf_hash(x) for x in LEAVES]
    for expected in VECTORS["node_hashes_by_level"]:
        assert [h.hex() for h in level] == expected
        level = [merkle.node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]


INCLUSION = VECTORS["inclusion_proofs_official"] + VECTORS["inclusion_proofs_derived_all"]
CONSISTENCY = VECTORS["consistency_proofs_official"] + VECTORS["consistency_proofs_derived_all"]


@pytest.mark.parametrize("case", INCLUSION, ids=lambda c: f"{c['index']}-of-{c['tree_size']}")
def test_inclusion_proofs(case: dict[str, Any]) -> None:
    index, size = case["index"], case["tree_size"]
    # The proof our planner asks for is exactly the published one...
    planned = [
        merkle.reference_hash(LEAVES[a:b]).hex() for a, b in merkle.inclusion_ranges(index, size)
    ]
    assert planned == case["path"]
    # ...and it verifies.
    merkle.verify_inclusion(
        bytes.fromhex(case["leaf_hash"]), index, size, _h(case["path"]), bytes.fromhex(case["root"])
    )


@pytest.mark.parametrize("case", CONSISTENCY, ids=lambda c: f"{c['size1']}-to-{c['size2']}")
def test_consistency_proofs(case: dict[str, Any]) -> None:
    first, second = case["size1"], case["size2"]
    planned = [
        merkle.reference_hash(LEAVES[a:b]).hex()
        for a, b in merkle.consistency_ranges(first, second)
    ]
    assert planned == case["proof"]
    merkle.verify_consistency(
        first, second, bytes.fromhex(case["root1"]), bytes.fromhex(case["root2"]), _h(case["proof"])
    )


@pytest.mark.parametrize("probe", VECTORS["golden_probes_inclusion"], ids=lambda p: p["file"])
def test_golden_inclusion_probes(probe: dict[str, Any]) -> None:
    def run() -> None:
        merkle.verify_inclusion(
            bytes.fromhex(probe["leaf_hash"]),
            probe["index"],
            probe["tree_size"],
            _h(probe["path"]),
            bytes.fromhex(probe["root"]),
        )

    if probe["want_error"]:
        with pytest.raises(InvalidProof):
            run()
    else:
        run()


@pytest.mark.parametrize("probe", VECTORS["golden_probes_consistency"], ids=lambda p: p["file"])
def test_golden_consistency_probes(probe: dict[str, Any]) -> None:
    def run() -> None:
        merkle.verify_consistency(
            probe["size1"],
            probe["size2"],
            bytes.fromhex(probe["root1"]),
            bytes.fromhex(probe["root2"]),
            _h(probe["proof"]),
        )

    if probe["want_error"]:
        with pytest.raises(InvalidProof):
            run()
    else:
        run()


def test_there_are_184_probes_that_must_fail() -> None:
    probes = VECTORS["golden_probes_inclusion"] + VECTORS["golden_probes_consistency"]
    assert sum(p["want_error"] for p in probes) == 184


def test_index_beyond_uint64_is_rejected_not_wrapped() -> None:
    with pytest.raises(InvalidProof, match="outside"):
        merkle.verify_inclusion(bytes(32), 2**64, 2**64 + 1, [], bytes(32))


@given(st.lists(st.binary(max_size=40), min_size=1, max_size=70))
def test_incremental_root_matches_the_recursive_definition(leaves: list[bytes]) -> None:
    assert merkle.root_of(merkle.leaf_hash(x) for x in leaves) == merkle.reference_hash(leaves)


@given(st.integers(1, 3000), st.data())
def test_ranges_fold_from_complete_subtrees(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1))
    first = data.draw(st.integers(1, size))
    for start, end in merkle.inclusion_ranges(index, size) + merkle.consistency_ranges(first, size):
        nodes = merkle.range_nodes(start, end)
        assert sum(1 << n.level for n in nodes) == end - start
        assert nodes[0].index << nodes[0].level == start
        # Subtrees shrink left to right, which is what makes a right fold equal MTH.
        assert [n.level for n in nodes] == sorted((n.level for n in nodes), reverse=True)


def test_unaligned_range_is_refused() -> None:
    with pytest.raises(ValueError, match="not aligned"):
        merkle.range_nodes(1, 4)


@given(st.integers(0, 5000))
def test_frontier_is_the_binary_decomposition_of_the_size(size: int) -> None:
    nodes = merkle.frontier_nodes(size)
    assert sum(1 << n.level for n in nodes) == size
    assert merkle.range_nodes(0, size) == nodes if size else nodes == []
