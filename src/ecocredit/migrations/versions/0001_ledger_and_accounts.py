"""The Merkle log and the accounts that write to it.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("idx", BigInt, primary_key=True, autoincrement=False),
        sa.Column("entry", sa.LargeBinary, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "ledger_nodes",
        sa.Column("id", BigInt, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    head = op.create_table(
        "ledger_head",
        sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("size", BigInt, nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("frontier", sa.LargeBinary, nullable=False),
    )
    # The empty log: size 0, root SHA-256(""), no frontier.
    op.bulk_insert(
        head,
        [
            {
                "id": 1,
                "size": 0,
                "frontier": b"",
                "root": bytes.fromhex(
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
                ),
            }
        ],
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("size", BigInt, primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("signed_at", Stamp, nullable=False),
    )
    op.create_table(
        "ledger_keys",
        sa.Column("verifier", sa.String(200), primary_key=True),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("retired_at", Stamp, nullable=True),
    )
    op.create_table(
        "accounts",
        sa.Column("id", BigInt, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.UniqueConstraint("name", name="uq_accounts_name"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", BigInt, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id",
            BigInt,
            sa.ForeignKey("accounts.id", name="fk_api_keys_account_id_accounts"),
            nullable=False,
        ),
        sa.Column("key_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("revoked_at", Stamp, nullable=True),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_index("ix_api_keys_account_id", "api_keys", ["account_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("id", BigInt, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id",
            BigInt,
            sa.ForeignKey("accounts.id", name="fk_idempotency_keys_account_id_accounts"),
            nullable=False,
        ),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("request_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.UniqueConstraint("account_id", "key", name="uq_idempotency_keys_account_key"),
    )


def downgrade() -> None:
    for table in (
        "idempotency_keys",
        "api_keys",
        "accounts",
        "ledger_keys",
        "ledger_checkpoints",
        "ledger_head",
        "ledger_nodes",
        "ledger_entries",
    ):
        op.drop_table(table)
