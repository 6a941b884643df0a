"""Importing this module registers every table on `storage.schema.metadata` (for Alembic and tests)."""

from concord.storage import events, nations, people, sessions  # noqa: F401
