"""Every event type the log records, declared once with its payload fields.

This file is the list a reader needs to understand the whole history. A ledger entry is the
RFC 8785 canonical JSON of ``{"type", "time", "actor", "data"}``: ``type`` is one of the names
below, ``time`` is UTC in ISO 8601 with milliseconds and a ``Z``, ``actor`` is the account that
caused the change (or ``system``), and ``data`` has exactly the declared fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785

from ecocredit.errors import EntryTooLarge, InvalidParameter

MAX_ENTRY_BYTES = 65_535  # a tlog-tiles entry bundle prefixes each entry with a uint16 length


@dataclass(frozen=True)
class EventType:
    """One kind of state change: its name, what it means and its payload fields."""

    name: str
    doc: str
    fields: Mapping[str, type]


EVENTS: dict[str, EventType] = {}


def _declare(name: str, doc: str, **fields: type) -> EventType:
    event = EventType(name, doc, fields)
    EVENTS[name] = event
    return event


LOG_KEY_ADDED = _declare(
    "ledger.key_added",
    "The log signs its checkpoints with this public key (signed-note verifier key form).",
    verifier=str,
)
NOTICE = _declare(
    "ledger.notice",
    "An operator's public notice: a methodology update, a correction, an announcement.",
    text=str,
)
ACCOUNT_CREATED = _declare(
    "account.created",
    "An account was opened with a role.",
    account=str,
    role=str,
)
API_KEY_ISSUED = _declare(
    "account.key_issued",
    "A new API key was issued to an account (the key itself is never logged).",
    account=str,
    key_id=int,
)


def format_time(moment: datetime) -> str:
    """Return ``moment`` as the log writes times: UTC, milliseconds, ``Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def encode(event: EventType, actor: str, data: Mapping[str, Any], moment: datetime) -> bytes:
    """Return the canonical entry bytes of one event, checking its payload against the schema."""
    missing = [f for f in event.fields if f not in data]
    extra = [f for f in data if f not in event.fields]
    if missing or extra:
        wrong = (missing or extra)[0]
        what = "is missing" if missing else "is not a field of this event"
        raise InvalidParameter(f"{event.name}: field {wrong!r} {what}", field=wrong)
    for name, kind in event.fields.items():
        value = data[name]
        # bool is an int in Python; a count must not silently accept True.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise InvalidParameter(
                f"{event.name}: field {name!r} must be {kind.__name__}", field=name
            )
    body: dict[str, Any] = {
        "type": event.name,
        "time": format_time(moment),
        "actor": actor,
        "data": dict(data),
    }
    try:
        entry: bytes = rfc8785.dumps(body)
    except rfc8785.CanonicalizationError as exc:
        raise InvalidParameter(f"{event.name}: payload cannot be canonicalised: {exc}") from exc
    if len(entry) > MAX_ENTRY_BYTES:
        raise EntryTooLarge(
            f"{event.name}: entry is {len(entry)} bytes; a log entry holds at most "
            f"{MAX_ENTRY_BYTES}: keep large evidence off the log and record its hash"
        )
    return entry
