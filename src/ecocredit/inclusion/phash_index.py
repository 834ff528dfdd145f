"""In-memory index of perceptual hashes: which stored photos are within d bits of a new one.

A programme stores one 64-bit perceptual hash per evidence photo, millions of them, and asks
for every new photo which stored ones are near duplicates. Comparing against all of them costs
a pass over the whole set per photo; this index touches a few thousand.

Method: multi-index hashing (Norouzi, Punjani and Fleet, CVPR 2012). The 64 bits are cut into
four 16-bit chunks. If two hashes differ in at most d bits, at least one chunk differs in at
most r = d // 4 bits (pigeonhole: four chunks each differing in r + 1 or more make at least
4(r + 1) > d). So for each chunk the index looks up every 16-bit value within r of the query's
chunk (137 values for d = 10, r = 2) in a table bucketed by that chunk, and checks the full
64-bit distance of only the hashes found there. Sixteen-bit chunks suit about a million hashes:
a bucket then holds ~15, so a query checks ~8,000 candidates, and the bucket tables are small.

Layout: per chunk, the hashes sorted by that chunk's value, with their positions, and an
offsets table of 65,537 entries so a bucket is one contiguous slice; all four chunks live in
one flat array so a query gathers every bucket with a handful of vectorised numpy calls.
About 44 bytes per stored hash. New hashes go to a small unsorted buffer that queries scan
directly; it is merged into the sorted tables when it reaches 1/16 of them (or
``merge_every``), which keeps adds amortised O(1) and the scan a small fraction of a query.

Not thread-safe: guard an index shared between threads with a lock.
"""

from __future__ import annotations

import functools
import itertools
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

CHUNKS = 4
CHUNK_BITS = 16
MAX_SUPPORTED_DISTANCE = 24  # beyond ~24 of 64 bits two photos are no longer "near"
_BUCKETS = 1 << CHUNK_BITS
_CHUNK_MASK = np.uint64(_BUCKETS - 1)
_MAX_HASH = (1 << 64) - 1
_MAX_ENTRIES = 1 << 32  # positions are stored as uint32 to save memory
_QUERY_BLOCK = 64  # queries gathered together: ~0.5 M candidates at a million hashes

Hashes = NDArray[np.uint64]
_T = TypeVar("_T", bound=np.generic)
Ids = NDArray[np.int64]


class PhashIndex:
    """Stored (hash, id) pairs answering "ids within ``max_distance`` bits of h"."""

    def __init__(self, max_distance: int = 10, *, merge_every: int = 4096) -> None:
        """Create an empty index for queries up to ``max_distance`` differing bits."""
        if not 0 <= max_distance <= MAX_SUPPORTED_DISTANCE:
            raise ValueError(f"max_distance must be in 0..{MAX_SUPPORTED_DISTANCE}")
        if merge_every < 1:
            raise ValueError("merge_every must be at least 1")
        self.max_distance = max_distance
        self._merge_every = merge_every
        self._masks = _flip_masks(max_distance // CHUNKS)
        self._key_base = np.arange(CHUNKS, dtype=np.int64)[:, None] * (_BUCKETS + 1)
        self._hashes: Hashes = np.empty(0, dtype=np.uint64)
        self._ids: Ids = np.empty(0, dtype=np.int64)
        self._sorted: Hashes = np.empty(0, dtype=np.uint64)
        self._positions: NDArray[np.uint32] = np.empty(0, dtype=np.uint32)
        self._offsets: NDArray[np.int64] = np.zeros(CHUNKS * (_BUCKETS + 1), dtype=np.int64)
        self._pending_hashes: Hashes = np.empty(0, dtype=np.uint64)
        self._pending_ids: Ids = np.empty(0, dtype=np.int64)
        self._pending = 0

    def __len__(self) -> int:
        """Return the number of stored (hash, id) pairs."""
        return len(self._hashes) + self._pending

    def add(self, hashes: ArrayLike, ids: ArrayLike) -> None:
        """Store many pairs at once; ``hashes`` as uint64 (or ints < 2**64), ``ids`` as int64."""
        new_hashes = np.asarray(hashes, dtype=np.uint64).ravel()
        new_ids = np.asarray(ids, dtype=np.int64).ravel()
        if new_hashes.shape != new_ids.shape:
            raise ValueError("hashes and ids must have the same length")
        if len(self) + len(new_hashes) >= _MAX_ENTRIES:
            raise ValueError(f"an index holds fewer than {_MAX_ENTRIES:,} hashes")
        self._append_pending(new_hashes, new_ids)
        if self._pending >= max(self._merge_every, len(self._hashes) // 16):
            self._merge()

    def add_one(self, h: int, id: int) -> None:
        """Store one pair."""
        self.add(np.array([_checked_hash(h)], dtype=np.uint64), np.array([id], dtype=np.int64))

    def near(self, h: int) -> list[tuple[int, int]]:
        """Return ``(id, distance)`` of every stored hash within ``max_distance`` bits of ``h``.

        Sorted by distance, then id. A pair stored twice is reported twice.
        """
        query = np.uint64(_checked_hash(h))
        ids_a, dist_a = self._near_sorted(h, query)
        pending = self._pending_hashes[: self._pending]
        dist_b = popcount(pending ^ query)
        hit_b = np.flatnonzero(dist_b <= self.max_distance)
        ids = np.concatenate([ids_a, self._pending_ids[hit_b]])
        dist = np.concatenate([dist_a, dist_b[hit_b]]).astype(np.int64)
        order = np.lexsort((ids, dist))
        return list(zip(ids[order].tolist(), dist[order].tolist(), strict=True))

    def near_many(self, hashes: ArrayLike) -> list[list[tuple[int, int]]]:
        """``near`` for many hashes at once: one list per hash, each as ``near`` orders it.

        The same answers as calling ``near`` in a loop, with the bucket gathering and the
        distance counting done for a block of queries per numpy call.
        """
        queries = np.asarray(hashes, dtype=np.uint64).ravel()
        found: list[list[tuple[int, int]]] = []
        for start in range(0, len(queries), _QUERY_BLOCK):
            found += self._near_block(queries[start : start + _QUERY_BLOCK])
        return found

    def _near_block(self, queries: Hashes) -> list[list[tuple[int, int]]]:
        count = len(queries)
        which, ids, dist = self._near_sorted_many(queries)
        pending = self._pending_hashes[: self._pending]
        if self._pending:
            matrix = popcount(queries[:, None] ^ pending[None, :])
            rows, cols = np.nonzero(matrix <= self.max_distance)
            which = np.concatenate([which, rows])
            ids = np.concatenate([ids, self._pending_ids[cols]])
            dist = np.concatenate([dist, matrix[rows, cols].astype(np.int64)])
        order = np.lexsort((ids, dist, which))
        which, ids, dist = which[order], ids[order], dist[order]
        bounds = np.searchsorted(which, np.arange(count + 1))
        id_list, dist_list = ids.tolist(), dist.tolist()
        return [
            list(zip(id_list[a:b], dist_list[a:b], strict=True))
            for a, b in itertools.pairwise(bounds.tolist())
        ]

    def _near_sorted_many(self, queries: Hashes) -> tuple[Ids, Ids, Ids]:
        """Query positions, ids and distances of the sorted tables' hits, once per pair."""
        if not len(self._hashes):
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, empty
        shifts = np.arange(CHUNKS, dtype=np.uint64) * np.uint64(CHUNK_BITS)
        chunks = ((queries[:, None] >> shifts[None, :]) & _CHUNK_MASK).astype(np.int64)
        keys = (chunks[:, :, None] ^ self._masks[None, None, :]) + self._key_base[None, :, :]
        keys = keys.reshape(len(queries), -1)
        starts, ends = self._offsets[keys].ravel(), self._offsets[keys + 1].ravel()
        lengths = ends - starts
        shift = starts - (np.cumsum(lengths) - lengths)
        slots = np.repeat(shift, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
        owner = np.repeat(np.repeat(np.arange(len(queries)), keys.shape[1]), lengths)
        dist = popcount(self._sorted[slots] ^ queries[owner])
        hit = np.flatnonzero(dist <= self.max_distance)
        # A hash close in several chunks is found once per chunk: keep one per query and hash.
        pair = owner[hit] * len(self._hashes) + self._positions[slots[hit]].astype(np.int64)
        unique, first = np.unique(pair, return_index=True)
        positions = unique % len(self._hashes)
        return unique // len(self._hashes), self._ids[positions], dist[hit][first].astype(np.int64)

    def _near_sorted(self, h: int, query: np.uint64) -> tuple[Ids, NDArray[np.uint8]]:
        """Search the bucketed tables; return ids and distances of the hits, once each."""
        if not len(self._hashes):
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint8)
        chunks = np.array(
            [(h >> (CHUNK_BITS * c)) & (_BUCKETS - 1) for c in range(CHUNKS)], dtype=np.int64
        )
        keys = ((chunks[:, None] ^ self._masks[None, :]) + self._key_base).ravel()
        starts, ends = self._offsets[keys], self._offsets[keys + 1]
        lengths = ends - starts
        # Concatenate the slices [start, end) without a Python loop over buckets.
        shift = starts - (np.cumsum(lengths) - lengths)
        slots = np.repeat(shift, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
        dist = popcount(self._sorted[slots] ^ query)
        hit = dist <= self.max_distance
        # A hash close in several chunks is found once per chunk: keep one of each position.
        positions, first = np.unique(self._positions[slots[hit]], return_index=True)
        return self._ids[positions], dist[hit][first]

    def _append_pending(self, hashes: Hashes, ids: Ids) -> None:
        """Append to the unsorted buffer, growing it geometrically."""
        needed = self._pending + len(hashes)
        if needed > len(self._pending_hashes):
            capacity = max(needed, 2 * len(self._pending_hashes), 1024)
            self._pending_hashes = _grown(self._pending_hashes, capacity, self._pending)
            self._pending_ids = _grown(self._pending_ids, capacity, self._pending)
        self._pending_hashes[self._pending : needed] = hashes
        self._pending_ids[self._pending : needed] = ids
        self._pending = needed

    def _merge(self) -> None:
        """Move the buffer into the sorted tables and rebuild them."""
        self._hashes = np.concatenate([self._hashes, self._pending_hashes[: self._pending]])
        self._ids = np.concatenate([self._ids, self._pending_ids[: self._pending]])
        self._pending = 0
        self._pending_hashes = np.empty(0, dtype=np.uint64)
        self._pending_ids = np.empty(0, dtype=np.int64)
        self._sorted, self._positions, self._offsets = _bucket_tables(self._hashes)


def build(hashes: ArrayLike, ids: ArrayLike, max_distance: int = 10) -> PhashIndex:
    """Build an index of many pairs in one pass (about a second for a million)."""
    index = PhashIndex(max_distance)
    index.add(hashes, ids)
    if index._pending:  # a batch below the merge size: sort it now, not at the first query
        index._merge()
    return index


def popcount(words: Hashes) -> NDArray[np.uint8]:
    """Return the number of set bits of each 64-bit word."""
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0: one hardware instruction per word
        return np.bitwise_count(words)
    return popcount_lut(words)


def popcount_lut(words: Hashes) -> NDArray[np.uint8]:
    """Count set bits with a byte table; the fallback for numpy < 2.0."""
    as_bytes = np.ascontiguousarray(words, dtype=np.uint64).view(np.uint8).reshape(-1, 8)
    return np.asarray(_byte_counts()[as_bytes].sum(axis=1), dtype=np.uint8)


def _bucket_tables(
    hashes: Hashes,
) -> tuple[Hashes, NDArray[np.uint32], NDArray[np.int64]]:
    """Sort the hashes by each chunk in turn; return sorted hashes, positions and offsets."""
    n = len(hashes)
    flat = np.empty(CHUNKS * n, dtype=np.uint64)
    positions = np.empty(CHUNKS * n, dtype=np.uint32)
    offsets = np.empty(CHUNKS * (_BUCKETS + 1), dtype=np.int64)
    for c in range(CHUNKS):
        values = ((hashes >> np.uint64(CHUNK_BITS * c)) & _CHUNK_MASK).astype(np.uint16)
        order = np.argsort(values, kind="stable")  # radix sort for 16-bit keys: linear time
        flat[c * n : (c + 1) * n] = hashes[order]
        positions[c * n : (c + 1) * n] = order
        table = offsets[c * (_BUCKETS + 1) : (c + 1) * (_BUCKETS + 1)]
        table[0] = 0
        np.cumsum(np.bincount(values, minlength=_BUCKETS), out=table[1:])
        table += c * n  # offsets point into the flat array, past the earlier chunks
    return flat, positions, offsets


def _flip_masks(radius: int) -> NDArray[np.int64]:
    """Return every 16-bit XOR mask with at most ``radius`` bits set (137 for radius 2)."""
    masks = [
        sum(1 << bit for bit in bits)
        for k in range(radius + 1)
        for bits in itertools.combinations(range(CHUNK_BITS), k)
    ]
    return np.array(masks, dtype=np.int64)


def _checked_hash(h: int) -> int:
    """Refuse values that are not 64-bit hashes, rather than let numpy wrap them."""
    if not 0 <= h <= _MAX_HASH:
        raise ValueError("perceptual hashes are integers in [0, 2**64)")
    return h


def _grown(array: NDArray[_T], capacity: int, used: int) -> NDArray[_T]:
    """Return a larger array holding the first ``used`` items of ``array``."""
    bigger = np.empty(capacity, dtype=array.dtype)
    bigger[:used] = array[:used]
    return bigger


@functools.cache
def _byte_counts() -> NDArray[np.uint8]:
    """Return the number of set bits of each byte value 0..255."""
    return np.array([bin(value).count("1") for value in range(256)], dtype=np.uint8)
