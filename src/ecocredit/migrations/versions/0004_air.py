"""Air quality: stations, import runs and files, station-day values, targets, published means.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "air_stations",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("city", sa.String(50), nullable=False),
        sa.Column("province", sa.String(50), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_air_stations")),
    )
    op.create_table(
        "air_imports",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("values_written", BigInt, nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("first_hour", Stamp, nullable=True),
        sa.Column("last_hour", Stamp, nullable=True),
        sa.Column("ledger_index", BigInt, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_air_imports")),
    )
    op.create_table(
        "air_import_files",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("import_id", BigInt, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("layout", sa.String(8), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["air_imports.id"],
            name=op.f("fk_air_import_files_import_id_air_imports"),
        ),
        sa.PrimaryKeyConstraint("sha256", "import_id", name=op.f("pk_air_import_files")),
    )
    op.create_table(
        "air_station_days",
        sa.Column("station", sa.String(16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("import_id", BigInt, nullable=False),
        sa.Column("block", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station"],
            ["air_stations.code"],
            name=op.f("fk_air_station_days_station_air_stations"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["air_imports.id"],
            name=op.f("fk_air_station_days_import_id_air_imports"),
        ),
        sa.PrimaryKeyConstraint("station", "day", "import_id", name=op.f("pk_air_station_days")),
    )
    op.create_index("ix_air_station_days_day", "air_station_days", ["day"])
    op.create_table(
        "air_targets",
        sa.Column("subject", sa.String(50), nullable=False),
        sa.Column("pollutant", sa.String(8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("baseline_year", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("subject", "pollutant", "year", name=op.f("pk_air_targets")),
    )
    op.create_table(
        "air_published_annual_means",
        sa.Column("city", sa.String(50), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("pollutant", sa.String(8), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint(
            "city", "year", "pollutant", name=op.f("pk_air_published_annual_means")
        ),
    )


def downgrade() -> None:
    for name in (
        "air_published_annual_means",
        "air_targets",
        "air_station_days",
        "air_import_files",
        "air_imports",
        "air_stations",
    ):
        op.drop_table(name)
