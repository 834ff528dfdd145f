"""Tables of carbon accounting: factors, organisations, inventories, records, product systems.

Users' own factors, organisations and their facilities, inventory versions and their
records, and the processes and exchanges of product systems.

An inventory is one version of an organisation's year. A draft takes records; submitting it
computes it, hashes it into the log and freezes it. A correction is the next version, which
starts as a copy of the last one; every version stays readable.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ecocredit.db import BigInt, metadata

Stamp = DateTime(timezone=True)

factors = Table(
    "carbon_factors",
    metadata,
    Column("factor_id", String(128), primary_key=True),  # "<owner>/<name>": never a published id
    Column("owner", String(64), nullable=False),
    Column("activity", String(64), nullable=False),
    Column("unit", String(40), nullable=False),
    Column("gases", Text, nullable=False),  # JSON {gas: kg per unit}
    Column("method", String(32), nullable=False),
    Column("source", String(500), nullable=False),
    Column("data_year", Integer),
    Column("region", String(50), nullable=False),
    Column("ledger_index", BigInt, nullable=False),
    Column("created_at", Stamp, nullable=False),
)

organisations = Table(
    "carbon_organisations",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("account", String(64), nullable=False),  # the account that reports for it
    Column("industry", String(100), nullable=False),
    Column("created_at", Stamp, nullable=False),
)

facilities = Table(
    "carbon_facilities",
    metadata,
    Column("organisation", String(64), ForeignKey("carbon_organisations.code"), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("province", String(16)),
    Column("created_at", Stamp, nullable=False),
)

inventories = Table(
    "carbon_inventories",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=True),
    Column("organisation", String(64), ForeignKey("carbon_organisations.code"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # draft or submitted
    Column("gwp", String(8), nullable=False),
    Column("series", String(32)),  # a preferred factor series, if the report chose one
    Column("output_quantity", Float),
    Column("output_unit", String(40)),
    Column("revenue_wan_cny", Float),
    Column("reason", String(500), nullable=False),  # why this version exists
    Column("revision", Integer, nullable=False, default=0),  # +1 at each change of a draft
    Column("records_sha256", String(64)),
    Column("sha256", String(64)),
    Column("summary", Text),  # JSON of the totals, written on submission
    Column("ledger_index", BigInt),
    Column("created_at", Stamp, nullable=False),
    Column("submitted_at", Stamp),
    UniqueConstraint("organisation", "year", "version", name="uq_carbon_inventories_version"),
)

records = Table(
    "carbon_records",
    metadata,
    Column("inventory_id", BigInt, ForeignKey("carbon_inventories.id"), primary_key=True),
    Column("line", BigInt, primary_key=True),
    Column("facility", String(64), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("scope", SmallInteger, nullable=False),
    Column("category", String(32), nullable=False),
    Column("activity", String(64), nullable=False),
    Column("quantity", Float, nullable=False),
    Column("unit", String(40), nullable=False),
    Column("factor_id", String(128)),
    Column("evidence_sha256", String(64)),
    Column("note", String(500), nullable=False),
)

processes = Table(
    "carbon_processes",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # process or product
    Column("unit", String(40), nullable=False),
    Column("output", Float, nullable=False),
    Column("owner", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),  # of its definition, as logged
    Column("ledger_index", BigInt, nullable=False),
    Column("created_at", Stamp, nullable=False),
)

exchanges = Table(
    "carbon_exchanges",
    metadata,
    Column("process", String(64), ForeignKey("carbon_processes.code"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # input (a supplier process) or emission
    Column("target", String(128), nullable=False),  # supplier code, gas, or factor id
    Column("amount", Float, nullable=False),
    Column("unit", String(40), nullable=False),
)

Index("ix_carbon_inventories_org_year", inventories.c.organisation, inventories.c.year)
Index("ix_carbon_exchanges_target", exchanges.c.target)
