"""tlog-tiles paths and bundles, and proofs rebuilt from tiles by a client."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecocredit.ledger import merkle, tiles
from ecocredit.ledger.tiles import TilePathError, TileReader, TileRef


@pytest.mark.parametrize(
    ("index", "path"),
    [(0, "000"), (67, "067"), (1234067, "x001/x234/067"), (1000, "x001/000")],
)
def test_index_groups_follow_the_spec(index: int, path: str) -> None:
    assert tiles.encode_index(index) == path
    assert tiles.parse_tile_path(f"0/{path}") == TileRef(0, index, 256)


def test_paths_round_trip() -> None:
    for ref in [TileRef(0, 5, 256), TileRef(2, 1234067, 8), TileRef(None, 3, 255)]:
        assert tiles.parse_tile_path(tiles.tile_path(ref).removeprefix("tile/")) == ref
    assert tiles.tile_path(TileRef(0, 1234067, 8)) == "tile/0/x001/x234/067.p/8"
    assert tiles.tile_path(TileRef(None, 0, 256)) == "tile/entries/000"


@pytest.mark.parametrize(
    "path",
    [
        "0/67",
        "0/x000/067",
        "0/067.p/0",
        "0/067.p/256",
        "0/067.p/08",
        "00/067",
        "x/067",
        "0/x067",
        "0",
        "9/000",
        "0/067/x001",
        "entries/067.p",
        "0/\u0661\u0662\u0663",  # Arabic-Indic digits, which int() would read as 123
        "0/067\n",
    ],
)
def test_non_canonical_paths_are_refused(path: str) -> None:
    with pytest.raises(TilePathError):
        tiles.parse_tile_path(path)


@given(st.lists(st.binary(max_size=300), max_size=20))
def test_bundles_round_trip(entries: list[bytes]) -> None:
    assert tiles.decode_bundle(tiles.encode_bundle(entries)) == entries


def test_truncated_bundle_is_refused() -> None:
    with pytest.raises(ValueError, match="ends inside"):
        tiles.decode_bundle(tiles.encode_bundle([b"abc"])[:-1])


class MemoryLog:
    """Serves the tiles of an in-memory tree, as the server lays them out."""

    def __init__(self, entries: list[bytes]) -> None:
        self.entries = entries
        self.levels = [[merkle.leaf_hash(e) for e in entries]]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [merkle.node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )
        self.fetched: list[str] = []

    def fetch(self, path: str) -> bytes:
        self.fetched.append(path)
        ref = tiles.parse_tile_path(path.removeprefix("tile/"))
        start = ref.index * 256
        if ref.level is None:
            return tiles.encode_bundle(self.entries[start : start + ref.width])
        return b"".join(self.levels[8 * ref.level][start : start + ref.width])


@given(st.integers(1, 70_000), st.data())
def test_reader_rebuilds_roots_and_proofs_from_tiles(size: int, data: st.DataObject) -> None:
    log = MemoryLog([i.to_bytes(4, "big") for i in range(size)])
    reader = TileReader(size, log.fetch)
    root = merkle.root_of(log.levels[0])
    assert reader.root() == root
    index = data.draw(st.integers(0, size - 1))
    merkle.verify_inclusion(
        merkle.leaf_hash(reader.entry(index)), index, size, reader.inclusion_proof(index), root
    )
    first = data.draw(st.integers(1, size))
    first_root = merkle.root_of(log.levels[0][:first])
    merkle.verify_consistency(first, size, first_root, root, reader.consistency_proof(first))
