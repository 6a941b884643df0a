"""Who is online: one row per open WebSocket connection, refreshed while it lives (several server
processes share the table; a row not refreshed for a while belongs to a process that died). Rows
are written by each process's live feed in its periodic batch (`EventFeed.connect/disconnect`)."""

from __future__ import annotations

from datetime import timedelta

from concord.clock import Clock
from concord.domain.people import Actor
from concord.services.feed import Recording
from concord.services.messages import MessagingService
from concord.storage import messages as store
from concord.storage.db import Database

STALE_AFTER = timedelta(seconds=90)


class PresenceService:
    def __init__(self, db: Database, clock: Clock, messaging: MessagingService) -> None:
        self.db = db
        self.clock = clock
        self.messaging = messaging

    def record(self, recording: Recording) -> None:
        """The live feed's periodic write: delivered markers and presence, in one unit of work."""
        now = self.clock.now()
        with self.db.write() as tx:
            for (person_id, channel_id), message_id in sorted(recording.deliveries.items()):
                store.advance_marker(tx.conn, person_id, channel_id, delivered=message_id, at=now)
            for connection_id in sorted(recording.closed):
                store.disconnected(tx.conn, connection_id)
            for connection_id, person_id in sorted(recording.opened.items()):
                store.connected(tx.conn, connection_id, person_id, now)
            store.seen(tx.conn, sorted(recording.seen - recording.opened.keys()), now)

    def online(self, actor: Actor) -> list[store.Online]:
        """People online now. Presence is known centre-wide, as the directory of people is."""
        with self.db.read() as conn:
            return store.online(conn, self.clock.now() - STALE_AFTER)
