"""What every registry operation shares: the log position it will take and its entry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from ecocredit.errors import LedgerCorrupt
from ecocredit.ledger import events, store
from ecocredit.ledger.events import EventType


def begin(session: Session) -> tuple[int, datetime]:
    """Queue behind the log's other writers; return the index the next entry gets, and now.

    Taking the log head first makes every registry write see the state the previous writer
    left, on SQLite and on PostgreSQL alike, so no check can race another operation.
    """
    return store.read_head(session, lock=True).size, datetime.now(UTC)


def append(
    session: Session,
    event: EventType,
    actor: str,
    data: Mapping[str, Any],
    moment: datetime,
    expected: int | None = None,
) -> int:
    """Append one event; with ``expected``, check it landed at that index."""
    index = store.append(session, [events.encode(event, actor, data, moment)])
    if expected is not None and index != expected:
        raise LedgerCorrupt(f"entry landed at {index}, not {expected}", index=index)
    return index
