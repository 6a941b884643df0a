"""Bring a database's schema up to date with Alembic (all heads: features add their own branches).

Alembic (with Mako and Pygments) is imported when a migration runs, not with the application: half
a second of every import of `concord.app` that needs no migration."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from concord.storage.db import Database
from concord.storage.dialect import Lock, hold

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(db: Database) -> None:
    """Migrate to every head in one transaction. Processes starting together against one database
    take turns (`Lock.MIGRATE`, PostgreSQL): the first migrates, the others then find nothing to do."""
    from alembic import command

    cfg = _config()
    with db.engine.begin() as conn:
        hold(conn, Lock.MIGRATE)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


def is_current(db: Database) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(_config()).get_heads())
    with db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads
