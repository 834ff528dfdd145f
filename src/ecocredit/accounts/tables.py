"""Tables of accounts and their roles, API keys (stored hashed) and idempotency keys."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ecocredit.db import BigInt, metadata

accounts = Table(
    "accounts",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

account_roles = Table(
    "account_roles",
    metadata,
    Column("account_id", BigInt, ForeignKey("accounts.id"), primary_key=True),
    Column("role", String(32), primary_key=True, index=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=True),
    Column("account_id", BigInt, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("key_hash", LargeBinary(32), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=True),
    Column("account_id", BigInt, ForeignKey("accounts.id"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_hash", LargeBinary(32), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("account_id", "key", name="uq_idempotency_keys_account_key"),
)
