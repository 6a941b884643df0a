"""Importing this module registers every table on `storage.schema.metadata` (for Alembic and tests)."""

from concord.storage import events, incidents, nations, people, releases, rfis, sessions  # noqa: F401
