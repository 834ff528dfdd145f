"""The breakdown of a product's footprint into a tree, for a sunburst or a treemap.

A node is an amount of one process's product worth ``amount × λ`` kg CO2e. Its children are
the process's own emissions for that amount (a "direct" leaf) and each of its inputs, scaled by
``amount / output``; because ``λ`` solves ``output·λᵢ = directᵢ + Σⱼ inputⱼᵢ·λⱼ`` the children
add up to their parent, loops included. Small children are summed into one "other" node, and
the tree stops at a fixed depth, which is what ends the descent into loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ecocredit.carbon.footprint_linalg import FloatArray
from ecocredit.errors import InvalidParameter

# The most nodes a breakdown may have: a sunburst shows far fewer, and a tiny cutoff with a deep
# tree on a loop would otherwise grow exponentially.
MAX_NODES = 10_000
# The deepest breakdown asked for; deeper trees are unreadable and the builder recurses per level.
MAX_DEPTH = 50


@dataclass(frozen=True)
class Node:
    """One slice of a breakdown: a process's product, its direct emissions, or the small rest.

    ``code`` is the process (for "direct", the process that emits; for "other", None); ``amount``
    and ``unit`` are of the process's product (None for "other").
    """

    kind: Literal["process", "direct", "other"]
    code: str | None
    name: str
    amount: float | None
    unit: str | None
    kg_co2e: float
    children: tuple[Node, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Return the node and its children as plain JSON-ready values."""
        return {
            "kind": self.kind,
            "code": self.code,
            "name": self.name,
            "amount": self.amount,
            "unit": self.unit,
            "kg_co2e": self.kg_co2e,
            "children": [child.as_dict() for child in self.children],
        }


@dataclass(frozen=True, eq=False)
class TreeData:
    """What a breakdown reads from a product system, with per-unit and per-run intensities.

    ``inputs`` is the SciPy CSC matrix of input amounts per run (``inputs[j, i]`` of ``j`` used
    by ``i``); ``direct`` is kg CO2e per run; ``cumulative`` is kg CO2e per unit of product.
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    units: tuple[str, ...]
    outputs: FloatArray
    inputs: Any
    direct: FloatArray
    cumulative: FloatArray


class _Builder:
    """Builds the tree depth-first, with the fold threshold and the node count shared."""

    def __init__(self, data: TreeData, depth: int, threshold: float) -> None:
        self.data = data
        self.depth = depth
        self.threshold = threshold
        self.count = 0

    def process(self, i: int, amount: float, level: int) -> Node:
        self._count()
        data = self.data
        value = amount * float(data.cumulative[i])
        children = self._children(i, amount, level) if level < self.depth else ()
        return Node("process", data.codes[i], data.names[i], amount, data.units[i], value, children)

    def _children(self, i: int, amount: float, level: int) -> tuple[Node, ...]:
        data = self.data
        scale = amount / float(data.outputs[i])
        start, end = data.inputs.indptr[i], data.inputs.indptr[i + 1]
        suppliers = data.inputs.indices[start:end]
        amounts = data.inputs.data[start:end] * scale
        values = amounts * data.cumulative[suppliers]
        direct = scale * float(data.direct[i])
        kept: list[Node] = []
        rest = 0.0
        folded = False
        if self._large(direct):
            self._count()
            kept.append(
                Node("direct", data.codes[i], "direct emissions", amount, data.units[i], direct)
            )
        else:
            rest, folded = direct, direct != 0
        for j, child_amount, child_value in zip(suppliers, amounts, values, strict=True):
            if self._large(float(child_value)):
                kept.append(self.process(int(j), float(child_amount), level + 1))
            else:
                rest += float(child_value)
                folded = folded or child_value != 0
        if folded:
            self._count()
            kept.append(Node("other", None, "other", None, None, rest))
        return tuple(kept)

    def _large(self, value: float) -> bool:
        return value != 0 and abs(value) >= self.threshold

    def _count(self) -> None:
        self.count += 1
        if self.count > MAX_NODES:
            raise InvalidParameter(
                f"the breakdown would have more than {MAX_NODES} nodes; raise cutoff or lower "
                "depth",
                field="cutoff",
            )


def build_tree(data: TreeData, root: int, amount: float, depth: int, cutoff: float) -> Node:
    """Return the breakdown of ``amount`` units of process ``root`` (an index into ``codes``)."""
    root_value = amount * float(data.cumulative[root])
    builder = _Builder(data, depth, cutoff * abs(root_value))
    return builder.process(root, amount, 0)
