"""Marine-plastic chain of custody: lots, their parents, handoffs, sales and fund payouts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def _lots() -> None:
    op.create_table(
        "custody_lots",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("seq", BigInt, nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("mass", BigInt, nullable=False),
        sa.Column("grams", BigInt, nullable=False),
        sa.Column("collector", sa.String(length=64), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("collected_at", Stamp, nullable=True),
        sa.Column("photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("weighed", sa.Boolean(), nullable=False),
        sa.Column("product_code", sa.String(length=16), nullable=True),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("ledger_index", BigInt, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_lots")),
    )
    op.create_index("ix_custody_lots_holder", "custody_lots", ["holder", "stage"], unique=False)
    op.create_index("ix_custody_lots_product_code", "custody_lots", ["product_code"], unique=True)
    op.create_table(
        "custody_lot_parents",
        sa.Column("child", sa.String(length=64), nullable=False),
        sa.Column("parent", sa.String(length=64), nullable=False),
        sa.Column("grams", BigInt, nullable=False),
        sa.ForeignKeyConstraint(
            ["child"], ["custody_lots.id"], name=op.f("fk_custody_lot_parents_child_custody_lots")
        ),
        sa.ForeignKeyConstraint(
            ["parent"],
            ["custody_lots.id"],
            name=op.f("fk_custody_lot_parents_parent_custody_lots"),
        ),
        sa.PrimaryKeyConstraint("child", "parent", name=op.f("pk_custody_lot_parents")),
    )
    op.create_index(
        "ix_custody_lot_parents_parent", "custody_lot_parents", ["parent"], unique=False
    )


def _handoffs() -> None:
    op.create_table(
        "custody_handoffs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("seq", BigInt, nullable=False),
        sa.Column("lot_id", sa.String(length=64), nullable=False),
        sa.Column("from_account", sa.String(length=64), nullable=False),
        sa.Column("to_account", sa.String(length=64), nullable=False),
        sa.Column("grams", BigInt, nullable=False),
        sa.Column("to_stage", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("new_lot_id", sa.String(length=64), nullable=True),
        sa.Column("ledger_index", BigInt, nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["custody_lots.id"], name=op.f("fk_custody_handoffs_lot_id_custody_lots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_handoffs")),
    )
    op.create_index(
        "ix_custody_handoffs_lot", "custody_handoffs", ["lot_id", "state"], unique=False
    )
    op.create_index(
        "ix_custody_handoffs_to", "custody_handoffs", ["to_account", "state"], unique=False
    )


def _fund() -> None:
    op.create_table(
        "custody_sales",
        sa.Column("id", BigInt, autoincrement=False, nullable=False),
        sa.Column("product_code", sa.String(length=16), nullable=False),
        sa.Column("seller", sa.String(length=64), nullable=False),
        sa.Column("sale_cents", BigInt, nullable=False),
        sa.Column("share_bp", sa.Integer(), nullable=False),
        sa.Column("fund_cents", BigInt, nullable=False),
        sa.Column("at", Stamp, nullable=False),
        sa.Column("paid_run", BigInt, nullable=True),
        sa.Column("ledger_index", BigInt, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_sales")),
    )
    op.create_index(
        "ix_custody_sales_unpaid", "custody_sales", ["paid_run", "product_code"], unique=False
    )
    op.create_table(
        "custody_payouts",
        sa.Column("id", BigInt, autoincrement=False, nullable=False),
        sa.Column("run", BigInt, nullable=False),
        sa.Column("collector", sa.String(length=64), nullable=False),
        sa.Column("cents", BigInt, nullable=False),
        sa.Column("at", Stamp, nullable=False),
        sa.Column("ledger_index", BigInt, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_payouts")),
    )
    op.create_index("ix_custody_payouts_run", "custody_payouts", ["run"], unique=False)


def upgrade() -> None:
    _lots()
    _handoffs()
    _fund()


def downgrade() -> None:
    op.drop_index("ix_custody_payouts_run", table_name="custody_payouts")
    op.drop_table("custody_payouts")
    op.drop_index("ix_custody_sales_unpaid", table_name="custody_sales")
    op.drop_table("custody_sales")
    op.drop_index("ix_custody_handoffs_to", table_name="custody_handoffs")
    op.drop_index("ix_custody_handoffs_lot", table_name="custody_handoffs")
    op.drop_table("custody_handoffs")
    op.drop_index("ix_custody_lot_parents_parent", table_name="custody_lot_parents")
    op.drop_table("custody_lot_parents")
    op.drop_index("ix_custody_lots_product_code", table_name="custody_lots")
    op.drop_index("ix_custody_lots_holder", table_name="custody_lots")
    op.drop_table("custody_lots")
