"""Carbon accounting: users' factors, organisations, facilities, inventories, records, processes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "carbon_factors",
        sa.Column("factor_id", sa.String(128), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("activity", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("gases", sa.Text(), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("data_year", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(50), nullable=False),
        sa.Column("ledger_index", BigInt, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("factor_id", name=op.f("pk_carbon_factors")),
    )
    op.create_table(
        "carbon_organisations",
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("industry", sa.String(100), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_carbon_organisations")),
    )
    op.create_table(
        "carbon_facilities",
        sa.Column("organisation", sa.String(64), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("province", sa.String(16), nullable=True),
        sa.Column("created_at", Stamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation"],
            ["carbon_organisations.code"],
            name=op.f("fk_carbon_facilities_organisation_carbon_organisations"),
        ),
        sa.PrimaryKeyConstraint("organisation", "code", name=op.f("pk_carbon_facilities")),
    )
    op.create_table(
        "carbon_inventories",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("organisation", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("gwp", sa.String(8), nullable=False),
        sa.Column("series", sa.String(32), nullable=True),
        sa.Column("output_quantity", sa.Float(), nullable=True),
        sa.Column("output_unit", sa.String(40), nullable=True),
        sa.Column("revenue_wan_cny", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("records_sha256", sa.String(64), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("ledger_index", BigInt, nullable=True),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("submitted_at", Stamp, nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation"],
            ["carbon_organisations.code"],
            name=op.f("fk_carbon_inventories_organisation_carbon_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carbon_inventories")),
        sa.UniqueConstraint(
            "organisation", "year", "version", name="uq_carbon_inventories_version"
        ),
    )
    op.create_index(
        "ix_carbon_inventories_org_year", "carbon_inventories", ["organisation", "year"]
    )
    op.create_table(
        "carbon_records",
        sa.Column("inventory_id", BigInt, nullable=False),
        sa.Column("line", BigInt, nullable=False),
        sa.Column("facility", sa.String(64), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("scope", sa.SmallInteger(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("activity", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("factor_id", sa.String(128), nullable=True),
        sa.Column("evidence_sha256", sa.String(64), nullable=True),
        sa.Column("note", sa.String(500), nullable=False),
        sa.ForeignKeyConstraint(
            ["inventory_id"],
            ["carbon_inventories.id"],
            name=op.f("fk_carbon_records_inventory_id_carbon_inventories"),
        ),
        sa.PrimaryKeyConstraint("inventory_id", "line", name=op.f("pk_carbon_records")),
    )
    op.create_table(
        "carbon_processes",
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("output", sa.Float(), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("ledger_index", BigInt, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_carbon_processes")),
    )
    op.create_table(
        "carbon_exchanges",
        sa.Column("process", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(
            ["process"],
            ["carbon_processes.code"],
            name=op.f("fk_carbon_exchanges_process_carbon_processes"),
        ),
        sa.PrimaryKeyConstraint("process", "position", name=op.f("pk_carbon_exchanges")),
    )
    op.create_index("ix_carbon_exchanges_target", "carbon_exchanges", ["target"])


def downgrade() -> None:
    op.drop_index("ix_carbon_exchanges_target", table_name="carbon_exchanges")
    op.drop_table("carbon_exchanges")
    op.drop_table("carbon_processes")
    op.drop_table("carbon_records")
    op.drop_index("ix_carbon_inventories_org_year", table_name="carbon_inventories")
    op.drop_table("carbon_inventories")
    op.drop_table("carbon_facilities")
    op.drop_table("carbon_organisations")
    op.drop_table("carbon_factors")
