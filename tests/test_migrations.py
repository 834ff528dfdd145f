"""The migrations build exactly the tables the code declares, and serving needs them applied."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import ecocredit.accounts.tables
import ecocredit.air.tables
import ecocredit.carbon.tables
import ecocredit.inclusion.custody_tables
import ecocredit.inclusion.tables
import ecocredit.ledger.tables
import ecocredit.registry.tables  # noqa: F401  (registers the tables)
from ecocredit import migrate
from ecocredit.db import Database, metadata
from ecocredit.errors import DatabaseNotReady


def test_migrations_match_the_declared_tables(database_url: str) -> None:
    db = Database(database_url)
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    db.check_ready()
    db.dispose()


def test_an_unmigrated_database_is_refused(database_url: str) -> None:
    db = Database(database_url)
    with pytest.raises(DatabaseNotReady, match="ecocredit init"):
        db.check_ready()
    db.dispose()
