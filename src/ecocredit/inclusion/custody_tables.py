"""Tables of the marine-plastic chain of custody and its shared-prosperity fund.

A lot is plastic in one account's custody (``mass`` as created or weighed, ``grams`` still
held); a lot made from others lists them, with the grams taken, in ``custody_lot_parents``.
Handoffs wait for their receiver. Lot and handoff ids share one sequence (``seq``), allocated
from these tables behind the log's lock. Sales feed the fund; a payout run pays the unpaid
sales' fund share to the collectors and marks them with its run number.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from ecocredit.db import BigInt, metadata

Stamp = DateTime(timezone=True)

lots = Table(
    "custody_lots",
    metadata,
    Column("id", String(64), primary_key=True),  # LOT-000001, or a maker's product id
    Column("seq", BigInt),  # the number in a LOT- id; None for a product
    Column("stage", String(16), nullable=False),
    Column("holder", String(64), nullable=False),
    Column("mass", BigInt, nullable=False),  # grams as created or weighed
    Column("grams", BigInt, nullable=False),  # grams still held
    # Origin of a collected lot (None on lots made from others).
    Column("collector", String(64)),
    Column("place", String(200)),  # a place name, or the geo: URI of the coordinates
    Column("lon", Float),
    Column("lat", Float),
    Column("collected_at", Stamp),
    Column("photo_sha256", String(64)),
    Column("weighed", Boolean, nullable=False),
    Column("product_code", String(16)),  # the QR code of a product
    Column("flags", Text, nullable=False),  # JSON list of mass_flagged reasons
    Column("ledger_index", BigInt, nullable=False),  # the entry that created the lot
)

lot_parents = Table(
    "custody_lot_parents",
    metadata,
    Column("child", String(64), ForeignKey("custody_lots.id"), primary_key=True),
    Column("parent", String(64), ForeignKey("custody_lots.id"), primary_key=True),
    Column("grams", BigInt, nullable=False),  # taken from the parent into the child
)

handoffs = Table(
    "custody_handoffs",
    metadata,
    Column("id", String(32), primary_key=True),  # HO-000002
    Column("seq", BigInt, nullable=False),
    Column("lot_id", String(64), ForeignKey("custody_lots.id"), nullable=False),
    Column("from_account", String(64), nullable=False),
    Column("to_account", String(64), nullable=False),
    Column("grams", BigInt, nullable=False),
    Column("to_stage", String(16), nullable=False),
    Column("state", String(16), nullable=False),  # pending, confirmed or cancelled
    Column("new_lot_id", String(64)),  # the receiver's lot, once confirmed
    Column("ledger_index", BigInt, nullable=False),  # the offer's entry
)

sales = Table(
    "custody_sales",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=False),
    Column("product_code", String(16), nullable=False),
    Column("seller", String(64), nullable=False),
    Column("sale_cents", BigInt, nullable=False),
    Column("share_bp", Integer, nullable=False),
    Column("fund_cents", BigInt, nullable=False),
    Column("at", Stamp, nullable=False),
    Column("paid_run", BigInt),  # the payout run that paid its fund share out
    Column("ledger_index", BigInt, nullable=False),
)

payouts = Table(
    "custody_payouts",
    metadata,
    Column("id", BigInt, primary_key=True, autoincrement=False),
    Column("run", BigInt, nullable=False),
    Column("collector", String(64), nullable=False),
    Column("cents", BigInt, nullable=False),
    Column("at", Stamp, nullable=False),
    Column("ledger_index", BigInt, nullable=False),
)

Index("ix_custody_lots_product_code", lots.c.product_code, unique=True)
Index("ix_custody_lots_holder", lots.c.holder, lots.c.stage)
Index("ix_custody_lot_parents_parent", lot_parents.c.parent)
Index("ix_custody_handoffs_lot", handoffs.c.lot_id, handoffs.c.state)
Index("ix_custody_handoffs_to", handoffs.c.to_account, handoffs.c.state)
Index("ix_custody_sales_unpaid", sales.c.paid_run, sales.c.product_code)
Index("ix_custody_payouts_run", payouts.c.run)
