"""Alembic migrations, run from code: ``ecocredit init`` applies them, ``serve`` checks them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ecocredit.db import Database

_SCRIPTS = Path(__file__).parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    return cfg


def upgrade(db: Database) -> None:
    """Apply every migration not yet applied, in one transaction."""
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_and_head(db: Database) -> tuple[str | None, str | None]:
    """Return the database's applied revision and the newest revision this code knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head
