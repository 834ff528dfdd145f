"""The idempotency keys of a bulk import: new, and each used once, checked before writing.

Keys are compared by their 64-bit hashes, eight bytes a row (a hundred million keys as text
would not fit the import's memory); a hash met twice is settled on the keys themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from sqlalchemy import select

from ecocredit.db import Database
from ecocredit.errors import InvalidParameter
from ecocredit.inclusion import bulk
from ecocredit.inclusion.tables import actions

_STREAM_BLOCK = 1_000_000  # stored keys read per fetch


def check_keys(db: Database, programme: str, paths: Sequence[str], skip: int) -> None:
    """Refuse a key used twice in the files, or already stored for the programme.

    Keys are compared by their 64-bit hashes, eight bytes a row (a hundred million keys as
    text would not fit the import's memory); a hash met twice is checked on the keys.
    """
    hashed = np.concatenate([np.empty(0, dtype=np.uint64)] + [
        bulk.read(p).select(pl.col("key").hash(seed=0)).collect().to_series().to_numpy()
        for p in paths])  # fmt: skip
    ordered = np.sort(hashed)
    twice = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if len(twice):
        found = keys_with(paths, twice)
        repeated = found.filter(pl.col("key").is_duplicated())
        if repeated.height:
            raise InvalidParameter(
                f"key {repeated['key'][0]!r} is used by more than one action in the files",
                field="key",
            )
    left = ordered if skip == 0 else np.sort(hashed[skip:])
    del hashed, ordered
    with db.read() as session:
        result = session.execute(select(actions.c.idempotency_key)
                                 .where(actions.c.programme == programme))  # fmt: skip
        while block := result.scalars().fetchmany(_STREAM_BLOCK):
            mine = pl.Series(block, dtype=pl.String).hash(seed=0).to_numpy()
            at = np.minimum(np.searchsorted(left, mine), max(len(left) - 1, 0))
            maybe = left[at] == mine if len(left) else np.zeros(len(mine), dtype=bool)
            if maybe.any():  # a 64-bit hash matched: compare the keys themselves
                candidates = set(np.array(block, dtype=object)[maybe].tolist())
                same = keys_with(paths, mine[maybe]).filter(
                    (pl.col("n") >= skip) & pl.col("key").is_in(list(candidates))
                )
                if same.height:
                    raise InvalidParameter(
                        f"key {same['key'][0]!r} is already stored for programme {programme!r}",
                        field="key",
                    )


def keys_with(paths: Sequence[str], hashes: np.ndarray) -> pl.DataFrame:
    """The keys of the files whose hashes are among ``hashes`` (each row's place kept)."""
    wanted = pl.Series(hashes, dtype=pl.UInt64).implode()
    frames = [
        bulk.read(p)
        .select("key")
        .with_columns(pl.col("key").hash(seed=0).alias("h"))
        .with_row_index("n")
        .filter(pl.col("h").is_in(wanted))
        .collect()
        for p in paths
    ]
    offsets = np.cumsum([0] + [bulk.read(p).select(pl.len()).collect().item() for p in paths])
    return pl.concat([f.with_columns(pl.col("n").cast(pl.Int64) + int(o))
                      for f, o in zip(frames, offsets, strict=False)]).sort("n")  # fmt: skip
