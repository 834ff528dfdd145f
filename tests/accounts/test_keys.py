"""API keys: random 256-bit tokens, stored only as a hash."""

from __future__ import annotations

import base64

from ecocredit.accounts import keys


def test_keys_carry_256_random_bits_and_never_repeat() -> None:
    made = {keys.new_key() for _ in range(1000)}
    assert len(made) == 1000
    for key in list(made)[:20]:
        assert key.startswith("eco_")
        assert len(base64.urlsafe_b64decode(key[4:] + "=")) == 32


def test_the_stored_form_is_a_hash_not_the_key() -> None:
    key = keys.new_key()
    stored = keys.key_hash(key)
    assert len(stored) == 32 and key.encode() not in stored
    assert keys.key_hash(key) == stored and keys.key_hash(keys.new_key()) != stored
