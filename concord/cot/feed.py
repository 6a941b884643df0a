"""The outbound CoT feed of one reader (person, nation, clearance): new events read through
`visible_to` once and handed to each of that reader's connections, so what a client receives is
exactly what the policy lets its person see (docs/architecture.md, "The one event log")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from concord.bus.base import EventBus
from concord.cot.outbox import Outgoing
from concord.cot.render import content_to_xml
from concord.cot.session import CotSession
from concord.domain.people import Actor
from concord.services.audit import ReadItem
from concord.services.follow import Followers, Progress
from concord.services.tracks import FieldIdentity, TrackService

#: A feed also polls this often, for events committed by other processes without a shared bus.
FEED_POLL_SECONDS = 5.0
#: Events read per query. Kept under the outbox's soft limit so that one burst of a busy feed does
#: not by itself make positions superseded in a client that keeps up.
FEED_BATCH = 200

#: Records what a person read, for the audit log (`AuditService.record_reads`); it keeps only the
#: items at or above the configured audit level.
ReadRecorder = Callable[[Actor, Sequence[ReadItem]], int]


class ReaderFeed:
    """New events for one reader, read once and handed to each of that reader's connections: one
    follower of the event log (services/follow.py) from where the reader's first connection joined."""

    def __init__(self, who: FieldIdentity, service: TrackService, bus: EventBus, start_after: int,
                 record_reads: ReadRecorder | None, relayed_by: str, followers: Followers):
        self.reader = who.reader
        self.actor = who.actor
        self._relayed_by = relayed_by
        self._record_reads = record_reads
        self.members: set[CotSession] = set()
        self._service = service
        self._bus = bus
        self._followers = followers
        self.follower = followers.follow("cot-feed", bus, self._step, start=lambda: start_after,
                                         poll_seconds=FEED_POLL_SECONDS, label=f"cot-feed of {who.username}")
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.follower.run())

    def stop(self) -> None:
        """The reader's last connection left (or the gateway stops)."""
        if self.task is not None:
            self.task.cancel()
        self._followers.forget(self.follower)

    async def _step(self, position: int, latest: int) -> Progress:
        items, cursor = await asyncio.to_thread(self._service.feed, self.reader, position, latest, FEED_BATCH)
        # Positions this gateway relayed as they came in have reached its clients already.
        items = [item for item in items if item.relayed_by != self._relayed_by]
        if items and self._record_reads is not None:
            # Sent to this person's clients: a read, audited like any other (one transaction).
            await asyncio.to_thread(self._record_reads, self.actor, [i.read for i in items])
        now = self._service.clock.now()
        for item in items:
            outgoing = Outgoing(item.uid, item.supersedable, xml=content_to_xml(item.content, now))
            for member in list(self.members):
                if member.key != item.origin:
                    member.send(outgoing)
        return Progress(cursor, more=cursor < self._bus.latest)
