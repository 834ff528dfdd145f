"""Ledger entries: canonical JSON of declared events, with their payloads checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ecocredit.errors import EntryTooLarge, InvalidParameter
from ecocredit.ledger import events

MOMENT = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))


def test_entries_are_rfc8785_canonical_json_in_utc() -> None:
    entry = events.encode(events.NOTICE, "admin", {"text": "Zhōngguó 中国 \u2028"}, MOMENT)
    assert (
        entry
        == (
            '{"actor":"admin","data":{"text":"Zhōngguó 中国 \u2028"},'
            '"time":"2026-03-01T00:30:15.123Z","type":"ledger.notice"}'
        ).encode()
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [({}, "text"), ({"text": "x", "extra": 1}, "extra"), ({"text": 5}, "text")],
)
def test_payloads_must_match_the_declaration(data: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        events.encode(events.NOTICE, "admin", data, MOMENT)
    assert caught.value.field == field


def test_a_boolean_is_not_a_count() -> None:
    with pytest.raises(InvalidParameter):
        events.encode(events.API_KEY_ISSUED, "admin", {"account": "a", "key_id": True}, MOMENT)


def test_entries_over_65535_bytes_are_refused() -> None:
    with pytest.raises(EntryTooLarge, match="65535"):
        events.encode(events.NOTICE, "admin", {"text": "x" * 70_000}, datetime.now(UTC))


def test_every_event_is_declared_once_with_a_description() -> None:
    assert {"ledger.key_added", "ledger.notice", "account.created", "account.key_issued"} <= set(
        events.EVENTS
    )
    assert all(name == event.name for name, event in events.EVENTS.items())
    assert all(e.doc and e.fields for e in events.EVENTS.values())
