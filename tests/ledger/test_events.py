"""Ledger entries: canonical JSON of declared events, with their payloads checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

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


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(st.characters(codec="utf-8", exclude_categories=["Cs"])),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(max_codepoint=127), max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(st.characters(max_codepoint=127), max_size=8), _json_values))
def test_the_fast_encoder_writes_exactly_the_rfc8785_bytes(body: dict[str, object]) -> None:
    assert events.canonical(body) == rfc8785.dumps(body)


def test_control_characters_and_non_ascii_text_are_escaped_as_rfc8785_says() -> None:
    body = {"b": '\x00\x1f\x7f\u2028\b\t\n\f\r"\\é€😀', "a": [1, -5, 2**53 - 1, True, None]}
    assert events.canonical(body) == rfc8785.dumps(body)


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="canonicalised"):
        events.encode(events.NOTICE, "admin", {"text": "a\ud800b"}, MOMENT)
