"""Value types of the log: an entry as stored and read back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LedgerEntry:
    """Leaf ``index`` of the log: its exact bytes (canonical JSON) and its leaf hash."""

    index: int
    entry: bytes
    leaf_hash: bytes

    @property
    def text(self) -> str:
        """The entry bytes as text (canonical JSON is UTF-8)."""
        return self.entry.decode()

    def decoded(self) -> dict[str, Any]:
        """The entry as a dictionary: ``type``, ``time``, ``actor`` and ``data``."""
        value: dict[str, Any] = json.loads(self.entry)
        return value
