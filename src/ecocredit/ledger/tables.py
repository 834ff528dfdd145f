"""Tables of the Merkle log: entries, complete-subtree hashes, the head, checkpoints and keys."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, LargeBinary, SmallInteger, String, Table, Text

from ecocredit.db import BigInt, metadata

# Leaf i: the exact entry bytes (canonical JSON) and their RFC 9162 leaf hash.
ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("idx", BigInt, primary_key=True, autoincrement=False),
    Column("entry", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
)

# Hash of every complete subtree above the leaves; id = level << NODE_LEVEL_SHIFT | index.
ledger_nodes = Table(
    "ledger_nodes",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

# One row: the tree size, its root and its compact range (frontier hashes, largest first).
# Appenders lock this row, which is what keeps indices gap-free on PostgreSQL.
ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("size", BigInt, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("frontier", LargeBinary, nullable=False),
)

# Every checkpoint the log has signed, so that any of them can be shown and re-verified.
ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("size", BigInt, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
)

# The public keys the log signs with: the key file must match the active one.
ledger_keys = Table(
    "ledger_keys",
    metadata,
    Column("verifier", String(200), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True), nullable=True),
)
