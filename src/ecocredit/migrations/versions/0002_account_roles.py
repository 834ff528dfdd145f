"""Accounts hold several roles and say what kind of party they are.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "account_roles",
        sa.Column(
            "account_id",
            BigInt,
            sa.ForeignKey("accounts.id", name="fk_account_roles_account_id_accounts"),
            primary_key=True,
        ),
        sa.Column("role", sa.String(32), primary_key=True),
        sa.PrimaryKeyConstraint("account_id", "role", name="pk_account_roles"),
    )
    op.create_index("ix_account_roles_role", "account_roles", ["role"])
    op.execute("INSERT INTO account_roles (account_id, role) SELECT id, role FROM accounts")
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default="organisation")
        )
        batch.drop_column("role")


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("role", sa.String(32), nullable=False, server_default="admin"))
        batch.drop_column("kind")
    op.drop_index("ix_account_roles_role", "account_roles")
    op.drop_table("account_roles")
