"""The carbon credit registry: credit types, classes, projects, reports, batches, serial blocks.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 23:34:34.129531
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_credit_types",
        sa.Column("abbrev", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("precision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("abbrev", name=op.f("pk_registry_credit_types")),
    )
    op.create_table(
        "registry_entities",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_entities")),
        sa.UniqueConstraint("key", name=op.f("uq_registry_entities_key")),
    )
    op.create_table(
        "registry_classes",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("credit_type", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("methodology", sa.String(length=100), nullable=False),
        sa.Column("methodology_version", sa.String(length=50), nullable=False),
        sa.Column("admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["accounts.id"], name=op.f("fk_registry_classes_admin_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["credit_type"],
            ["registry_credit_types.abbrev"],
            name=op.f("fk_registry_classes_credit_type_registry_credit_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_classes")),
    )
    op.create_table(
        "registry_class_issuers",
        sa.Column("class_id", sa.String(length=16), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_registry_class_issuers_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["registry_classes.id"],
            name=op.f("fk_registry_class_issuers_class_id_registry_classes"),
        ),
        sa.PrimaryKeyConstraint("class_id", "account_id", name=op.f("pk_registry_class_issuers")),
    )
    op.create_table(
        "registry_projects",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("class_id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("jurisdiction", sa.String(length=80), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("reference_id", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["accounts.id"], name=op.f("fk_registry_projects_admin_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["registry_classes.id"],
            name=op.f("fk_registry_projects_class_id_registry_classes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_projects")),
        sa.UniqueConstraint(
            "class_id", "reference_id", name="uq_registry_projects_class_reference"
        ),
    )
    with op.batch_alter_table("registry_projects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_projects_class_id"), ["class_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registry_projects_jurisdiction"), ["jurisdiction"], unique=False
        )

    op.create_table(
        "registry_reports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=24), nullable=False),
        sa.Column(
            "verifier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("verified", sa.BigInteger(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["registry_projects.id"],
            name=op.f("fk_registry_reports_project_id_registry_projects"),
        ),
        sa.ForeignKeyConstraint(
            ["verifier_id"], ["accounts.id"], name=op.f("fk_registry_reports_verifier_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_reports")),
    )
    op.create_table(
        "registry_batches",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("denom", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=24), nullable=False),
        sa.Column("class_id", sa.String(length=16), nullable=False),
        sa.Column(
            "issuer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("report_id", sa.String(length=32), nullable=False),
        sa.Column("vintage_start", sa.Date(), nullable=False),
        sa.Column("vintage_end", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=True),
        sa.Column("issued", sa.BigInteger(), nullable=False),
        sa.Column("tradable", sa.BigInteger(), nullable=False),
        sa.Column("retired", sa.BigInteger(), nullable=False),
        sa.Column("cancelled", sa.BigInteger(), nullable=False),
        sa.Column("buffer", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["registry_classes.id"],
            name=op.f("fk_registry_batches_class_id_registry_classes"),
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["accounts.id"], name=op.f("fk_registry_batches_issuer_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["registry_projects.id"],
            name=op.f("fk_registry_batches_project_id_registry_projects"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["registry_reports.id"],
            name=op.f("fk_registry_batches_report_id_registry_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_batches")),
        sa.UniqueConstraint("class_id", "reference", name="uq_registry_batches_class_reference"),
        sa.UniqueConstraint("denom", name=op.f("uq_registry_batches_denom")),
        sa.UniqueConstraint("report_id", name=op.f("uq_registry_batches_report_id")),
    )
    op.create_table(
        "registry_blocks",
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("first", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("op", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["registry_batches.id"],
            name=op.f("fk_registry_blocks_batch_id_registry_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["accounts.id"], name=op.f("fk_registry_blocks_owner_id_accounts")
        ),
        sa.PrimaryKeyConstraint("batch_id", "first", name=op.f("pk_registry_blocks")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("registry_blocks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_blocks_op",
            ["op"],
            unique=False,
            sqlite_where=sa.text("op IS NOT NULL"),
            postgresql_where=sa.text("op IS NOT NULL"),
        )
        batch_op.create_index(
            # Covering (last included), so that reading a holding never touches the table and
            # SQLite prefers it to the primary key even without statistics.
            "ix_registry_blocks_owner",
            ["owner_id", "batch_id", "state", "first", "last"],
            unique=False,
        )

    op.create_table(
        "registry_cancellations",
        sa.Column("ledger_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "holder_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["registry_batches.id"],
            name=op.f("fk_registry_cancellations_batch_id_registry_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["accounts.id"],
            name=op.f("fk_registry_cancellations_holder_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("ledger_index", name=op.f("pk_registry_cancellations")),
    )
    with op.batch_alter_table("registry_cancellations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_cancellations_batch_id"), ["batch_id"], unique=False
        )

    op.create_table(
        "registry_retirements",
        sa.Column("ledger_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "holder_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("beneficiary_kind", sa.String(length=16), nullable=False),
        sa.Column("beneficiary_key", sa.String(length=220), nullable=False),
        sa.Column("beneficiary", sa.String(length=200), nullable=False),
        sa.Column("reason_code", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("jurisdiction", sa.String(length=80), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["registry_batches.id"],
            name=op.f("fk_registry_retirements_batch_id_registry_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["accounts.id"], name=op.f("fk_registry_retirements_holder_id_accounts")
        ),
        sa.PrimaryKeyConstraint("ledger_index", name=op.f("pk_registry_retirements")),
    )
    with op.batch_alter_table("registry_retirements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_retirements_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registry_retirements_beneficiary_key"), ["beneficiary_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registry_retirements_retired_at"), ["retired_at"], unique=False
        )
    # Lookups by project (batch and report sequences, filters) and by holder (retirements).
    op.create_index("ix_registry_reports_project_id", "registry_reports", ["project_id"])
    op.create_index("ix_registry_batches_project_id", "registry_batches", ["project_id"])
    op.create_index("ix_registry_retirements_holder_id", "registry_retirements", ["holder_id"])
    # The built-in credit type C (src/ecocredit/registry/data/credit_types.csv, as of this
    # migration): tonnes of CO2e counted in grams.
    op.bulk_insert(
        sa.table(
            "registry_credit_types",
            sa.column("abbrev", sa.String),
            sa.column("name", sa.String),
            sa.column("unit", sa.String),
            sa.column("precision", sa.Integer),
            sa.column("created_at", sa.DateTime(timezone=True)),
        ),
        [
            {
                "abbrev": "C",
                "name": "Carbon dioxide equivalent",
                "unit": "tCO2e",
                "precision": 6,
                "created_at": datetime(2026, 11, 28, tzinfo=UTC),
            }
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_registry_retirements_holder_id", "registry_retirements")
    op.drop_index("ix_registry_batches_project_id", "registry_batches")
    op.drop_index("ix_registry_reports_project_id", "registry_reports")
    with op.batch_alter_table("registry_retirements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_retirements_retired_at"))
        batch_op.drop_index(batch_op.f("ix_registry_retirements_beneficiary_key"))
        batch_op.drop_index(batch_op.f("ix_registry_retirements_batch_id"))

    op.drop_table("registry_retirements")
    with op.batch_alter_table("registry_cancellations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_cancellations_batch_id"))

    op.drop_table("registry_cancellations")
    with op.batch_alter_table("registry_blocks", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_blocks_owner")
        batch_op.drop_index("ix_registry_blocks_op")

    op.drop_table("registry_blocks")
    op.drop_table("registry_batches")
    op.drop_table("registry_reports")
    with op.batch_alter_table("registry_projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_projects_jurisdiction"))
        batch_op.drop_index(batch_op.f("ix_registry_projects_class_id"))

    op.drop_table("registry_projects")
    op.drop_table("registry_class_issuers")
    op.drop_table("registry_classes")
    op.drop_table("registry_entities")
    op.drop_table("registry_credit_types")
