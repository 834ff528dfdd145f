"""C2SP tlog-tiles: tile paths, entry bundles, and proofs computed from tiles, with no I/O.

(https://c2sp.org/tlog-tiles) A tile at level ``L`` and index ``N`` holds the hashes of up to
256 consecutive nodes at tree level ``8 * L``: level-0 tiles hold leaf hashes. A full tile has
256 hashes; a partial one, ``<N>.p/<W>``, the first ``W``. ``N`` is written in groups of three
digits, every group but the last prefixed with ``x``: 1234067 is ``x001/x234/067``. Entry
bundles ``tile/entries/<N>`` hold the entries of leaves ``256 N ..`` each behind its big-endian
uint16 length.

:class:`TileReader` is what a client that trusts nothing but the log's key uses: it rebuilds
any subtree hash from tiles fetched through one injected function, so roots and proofs are
computed on the client, never taken from the server.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ecocredit.ledger import merkle
from ecocredit.ledger.merkle import HASH_SIZE, Range

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_TILE_LEVEL = 7  # 8 * 7 = 56 tree levels: far beyond any log this platform can hold
_GROUP = re.compile(r"x?[0-9]{3}")  # ASCII digits only: int() would read others


class TilePathError(ValueError):
    """A tile path that is not in the canonical tlog-tiles form."""


@dataclass(frozen=True)
class TileRef:
    """A tile: its level (``None`` for an entry bundle), index and width (256 when full)."""

    level: int | None
    index: int
    width: int

    @property
    def partial(self) -> bool:
        """Whether this is a partial tile."""
        return self.width < TILE_WIDTH


def encode_index(index: int) -> str:
    """Write a tile index as tlog-tiles path groups: 1234067 -> ``x001/x234/067``."""
    if index < 0:
        raise ValueError("tile index must not be negative")
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if not index:
            break
    groups.reverse()
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def tile_path(ref: TileRef) -> str:
    """Return the path of a tile below the log's prefix, e.g. ``tile/0/x001/067.p/8``."""
    level = "entries" if ref.level is None else str(ref.level)
    suffix = f".p/{ref.width}" if ref.partial else ""
    return f"tile/{level}/{encode_index(ref.index)}{suffix}"


def parse_tile_path(path: str) -> TileRef:
    """Parse the part of a tile path after ``tile/``; reject any non-canonical spelling."""
    parts = path.split("/")
    if len(parts) < 2:
        raise TilePathError("a tile path is <level>/<index>[.p/<width>]")
    level_text, rest = parts[0], parts[1:]
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        width_text = rest[-1]
        if not width_text.isdigit() or not width_text.isascii() or width_text.startswith("0"):
            raise TilePathError(f"partial width {width_text!r} is not a number")
        width = int(width_text)
        if not 1 <= width < TILE_WIDTH:
            raise TilePathError(f"partial width {width} is not between 1 and 255")
        rest = [*rest[:-2], rest[-2][:-2]]
    if (
        not all(_GROUP.fullmatch(g) for g in rest)
        or any(g.startswith("x") for g in rest[-1:])
        or any(not g.startswith("x") for g in rest[:-1])
    ):
        raise TilePathError("a tile index is written x###/…/### in groups of three digits")
    index = int("".join(g.lstrip("x") for g in rest))
    if encode_index(index) != "/".join(rest):
        raise TilePathError("a tile index must not have leading zero groups")
    if level_text == "entries":
        return TileRef(None, index, width)
    if (
        not level_text.isdigit()
        or not level_text.isascii()
        or (len(level_text) > 1 and level_text.startswith("0"))
    ):
        raise TilePathError(f"tile level {level_text!r} is not a number")
    level = int(level_text)
    if level > MAX_TILE_LEVEL:
        raise TilePathError(f"tile level {level} is above {MAX_TILE_LEVEL}")
    return TileRef(level, index, width)


def encode_bundle(entries: list[bytes]) -> bytes:
    """Return an entry bundle: each entry behind its big-endian uint16 length."""
    out = bytearray()
    for entry in entries:
        if len(entry) > 0xFFFF:
            raise ValueError("an entry in a bundle has at most 65,535 bytes")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    """Split an entry bundle into its entries."""
    entries, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError("entry bundle ends inside a length prefix")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if pos + 2 + length > len(data):
            raise ValueError("entry bundle ends inside an entry")
        entries.append(data[pos + 2 : pos + 2 + length])
        pos += 2 + length
    return entries


def tile_width(size: int, level: int, index: int) -> int:
    """Return how many hashes tile ``level/index`` has in a tree of ``size`` (0 if none)."""
    available = size >> (TILE_HEIGHT * level)
    return max(0, min(TILE_WIDTH, available - index * TILE_WIDTH))


class TileReader:
    """Subtree hashes, roots, proofs and entries of a tree of ``size``, rebuilt from tiles."""

    def __init__(self, size: int, fetch: Callable[[str], bytes]) -> None:
        """Read the tree of ``size`` leaves through ``fetch(path) -> bytes``."""
        self.size = size
        self._fetch = fetch
        self._tiles: dict[tuple[int | None, int], list[bytes]] = {}

    def _tile(self, level: int | None, index: int) -> list[bytes]:
        key = (level, index)
        if key not in self._tiles:
            width = tile_width(self.size, 0 if level is None else level, index)
            if not width:
                raise ValueError(f"tile {level}/{index} is beyond a tree of {self.size}")
            path = tile_path(TileRef(level, index, width))
            data = self._fetch(path)
            if level is None:
                items = decode_bundle(data)
                if len(items) != width:
                    raise ValueError(f"{path} has {len(items)} entries, not {width}")
            else:
                if len(data) != width * HASH_SIZE:
                    raise ValueError(f"{path} is {len(data)} bytes, not {width * HASH_SIZE}")
                items = [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
            self._tiles[key] = items
        return self._tiles[key]

    def node(self, level: int, index: int) -> bytes:
        """Return the hash of the complete subtree ``(level, index)``."""
        tile_level, height = divmod(level, TILE_HEIGHT)
        first, count = index << height, 1 << height
        tile_index, offset = divmod(first, TILE_WIDTH)
        hashes = self._tile(tile_level, tile_index)
        if offset + count > len(hashes):
            raise ValueError(f"subtree {level}/{index} is not complete in a tree of {self.size}")
        return merkle.root_of(hashes[offset : offset + count])

    def range_hash(self, span: Range) -> bytes:
        """Return the Merkle tree hash of the leaves ``[start, end)``."""
        return merkle.fold([self.node(n.level, n.index) for n in merkle.range_nodes(*span)])

    def root(self) -> bytes:
        """Return the root of the whole tree."""
        return merkle.EMPTY_ROOT if self.size == 0 else self.range_hash(Range(0, self.size))

    def entry(self, index: int) -> bytes:
        """Return the bytes of entry ``index``."""
        if not 0 <= index < self.size:
            raise ValueError(f"entry {index} is not in a tree of {self.size}")
        return self._tile(None, index // TILE_WIDTH)[index % TILE_WIDTH]

    def inclusion_proof(self, index: int) -> list[bytes]:
        """Return the inclusion proof of leaf ``index`` in this tree."""
        return [self.range_hash(r) for r in merkle.inclusion_ranges(index, self.size)]

    def consistency_proof(self, first: int) -> list[bytes]:
        """Return the consistency proof from the tree of ``first`` leaves to this tree."""
        return [self.range_hash(r) for r in merkle.consistency_ranges(first, self.size)]
