"""Bring a database's schema up to date with Alembic (all heads: features add their own branches)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from concord.storage.db import Database
from concord.storage.dialect import Lock, hold

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(db: Database) -> None:
    """Migrate to every head in one transaction. Processes starting together against one database
    take turns (`Lock.MIGRATE`, PostgreSQL): the first migrates, the others then find nothing to do."""
    cfg = _config()
    with db.engine.begin() as conn:
        hold(conn, Lock.MIGRATE)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


def is_current(db: Database) -> bool:
    heads = set(ScriptDirectory.from_config(_config()).get_heads())
    with db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads
