"""Sparse LU of a technology matrix in supply-chain order, and the check that it is productive.

A technology matrix ``A`` has the outputs on its diagonal and minus the inputs elsewhere, so
``A[j, i] != 0`` means process ``j`` supplies process ``i``. If suppliers came before their
consumers, ``A`` would be upper triangular and its LU would be ``A`` itself. General fill-reducing
orderings (COLAMD, minimum degree) ignore that and, on 10,000 processes with loops, made factors
of 10-20 million entries where this ordering makes one to two million. So we order by hand:

1. strongly connected components (the loops), suppliers first;
2. inside a loop, the processes with most links (markets, electricity, transport) go last and
   the rest is ordered again the same way, until no loop is left.

SuperLU then factorises in that order without pivoting. That is safe here because a productive
system (each loop makes more than it uses) has an M-matrix for ``A``, and Gaussian elimination
on an M-matrix needs no pivoting. ``factorise`` checks productivity with one extra solve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from numpy.typing import NDArray
from scipy.sparse import csgraph
from scipy.sparse import linalg as splinalg

from ecocredit.errors import InvalidParameter

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

# A run count this large per unit of demand means a loop whose gain equals 1 to within rounding:
# the answer would be noise, so it is treated like a loop that amplifies without bound.
_MAX_RUNS_PER_UNIT = 1e15
# Inside a loop, this fraction of the processes (the most linked) is moved to the end per round.
_TAIL_FRACTION = 1 / 50
# How many process codes an error message names before it says "and N more".
_NAMED = 6


@dataclass(frozen=True, eq=False)
class Factor:
    """The LU of a technology matrix in supply-chain order; solves A x = b and Aᵀ x = b."""

    perm: IntArray
    lu: Any  # scipy's SuperLU object; SciPy has no type hints

    def solve(self, rhs: FloatArray) -> FloatArray:
        """Return x with A x = rhs."""
        return self._solve(rhs, "N")

    def solve_transposed(self, rhs: FloatArray) -> FloatArray:
        """Return x with Aᵀ x = rhs."""
        return self._solve(rhs, "T")

    def _solve(self, rhs: FloatArray, trans: str) -> FloatArray:
        # The factor is of P A Pᵀ, so both the right-hand side and the answer are permuted.
        answer: FloatArray = np.empty_like(rhs, dtype=np.float64)
        answer[self.perm] = self.lu.solve(np.ascontiguousarray(rhs[self.perm]), trans=trans)
        return answer


def factorise(technosphere: sp.csc_matrix, codes: Sequence[str]) -> Factor:
    """Factorise A once; raise InvalidParameter naming the loops if the system is not productive."""
    factor = _try_factorise(technosphere)
    if factor is None or not _productive(factor, technosphere):
        raise InvalidParameter(_unsolvable_message(technosphere, codes), field="processes")
    return factor


def _try_factorise(matrix: sp.csc_matrix) -> Factor | None:
    perm = elimination_order(matrix)
    permuted = matrix[perm][:, perm].tocsc()
    try:
        # NATURAL keeps our order; a zero pivot threshold keeps the diagonal as pivot (see above).
        lu = splinalg.splu(
            permuted,
            permc_spec="NATURAL",
            diag_pivot_thresh=0.0,
            options={"SymmetricMode": True},
        )
    except RuntimeError:  # SuperLU: "Factor is exactly singular"
        return None
    return Factor(perm=perm, lu=lu)


def _productive(factor: Factor, matrix: sp.csc_matrix) -> bool:
    # A has non-positive entries off the diagonal, so it is a non-singular M-matrix (every
    # demand has a non-negative supply) exactly when A⁻¹·1 > 0: one solve checks the system.
    runs = factor.solve(np.ones(matrix.shape[0]))
    if not np.all(np.isfinite(runs)) or not np.all(runs > 0):
        return False
    return bool(np.max(runs * matrix.diagonal()) <= _MAX_RUNS_PER_UNIT)


def elimination_order(matrix: sp.spmatrix) -> IntArray:
    """Return an order of the processes: suppliers first, loops broken at their busiest members."""
    n = matrix.shape[0]
    graph = _link_graph(matrix)
    perm: IntArray = np.arange(n, dtype=np.intp)
    pending = [(0, n, True)]  # slices of ``perm`` still to order; True for the whole system
    while pending:
        lo, hi, whole = pending.pop()
        nodes = perm[lo:hi]
        sub = graph[nodes][:, nodes]
        count, labels = csgraph.connected_components(sub, directed=True, connection="strong")
        if count == 1 and not whole:
            keep, tail = _split_busiest(sub)
            perm[lo:hi] = np.concatenate([nodes[keep], nodes[tail]])
            if len(keep) > 1:
                pending.append((lo, lo + len(keep), False))
            continue
        order = _components_suppliers_first(sub, labels, count)
        perm[lo:hi] = nodes[order]
        pending.extend(_loop_slices(labels[order], lo))
    return perm


def _link_graph(matrix: sp.spmatrix) -> sp.csr_matrix:
    graph = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    graph.setdiag(0.0)
    graph.eliminate_zeros()
    graph.data[:] = 1.0
    return graph


def _split_busiest(sub: sp.csr_matrix) -> tuple[IntArray, IntArray]:
    # Within one loop, links in + links out marks the hubs whose removal breaks most loops.
    links = np.diff(sub.indptr) + np.diff(sub.tocsc().indptr)
    size = sub.shape[0]
    by_links = np.argsort(-links, kind="stable")
    cut = max(1, int(size * _TAIL_FRACTION))
    tail = np.sort(by_links[:cut])
    keep = np.sort(by_links[cut:])
    return keep.astype(np.intp), tail.astype(np.intp)


def _components_suppliers_first(sub: sp.csr_matrix, labels: IntArray, count: int) -> IntArray:
    """Order the nodes by component so that every supplying component precedes its consumers."""
    rank = _topological_rank(sub, labels, count)
    return np.argsort(rank[labels], kind="stable").astype(np.intp)


def _topological_rank(sub: sp.csr_matrix, labels: IntArray, count: int) -> IntArray:
    coo = sub.tocoo()
    source, target = labels[coo.row], labels[coo.col]
    between = source != target
    source, target = source[between], target[between]
    # SciPy numbers strong components so that suppliers get higher labels than consumers;
    # that is not documented, so check it and sort properly when it does not hold.
    if np.all(source > target):
        return (count - 1 - np.arange(count)).astype(np.intp)
    return _kahn_rank(source, target, count)


def _kahn_rank(source: IntArray, target: IntArray, count: int) -> IntArray:
    edges = sp.csr_matrix((np.ones(len(source)), (source, target)), shape=(count, count))
    waiting = np.diff(edges.tocsc().indptr).astype(np.int64)
    rank = np.empty(count, dtype=np.intp)
    ready = list(np.flatnonzero(waiting == 0))
    position = 0
    while ready:
        node = ready.pop()
        rank[node] = position
        position += 1
        for consumer in edges.indices[edges.indptr[node] : edges.indptr[node + 1]]:
            waiting[consumer] -= 1
            if waiting[consumer] == 0:
                ready.append(consumer)
    return rank


def _loop_slices(sorted_labels: IntArray, offset: int) -> list[tuple[int, int, bool]]:
    """Return the slices of the ordered nodes that are loops (components of two or more)."""
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    ends = np.r_[starts[1:], len(sorted_labels)]
    loops = ends - starts > 1
    return [
        (offset + int(a), offset + int(b), False)
        for a, b in zip(starts[loops], ends[loops], strict=True)
    ]


def _unsolvable_message(matrix: sp.csc_matrix, codes: Sequence[str]) -> str:
    """Say which processes or loops use at least as much as they make, as far as we can tell."""
    problems = _self_consumers(matrix, codes) + _unproductive_loops(matrix, codes)
    advice = (
        "; every process and every loop of processes must make more of its product than it "
        "uses, directly and through its suppliers: check the input amounts and their units"
    )
    if not problems:
        problems = ["the loops of the system together amplify without bound"]
    return "the product system cannot be solved: " + "; ".join(problems) + advice


def _self_consumers(matrix: sp.csc_matrix, codes: Sequence[str]) -> list[str]:
    bad = np.flatnonzero(matrix.diagonal() <= 0)
    if len(bad) == 0:
        return []
    which = _name_some(bad, codes)
    if len(bad) == 1:
        return [f"process {which} uses as much of its own product as it makes, or more"]
    return [f"processes {which} each use as much of their own product as they make, or more"]


def _unproductive_loops(matrix: sp.csc_matrix, codes: Sequence[str]) -> list[str]:
    count, labels = csgraph.connected_components(
        _link_graph(matrix), directed=True, connection="strong"
    )
    sizes = np.bincount(labels, minlength=count)
    self_consuming = matrix.diagonal() <= 0
    found = []
    for label in np.flatnonzero(sizes > 1):
        members = np.flatnonzero(labels == label).astype(np.intp)
        if np.any(self_consuming[members]):
            continue  # already named as a process that uses up its own product
        block = matrix[members][:, members].tocsc()
        factor = _try_factorise(block)
        if factor is None or not _productive(factor, block):
            found.append(f"the loop {_name_some(members, codes)} uses as much as it makes, or more")
    return found


def _name_some(indices: IntArray, codes: Sequence[str]) -> str:
    named = ", ".join(repr(codes[int(i)]) for i in indices[:_NAMED])
    more = len(indices) - _NAMED
    return named + (f" and {more} more" if more > 0 else "")
