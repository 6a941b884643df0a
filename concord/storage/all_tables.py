"""Importing this module registers every table on `storage.schema.metadata` (for Alembic and tests)."""

from concord.storage import activities, conflicts, events, nations, operations, people, sessions, sites  # noqa: F401  # noqa: F401  (issue 5)
from concord.storage import events, incidents, nations, people, releases, rfis, sessions  # noqa: F401
