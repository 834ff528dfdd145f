"""Stored photos near a new one: the programme's perceptual-hash index, kept per connection.

The index (``phash_index.PhashIndex``) of a programme's kept photos lives on the database
connection and is brought up to date with the actions stored since it last looked (ids only
grow). An operator may later reject a held action, and a connection's index would still hold
its photo; so every hit is checked against the table before it counts. Hits are rare (a
near-duplicate is the exception), so that check is one small query, and the answer is the
same whichever connection served the request.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecocredit.inclusion.decisions import Outcome
from ecocredit.inclusion.phash import NEAR_DUPLICATE_BITS
from ecocredit.inclusion.phash_index import PhashIndex
from ecocredit.inclusion.tables import actions

_KEY = "inclusion.phash"


def photo_index(session: Session, programme: str) -> PhashIndex:
    """The programme's index of photos, on the connection, with every action stored since."""
    cache = session.connection().info.setdefault(_KEY, {})
    last, index = cache.get(programme, (0, PhashIndex(NEAR_DUPLICATE_BITS)))
    assert isinstance(index, PhashIndex)
    rows = session.execute(
        select(actions.c.id, actions.c.phash).where(
            actions.c.programme == programme, actions.c.id > last, actions.c.phash.is_not(None),
            actions.c.status != Outcome.REJECTED.value,
        )
    ).all()  # fmt: skip
    if rows:
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        hashes = np.array([r[1] for r in rows], dtype=np.int64).view(np.uint64)
        index.add(hashes, ids)
        last = max(last, int(ids.max()))
    cache[programme] = (last, index)
    return index


def near_photos(session: Session, programme: str, hashes: Sequence[int | None]
                ) -> list[list[tuple[int, int]]]:  # fmt: skip
    """For each hash, ``(action id, distance)`` of the kept stored photos near it, nearest first.

    ``None`` (evidence that is not a photo) has none.
    """
    present = [(n, h) for n, h in enumerate(hashes) if h is not None]
    found: list[list[tuple[int, int]]] = [[] for _ in hashes]
    if not present:
        return found
    index = photo_index(session, programme)
    hits = index.near_many(np.array([h for _, h in present], dtype=np.uint64))
    candidates = sorted({i for pairs in hits for i, _ in pairs})
    if candidates:
        kept = set(session.scalars(select(actions.c.id).where(
            actions.c.id.in_(candidates), actions.c.status != Outcome.REJECTED.value)))  # fmt: skip
        hits = [[(i, d) for i, d in pairs if i in kept] for pairs in hits]
    for (n, _), pairs in zip(present, hits, strict=True):
        found[n] = pairs
    return found
