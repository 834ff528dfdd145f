"""Alembic environment: runs on the connection that ``ecocredit.migrate`` hands over."""

from alembic import context

import ecocredit.accounts.tables
import ecocredit.air.tables
import ecocredit.carbon.tables
import ecocredit.inclusion.custody_tables
import ecocredit.inclusion.tables
import ecocredit.ledger.tables
import ecocredit.registry.tables  # noqa: F401
from ecocredit.db import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
