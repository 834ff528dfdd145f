"""Use cases of the log: record events, publish notices, read entries and proofs.

Every function takes a session that is already inside a transaction; the state change and its
ledger entry commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal, Role
from ecocredit.errors import InvalidParameter, NotFound, PermissionDenied
from ecocredit.ledger import events, merkle, store, tiles
from ecocredit.ledger.events import EventType
from ecocredit.ledger.model import LedgerEntry
from ecocredit.ledger.tiles import TileRef

MAX_NOTICE_CHARS = 4000
MAX_PAGE = 1000


def record(session: Session, event: EventType, actor: str, data: Mapping[str, Any]) -> int:
    """Append one event to the log in the caller's transaction; return its index."""
    return store.append(session, [events.encode(event, actor, data, datetime.now(UTC))])


def check_notice(text: str, where: str = "text") -> str:
    """Check a notice's text before anything is written; ``where`` names it in errors."""
    if not text.strip():
        raise InvalidParameter(f"{where}: a notice cannot be empty", field="text")
    if len(text) > MAX_NOTICE_CHARS:
        raise InvalidParameter(
            f"{where}: a notice has at most {MAX_NOTICE_CHARS} characters, this one {len(text)}",
            field="text",
        )
    bad = next((c for c in text if (ord(c) < 0x20 and c not in "\n\t") or ord(c) == 0x7F), None)
    if bad is not None:
        raise InvalidParameter(
            f"{where}: control character U+{ord(bad):04X} is not allowed in a notice",
            field="text",
        )
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise InvalidParameter(f"{where}: text is not valid Unicode", field="text")
    return text


def _require_admin(actor: Principal) -> None:
    if not actor.has(Role.ADMIN):
        raise PermissionDenied(
            f"only an admin records public notices; {actor.name} has {actor.describe_roles()}"
        )


def publish_notice(session: Session, actor: Principal, text: str) -> LedgerEntry:
    """Record an admin's public notice; return the entry as the log holds it."""
    _require_admin(actor)
    fields = {"text": check_notice(text)}
    entry = events.encode(events.NOTICE, actor.name, fields, datetime.now(UTC))
    return LedgerEntry(store.append(session, [entry]), entry, merkle.leaf_hash(entry))


def publish_notices(
    session: Session,
    actor: Principal,
    lines: Sequence[str],
    source: str,
    progress: Callable[[int], None] | None = None,
) -> list[int]:
    """Record one notice per non-blank line, all or none; errors name ``source`` and the line."""
    _require_admin(actor)
    checked = [
        (number, check_notice(line, f"{source}, line {number}"))
        for number, line in enumerate(lines, 1)
        if line.strip()
    ]
    now = datetime.now(UTC)
    entries = []
    for done, (_, text) in enumerate(checked, 1):
        entries.append(events.encode(events.NOTICE, actor.name, {"text": text}, now))
        if progress is not None and done % 1000 == 0:
            progress(1000)
    first = store.append(session, entries)
    if progress is not None:
        progress(len(checked) % 1000)
    return list(range(first, first + len(entries)))


def read_entries(session: Session, start: int, end: int) -> list[LedgerEntry]:
    """Return the entries ``[start, end)`` that exist (an empty list past the end)."""
    if start < 0:
        raise InvalidParameter("start must not be negative", field="start")
    if end < start:
        raise InvalidParameter(f"end={end} must not be less than start={start}", field="end")
    # Indices are 64-bit in the database: a page never reaches past the largest one.
    end = min(end, start + MAX_PAGE, store.MAX_INDEX)
    return [LedgerEntry(i, e, h) for i, e, h in store.read_entries(session, start, end)]


def latest_entries(session: Session, count: int) -> list[LedgerEntry]:
    """Return up to ``count`` of the newest entries, newest first."""
    size = store.read_head(session).size
    return list(reversed(read_entries(session, max(0, size - count), size)))


def tile(session: Session, ref: TileRef) -> bytes:
    """Return a hash tile or an entry bundle; :class:`NotFound` until the tree has filled it."""
    size = store.read_head(session).size
    level = 0 if ref.level is None else ref.level
    if tiles.tile_width(size, level, ref.index) < ref.width:
        raise NotFound(f"{tiles.tile_path(ref)} is not in the log yet (size {size})")
    start = ref.index * tiles.TILE_WIDTH
    if ref.level is None:
        rows = store.read_entries(session, start, start + ref.width)
        return tiles.encode_bundle([entry for _, entry, _ in rows])
    tree_level = tiles.TILE_HEIGHT * ref.level
    return b"".join(store.level_hashes(session, tree_level, start, start + ref.width))
