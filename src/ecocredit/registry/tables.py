"""Tables of the registry. Amounts are integers of the credit type's smallest unit.

The supply columns of a batch and the serial blocks are the state; the log holds the events
that made it, and ``ecocredit registry replay`` rebuilds both from the log to prove it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from ecocredit.db import BigInt, metadata

Stamp = DateTime(timezone=True)

credit_types = Table(
    "registry_credit_types",
    metadata,
    Column("abbrev", String(3), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("unit", String(50), nullable=False),
    Column("precision", Integer, nullable=False),
    Column("created_at", Stamp, nullable=False),
)

classes = Table(
    "registry_classes",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("credit_type", String(3), ForeignKey("registry_credit_types.abbrev"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("methodology", String(100), nullable=False),
    Column("methodology_version", String(50), nullable=False),
    Column("admin_id", BigInt, ForeignKey("accounts.id"), nullable=False),
    Column("created_at", Stamp, nullable=False),
)

class_issuers = Table(
    "registry_class_issuers",
    metadata,
    Column("class_id", String(16), ForeignKey("registry_classes.id"), primary_key=True),
    Column("account_id", BigInt, ForeignKey("accounts.id"), primary_key=True),
)

projects = Table(
    "registry_projects",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("class_id", String(16), ForeignKey("registry_classes.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("admin_id", BigInt, ForeignKey("accounts.id"), nullable=False),
    Column("jurisdiction", String(80), nullable=False, index=True),
    Column("location", String(200), nullable=False),
    Column("reference_id", String(32), nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_at", Stamp, nullable=False),
    UniqueConstraint("class_id", "reference_id", name="uq_registry_projects_class_reference"),
)

reports = Table(
    "registry_reports",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "project_id", String(24), ForeignKey("registry_projects.id"), nullable=False, index=True
    ),
    Column("verifier_id", BigInt, ForeignKey("accounts.id"), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("verified", BigInteger, nullable=False),
    Column("document_sha256", String(64), nullable=False),
    Column("filed_at", Stamp, nullable=False),
    Column("ledger_index", BigInteger, nullable=False),
)

batches = Table(
    "registry_batches",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=True),
    Column("denom", String(64), nullable=False, unique=True),
    Column(
        "project_id", String(24), ForeignKey("registry_projects.id"), nullable=False, index=True
    ),
    Column("class_id", String(16), ForeignKey("registry_classes.id"), nullable=False),
    Column("issuer_id", BigInt, ForeignKey("accounts.id"), nullable=False),
    Column("report_id", String(32), ForeignKey("registry_reports.id"), nullable=False, unique=True),
    Column("vintage_start", Date, nullable=False),
    Column("vintage_end", Date, nullable=False),
    Column("reference", String(32), nullable=True),
    Column("issued", BigInteger, nullable=False),
    Column("tradable", BigInteger, nullable=False),
    Column("retired", BigInteger, nullable=False),
    Column("cancelled", BigInteger, nullable=False),
    Column("buffer", BigInteger, nullable=False),
    Column("issued_at", Stamp, nullable=False),
    Column("ledger_index", BigInteger, nullable=False),
    UniqueConstraint("class_id", "reference", name="uq_registry_batches_class_reference"),
)

# One row per contiguous serial block; the blocks of a batch partition 1..issued exactly.
blocks = Table(
    "registry_blocks",
    metadata,
    Column("batch_id", BigInt, ForeignKey("registry_batches.id"), primary_key=True),
    Column("first", BigInteger, primary_key=True, autoincrement=False),
    Column("last", BigInteger, nullable=False),
    Column("owner_id", BigInt, ForeignKey("accounts.id"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("op", BigInteger, nullable=True),  # ledger index of the retirement or cancellation
    # Covering: a holding is read from the index alone, in serial order (SQLite picks it over
    # the primary key even with no statistics).
    Index("ix_registry_blocks_owner", "owner_id", "batch_id", "state", "first", "last"),
    # Only final blocks carry an op: a partial index leaves tradable moves out of it.
    Index(
        "ix_registry_blocks_op",
        "op",
        sqlite_where=text("op IS NOT NULL"),
        postgresql_where=text("op IS NOT NULL"),
    ),
    sqlite_with_rowid=False,
)

entities = Table(
    "registry_entities",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
)

retirements = Table(
    "registry_retirements",
    metadata,
    Column("ledger_index", BigInteger, primary_key=True, autoincrement=False),
    Column("batch_id", BigInt, ForeignKey("registry_batches.id"), nullable=False, index=True),
    Column("holder_id", BigInt, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("beneficiary_kind", String(16), nullable=False),
    Column("beneficiary_key", String(220), nullable=False, index=True),
    Column("beneficiary", String(200), nullable=False),
    Column("reason_code", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("jurisdiction", String(80), nullable=False),
    Column("note", Text, nullable=False),
    Column("via", String(16), nullable=False),
    Column("retired_at", Stamp, nullable=False, index=True),
)

cancellations = Table(
    "registry_cancellations",
    metadata,
    Column("ledger_index", BigInteger, primary_key=True, autoincrement=False),
    Column("batch_id", BigInt, ForeignKey("registry_batches.id"), nullable=False, index=True),
    Column("holder_id", BigInt, ForeignKey("accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),  # holder | reversal
    Column("reason", Text, nullable=False),
    Column("cancelled_at", Stamp, nullable=False),
)
