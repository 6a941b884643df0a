"""Importing this module registers every table on `storage.schema.metadata` (for Alembic and tests)."""

from concord.storage import (  # noqa: F401
    audit,
    audit_checkpoints,
    events,
    incidents,
    nations,
    people,
    releases,
    rfis,
    sessions,
)
