"""Who is online: one row per open WebSocket connection, refreshed while it lives (several server
processes share the table; a row not refreshed for a while belongs to a process that died). Rows
are written by each process's live feed in its periodic batch (`EventFeed.connect/disconnect`).

Whether a person is online is shown to whoever may see that person's directory entry: it carries
the entry's marking (`directory_marking`: centre-wide) and `can_see` decides, on the REST snapshot
as on the changes each process's live feed pushes over `/api/ws` (`EventFeed.presence`)."""

from __future__ import annotations

from datetime import timedelta

from concord.clock import Clock
from concord.domain.markings import Marking, can_see
from concord.domain.people import Actor
from concord.services.feed import Recording
from concord.services.people import directory_marking
from concord.storage import nations as nation_store
from concord.storage import presence as store
from concord.storage import receipts as receipt_store
from concord.storage.db import Database

STALE_AFTER = timedelta(seconds=90)


class PresenceService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def record(self, recording: Recording) -> None:
        """The live feed's periodic write: delivered markers and presence, in one unit of work."""
        now = self.clock.now()
        with self.db.write() as tx:
            for (person_id, channel_id), message_id in sorted(recording.deliveries.items()):
                receipt_store.advance_marker(tx.conn, person_id, channel_id, delivered=message_id, at=now)
            store.disconnected(tx.conn, sorted(recording.closed))
            for connection_id, person_id in sorted(recording.opened.items()):
                store.connected(tx.conn, connection_id, person_id, now)
            store.seen(tx.conn, sorted(recording.seen - recording.opened.keys()), now)

    def online_markings(self) -> dict[int, Marking]:
        """Everyone online now (on any server process), each with the marking that decides who
        may be told so. Read by the live feed, which pushes the differences."""
        with self.db.read() as conn:
            codes = [n.code for n in nation_store.list_nations(conn)]
            online = store.online_nations(conn, self.clock.now() - STALE_AFTER)
        return {person_id: directory_marking(nation, codes) for person_id, nation in online.items()}

    def online(self, actor: Actor) -> list[store.Online]:
        """People online now whom the actor may see (the directory's rule: centre-wide)."""
        with self.db.read() as conn:
            codes = [n.code for n in nation_store.list_nations(conn)]
            nations = store.online_nations(conn, self.clock.now() - STALE_AFTER)
            rows = store.online(conn, self.clock.now() - STALE_AFTER, sorted(nations))
        reader = actor.reader
        return [o for o in rows
                if o.person_id in nations and can_see(reader, directory_marking(nations[o.person_id], codes))]
