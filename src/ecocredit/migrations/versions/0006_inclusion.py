"""Carbon inclusion: programmes, their point rules and rewards, actions, point grants, redemptions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inclusion_programmes",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("ownership", sa.String(length=16), nullable=False),
        sa.Column("validity_days", sa.Integer(), nullable=False),
        sa.Column("limits", sa.Text(), nullable=False),
        sa.Column("ledger_index", BigInt, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_inclusion_programmes")),
    )
    op.create_table(
        "inclusion_redemptions",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("programme", sa.String(length=64), nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("reward", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("at", Stamp, nullable=False),
        sa.Column("ledger_index", BigInt, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inclusion_redemptions")),
    )
    op.create_table(
        "inclusion_actions",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("programme", sa.String(length=64), nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("methodology", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("at", Stamp, nullable=False),
        sa.Column("received", Stamp, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("grams_co2e", BigInt, nullable=False),
        sa.Column("quantities", sa.Text(), nullable=False),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=False),
        sa.Column("evidence_prefix", BigInt, nullable=False),
        sa.Column("phash", BigInt, nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=True),
        sa.Column("ledger_index", BigInt, nullable=False),
        sa.ForeignKeyConstraint(
            ["programme"],
            ["inclusion_programmes.code"],
            name=op.f("fk_inclusion_actions_programme_inclusion_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inclusion_actions")),
    )
    # A unique index, not a table constraint: SQLite cannot drop a constraint's index, and a
    # bulk import drops and rebuilds this one (ops.bulk_load).
    op.create_index(
        "uq_inclusion_actions_key",
        "inclusion_actions",
        ["programme", "idempotency_key"],
        unique=True,
    )
    op.create_index(
        "ix_inclusion_actions_evidence",
        "inclusion_actions",
        ["programme", "evidence_prefix"],
        unique=False,
    )
    op.create_index(
        "ix_inclusion_actions_participant",
        "inclusion_actions",
        ["programme", "participant", "at"],
        unique=False,
    )
    op.create_table(
        "inclusion_rewards",
        sa.Column("programme", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme"],
            ["inclusion_programmes.code"],
            name=op.f("fk_inclusion_rewards_programme_inclusion_programmes"),
        ),
        sa.PrimaryKeyConstraint("programme", "code", name=op.f("pk_inclusion_rewards")),
    )
    op.create_table(
        "inclusion_rules",
        sa.Column("programme", sa.String(length=64), nullable=False),
        sa.Column("methodology", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=True),
        sa.Column("points_per_action", sa.Integer(), nullable=True),
        sa.Column("grams_per_point", sa.Integer(), nullable=True),
        sa.Column("max_actions_per_day", sa.Integer(), nullable=True),
        sa.Column("max_points_per_day", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme"],
            ["inclusion_programmes.code"],
            name=op.f("fk_inclusion_rules_programme_inclusion_programmes"),
        ),
        sa.PrimaryKeyConstraint("programme", "methodology", name=op.f("pk_inclusion_rules")),
    )
    op.create_table(
        "inclusion_grants",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("programme", sa.String(length=64), nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("action_id", BigInt, nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("expires_at", Stamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["inclusion_actions.id"],
            name=op.f("fk_inclusion_grants_action_id_inclusion_actions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inclusion_grants")),
    )
    op.create_index(
        "ix_inclusion_grants_open",
        "inclusion_grants",
        ["programme", "participant", "expires_at"],
        unique=False,
    )

    op.create_table(
        "inclusion_imports",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("programme", sa.String(length=64), nullable=False),
        sa.Column("files_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows_total", BigInt, nullable=False),
        sa.Column("rows_done", BigInt, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("indexes_dropped", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("started_at", Stamp, nullable=False),
        sa.Column("finished_at", Stamp, nullable=True),
        sa.ForeignKeyConstraint(
            ["programme"],
            ["inclusion_programmes.code"],
            name=op.f("fk_inclusion_imports_programme_inclusion_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inclusion_imports")),
    )


def downgrade() -> None:
    op.drop_table("inclusion_imports")
    op.drop_index("ix_inclusion_grants_open", table_name="inclusion_grants")
    op.drop_table("inclusion_grants")
    op.drop_table("inclusion_rules")
    op.drop_table("inclusion_rewards")
    op.drop_index("ix_inclusion_actions_participant", table_name="inclusion_actions")
    op.drop_index("ix_inclusion_actions_evidence", table_name="inclusion_actions")
    op.drop_index("uq_inclusion_actions_key", table_name="inclusion_actions")
    op.drop_table("inclusion_actions")
    op.drop_table("inclusion_redemptions")
    op.drop_table("inclusion_programmes")
