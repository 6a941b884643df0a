"""Importing this module registers every table on `storage.schema.metadata` (for Alembic and tests).

One import per line, so that features adding tables never touch the same line.
"""

import concord.storage.acknowledgements
import concord.storage.activities
import concord.storage.attachments
import concord.storage.audit
import concord.storage.audit_checkpoints
import concord.storage.audit_queue
import concord.storage.centre_identity
import concord.storage.channels
import concord.storage.conflicts
import concord.storage.duty
import concord.storage.events
import concord.storage.federation
import concord.storage.federation_feed
import concord.storage.follower_positions
import concord.storage.incidents
import concord.storage.intel
import concord.storage.intel_correlation
import concord.storage.messages
import concord.storage.nations
import concord.storage.operations
import concord.storage.people
import concord.storage.presence
import concord.storage.privileged_requests
import concord.storage.receipts
import concord.storage.releases
import concord.storage.rfis
import concord.storage.sessions
import concord.storage.sites
import concord.storage.tracks  # noqa: F401
