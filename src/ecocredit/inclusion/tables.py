"""Tables of carbon-inclusion programmes: programmes, their rules and rewards, actions, points.

Participants are a programme's own ids (an app's users), not platform accounts. Points live as
grants, each with what is left of it and its expiry; a redemption records what it cancelled.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from ecocredit.db import BigInt, metadata

Stamp = DateTime(timezone=True)

programmes = Table(
    "inclusion_programmes",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("operator", String(64), nullable=False),  # the account that runs it
    Column("ownership", String(16), nullable=False),  # participant or operator (reductions)
    Column("validity_days", Integer, nullable=False),
    Column("limits", Text, nullable=False),  # JSON of decisions.Limits
    Column("ledger_index", BigInt, nullable=False),
    Column("created_at", Stamp, nullable=False),
)

rules = Table(
    "inclusion_rules",
    metadata,
    Column("programme", String(64), ForeignKey("inclusion_programmes.code"), primary_key=True),
    Column("methodology", String(64), primary_key=True),
    Column("version", String(16)),  # None: the latest version at the time of each action
    Column("points_per_action", Integer),
    Column("grams_per_point", Integer),
    Column("max_actions_per_day", Integer),
    Column("max_points_per_day", Integer),
)

rewards = Table(
    "inclusion_rewards",
    metadata,
    Column("programme", String(64), ForeignKey("inclusion_programmes.code"), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("points", Integer, nullable=False),
    Column("stock", Integer, nullable=False),
)

actions = Table(
    "inclusion_actions",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=True),
    Column("programme", String(64), ForeignKey("inclusion_programmes.code"), nullable=False),
    Column("participant", String(64), nullable=False),
    Column("idempotency_key", String(128), nullable=False),
    Column("methodology", String(64), nullable=False),
    Column("version", String(16), nullable=False),
    Column("at", Stamp, nullable=False),
    Column("received", Stamp, nullable=False),
    Column("status", String(16), nullable=False),  # accepted, rejected or review
    Column("reason", String(300), nullable=False),
    Column("grams_co2e", BigInt, nullable=False),
    Column("quantities", Text, nullable=False),  # JSON
    Column("evidence_sha256", String(64), nullable=False),
    # Its first 60 bits as an integer: the duplicate-evidence index is on this, an eighth of
    # the hex text's size, so it sorts and searches faster; a hit is compared in full.
    Column("evidence_prefix", BigInt, nullable=False),
    Column("phash", BigInt),  # signed 64-bit form of the photo's perceptual hash
    Column("points", Integer, nullable=False),
    Column("batch", String(64)),  # the credit batch that counted this reduction, once
    Column("ledger_index", BigInt, nullable=False),
)

grants = Table(
    "inclusion_grants",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=True),
    Column("programme", String(64), nullable=False),
    Column("participant", String(64), nullable=False),
    Column("action_id", BigInt, ForeignKey("inclusion_actions.id"), nullable=False),
    Column("points", Integer, nullable=False),
    Column("remaining", Integer, nullable=False),
    Column("expires_at", Stamp, nullable=False),
)

redemptions = Table(
    "inclusion_redemptions",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=True),
    Column("programme", String(64), nullable=False),
    Column("participant", String(64), nullable=False),
    Column("reward", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("points", Integer, nullable=False),
    Column("at", Stamp, nullable=False),
    Column("ledger_index", BigInt, nullable=False),
)

# A unique index rather than a constraint, so a bulk import can drop and rebuild it.
Index("uq_inclusion_actions_key", actions.c.programme, actions.c.idempotency_key, unique=True)
Index("ix_inclusion_actions_evidence", actions.c.programme, actions.c.evidence_prefix)
Index("ix_inclusion_actions_participant", actions.c.programme, actions.c.participant, actions.c.at)
Index("ix_inclusion_grants_open", grants.c.programme, grants.c.participant, grants.c.expires_at)

imports = Table(
    "inclusion_imports",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=True),
    Column("programme", String(64), ForeignKey("inclusion_programmes.code"), nullable=False),
    Column("files_sha256", String(64), nullable=False),  # of the files' SHA-256s, in order
    Column("rows_total", BigInt, nullable=False),
    Column("rows_done", BigInt, nullable=False),  # written, in the files' time order
    Column("state", String(16), nullable=False),  # running or done
    Column("indexes_dropped", Boolean, nullable=False),  # rebuilt when the import ends
    Column("actor", String(64), nullable=False),
    Column("started_at", Stamp, nullable=False),
    Column("finished_at", Stamp),
)
