"""RFC 9162 Merkle tree hashing, proof shapes and proof verification, with no I/O.

The tree is the one of RFC 9162 §2.1 (the same as RFC 6962): leaves are hashed as
``SHA-256(0x00 || entry)``, interior nodes as ``SHA-256(0x01 || left || right)``, the empty
tree's root is ``SHA-256("")`` and the split point of ``n`` leaves is the largest power of two
strictly less than ``n``. Leaf indices are 0-based.

A stored log keeps the hash of every *complete* subtree: the node at ``(level, index)`` covers
the leaves ``[index * 2**level, (index + 1) * 2**level)``. Any proof element is the hash of a
leaf range ``[start, end)``; :func:`inclusion_ranges` and :func:`consistency_ranges` say which
ranges a proof needs, and :func:`range_nodes` splits a range into the complete subtrees whose
stored hashes fold (right to left) into its hash. So a proof at any size reads O(log n) stored
hashes and never recomputes the tree.

The verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 with the policy of transparency-dev's
``proof`` package for the edges the RFC leaves open: hashes must be 32 bytes, a proof must have
exactly the expected length, a consistency proof from size 0 is meaningless, and between equal
sizes it must be empty with equal roots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

HASH_SIZE = 32
MAX_SIZE = 2**64 - 1
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


class InvalidProof(ValueError):
    """A proof, root or size that does not verify; the message says which check failed."""


class Range(NamedTuple):
    """The leaves ``[start, end)`` whose Merkle tree hash is one proof element."""

    start: int
    end: int


@dataclass(frozen=True, slots=True, order=True)
class Node:
    """A complete subtree: ``2**level`` leaves starting at leaf ``index * 2**level``."""

    level: int
    index: int


def leaf_hash(entry: bytes) -> bytes:
    """Return the RFC 9162 leaf hash ``SHA-256(0x00 || entry)``."""
    return _sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash ``SHA-256(0x01 || left || right)``."""
    return _sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """Return the largest power of two strictly less than ``n`` (``n >= 2``)."""
    if n < 2:
        raise ValueError(f"a tree of {n} leaves has no split point")
    return 1 << ((n - 1).bit_length() - 1)


def fold(hashes: Sequence[bytes]) -> bytes:
    """Fold subtree hashes of decreasing size, left to right, into the hash of their union."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = _sha256(b"\x01" + h + acc).digest()
    return acc


def root_of(leaf_hashes: Iterable[bytes]) -> bytes:
    """Return the Merkle tree hash of the given leaf hashes, in O(n) hashing and O(log n) memory."""
    frontier: list[bytes] = []
    extend(frontier, 0, list(leaf_hashes), min_level=64)
    return fold(frontier)


class Completed(NamedTuple):
    """Consecutive subtrees one append completed at one level: indices ``first, first+1, …``."""

    level: int
    first: int
    hashes: list[bytes]


def extend(
    frontier: list[bytes], size: int, leaves: Sequence[bytes], min_level: int = 1
) -> list[Completed]:
    """Append leaf hashes to the compact range of a tree of ``size`` leaves.

    ``frontier`` holds the hashes of the complete subtrees that make up ``size`` leaves, largest
    first (one per set bit of ``size``); it is updated in place. Returns the interior nodes the
    new leaves complete at ``min_level`` and above, level by level, so that a store can keep
    them. The tree is built a level at a time, so hashing runs in list comprehensions rather
    than a Python loop per leaf.
    """
    completed: list[Completed] = []
    waiting = {
        level: h
        for level, h in zip(
            (lv for lv in reversed(range(size.bit_length())) if size >> lv & 1),
            frontier,
            strict=True,
        )
    }
    new_frontier: dict[int, bytes] = {}
    current, level = list(leaves), 0
    sha256 = _sha256
    while current or waiting:
        if size >> level & 1:  # a left sibling from before the append pairs with the first node
            current = [waiting.pop(level), *current]
        if len(current) % 2:
            new_frontier[level] = current[-1]
        # New lists at every level: the completed lists handed back must not change later.
        current = [
            sha256(b"\x01" + left + right).digest()
            for left, right in zip(current[0::2], current[1::2], strict=False)
        ]
        level += 1
        if current and level >= min_level:
            completed.append(Completed(level, size >> level, current))
    frontier[:] = [new_frontier[lv] for lv in sorted(new_frontier, reverse=True)]
    return completed


def frontier_nodes(size: int) -> list[Node]:
    """Return the complete subtrees that make up a tree of ``size`` leaves, largest first."""
    return [
        Node(level, (size >> level) - 1)
        for level in reversed(range(size.bit_length()))
        if size >> level & 1
    ]


def range_nodes(start: int, end: int) -> list[Node]:
    """Split the leaf range ``[start, end)`` into complete subtrees, largest first.

    Only ranges whose Merkle tree hash is a right fold of those subtrees are accepted: ranges
    that start on a multiple of a power of two at least as large as their length, which is
    every range a proof or a tree prefix uses.
    """
    if not 0 <= start < end:
        raise ValueError(f"empty or negative leaf range [{start}, {end})")
    nodes: list[Node] = []
    pos = start
    previous = 1 << 64
    while pos < end:
        size = 1 << ((end - pos).bit_length() - 1)
        if pos:
            size = min(size, pos & -pos)
        if size > previous:
            raise ValueError(f"leaf range [{start}, {end}) is not aligned to a subtree")
        previous = size
        level = size.bit_length() - 1
        nodes.append(Node(level, pos >> level))
        pos += size
    return nodes


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """Return the ranges whose hashes form PATH(index, D[size]) of RFC 9162 §2.1.3.1.

    The list runs from the leaf's sibling up to the root's child, as the proof does.
    """
    if not 0 <= index < size:
        raise ValueError(f"index {index} is not below tree size {size}")
    path: list[Range] = []
    lo, hi, m = 0, size, index
    while hi - lo > 1:
        k = split_point(hi - lo)
        if m < k:
            path.append(Range(lo + k, hi))
            hi = lo + k
        else:
            path.append(Range(lo, lo + k))
            lo += k
            m -= k
    path.reverse()
    return path


def consistency_ranges(first: int, second: int) -> list[Range]:
    """Return the ranges whose hashes form PROOF(first, D[second]) of RFC 9162 §2.1.4.1."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    proof: list[Range] = []
    lo, hi, m, complete = 0, second, first, True
    while hi - lo != m:
        k = split_point(hi - lo)
        if m <= k:
            proof.append(Range(lo + k, hi))
            hi = lo + k
        else:
            proof.append(Range(lo, lo + k))
            lo += k
            m -= k
            complete = False
    if not complete:
        proof.append(Range(lo, hi))
    proof.reverse()
    return proof


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise InvalidProof(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def _check_size(value: int, what: str) -> None:
    if not 0 <= value <= MAX_SIZE:
        raise InvalidProof(f"{what} {value} is outside 0..2^64-1")


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` (a leaf hash) is at ``index`` of the tree of ``size`` with ``root``.

    Raises :class:`InvalidProof` naming the failed check; returns nothing on success.
    """
    _check_size(index, "index")
    _check_size(size, "tree size")
    if index >= size:
        raise InvalidProof(f"index {index} is not below tree size {size}")
    _check_hash(leaf, "leaf hash")
    _check_hash(root, "root")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof[{i}]")
    expected = len(inclusion_ranges(index, size))
    if len(proof) != expected:
        raise InvalidProof(
            f"proof has {len(proof)} hashes; index {index} of size {size} needs {expected}"
        )
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise InvalidProof("proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProof("proof is shorter than the tree is deep")
    if r != root:
        raise InvalidProof("computed root does not match the given root")


def _consistency_decided(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check what needs no hashing; return True when equal sizes settle the matter."""
    _check_size(first, "first size")
    _check_size(second, "second size")
    if first > second:
        raise InvalidProof(f"first size {first} is larger than second size {second}")
    if first == 0:
        raise InvalidProof("a consistency proof from the empty tree is meaningless")
    if first == second:
        if proof:
            raise InvalidProof("sizes are equal but the proof is not empty")
        if first_root != second_root:
            raise InvalidProof("sizes are equal but the roots differ")
        return True
    _check_hash(first_root, "first root")
    _check_hash(second_root, "second root")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof[{i}]")
    expected = len(consistency_ranges(first, second))
    if len(proof) != expected:
        raise InvalidProof(
            f"proof has {len(proof)} hashes; sizes {first} to {second} need {expected}"
        )
    return False


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``first`` leaves is a prefix of the tree of ``second`` leaves.

    Raises :class:`InvalidProof` naming the failed check; returns nothing on success.
    """
    if _consistency_decided(first, second, first_root, second_root, proof):
        return
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProof("proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProof("proof is shorter than the tree is deep")
    if fr != first_root:
        raise InvalidProof("proof does not lead to the first root")
    if sr != second_root:
        raise InvalidProof("proof does not lead to the second root")


def reference_hash(leaves: Sequence[bytes]) -> bytes:
    """Return MTH(D[n]) by the recursive definition of RFC 9162 §2.1.1 (for tests and audits)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hash(leaves[0])
    k = split_point(n)
    return node_hash(reference_hash(leaves[:k]), reference_hash(leaves[k:]))
