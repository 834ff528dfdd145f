"""Roles and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What an account may do. Capabilities add the roles they need here."""

    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """The account behind a request or a command."""

    account_id: int
    name: str
    role: Role


SYSTEM_ACTOR = "system"
