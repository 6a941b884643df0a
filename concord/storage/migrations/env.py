"""Alembic environment: run by `concord.storage.migrate.upgrade` with an open connection."""

from __future__ import annotations

from alembic import context

from concord.storage import all_tables  # noqa: F401  (registers every table on the metadata)
from concord.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
