"""API keys: 256-bit random tokens, shown once, stored only as their SHA-256 hash.

A key is ``eco_`` followed by 43 base64url characters (32 random bytes). Because the token is
uniformly random, a plain SHA-256 suffices to store it: there is nothing to guess or to
brute-force that a slow password hash would protect.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

PREFIX = "eco_"
_TOKEN_BYTES = 32


def new_key() -> str:
    """Return a new random API key."""
    raw = secrets.token_bytes(_TOKEN_BYTES)
    return PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def key_hash(key: str) -> bytes:
    """Return the stored form of a key."""
    return hashlib.sha256(key.encode()).digest()


def display_prefix(key: str) -> str:
    """Return the first characters of a key, enough for a person to tell keys apart."""
    return key[: len(PREFIX) + 6]
