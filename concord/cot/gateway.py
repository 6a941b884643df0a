"""The TAK gateway: CoT listeners whose traffic goes through the event log and the policy.

Inbound, a client's reports are stored (one unit of work per batch) with the marking of the
sender's nation or TAK group, each with its event. Outbound, nothing is relayed directly: each
distinct reader (person, nation, clearance) has one feed that reads new events through
`visible_to` and hands them to that reader's connections, so what a client receives is exactly what
the policy lets its person see — the same mechanism as every other subscriber (docs/architecture.md,
"The one event log"). A client never gets its own reports back.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from concord.bus.base import EventBus
from concord.cot.ca import CertificateAuthority
from concord.cot.config import CotSettings
from concord.cot.listener import CotListener
from concord.cot.outbox import Outgoing
from concord.cot.session import CotSession, PeerIdentity, SessionLimits
from concord.cot.stream import Encoding, Frame, as_sent
from concord.cot.tls import server_context
from concord.cot.xml import event_to_xml
from concord.domain.cot import CotEvent, EventClass
from concord.domain.errors import Unauthenticated
from concord.domain.markings import Reader
from concord.domain.people import Actor
from concord.services.audit import ReadItem
from concord.services.tracks import FieldIdentity, Inbound, TrackService

log = logging.getLogger(__name__)

#: Reports waiting to be stored before a client's reading pauses (TCP pushes back on it).
MAX_PENDING_REPORTS = 2000
#: A feed also polls this often, for events committed by other processes without a shared bus.
FEED_POLL_SECONDS = 5.0
PRUNE_EVERY_SECONDS = 600.0
RECHECK_EVERY_SECONDS = 30.0
#: Events read per query. Kept under the outbox's soft limit so that one burst of a busy feed does
#: not by itself make positions superseded in a client that keeps up.
FEED_BATCH = 200


#: Records what a person read, for the audit log (`AuditService.record_reads`); it keeps only the
#: items at or above the configured audit level.
ReadRecorder = Callable[[Actor, Sequence[ReadItem]], int]


class ReaderFeed:
    """New events for one reader, read once and handed to each of that reader's connections."""

    def __init__(self, who: FieldIdentity, service: TrackService, bus: EventBus, start_after: int,
                 record_reads: ReadRecorder | None):
        self.reader = who.reader
        self._actor = who.actor
        self._record_reads = record_reads
        self.members: set[CotSession] = set()
        self.cursor = start_after
        self._service = service
        self._bus = bus
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while self.members:
            await self._bus.wait_beyond(self.cursor, FEED_POLL_SECONDS)
            try:
                await self._deliver()
            except Exception:
                # e.g. the database restarting: keep the cursor and try again at the next wake-up
                log.exception("CoT feed for %s failed; retrying", self.reader)
                await asyncio.sleep(1.0)

    async def _deliver(self) -> None:
        while True:
            committed = self._bus.latest
            items, self.cursor = await asyncio.to_thread(self._service.feed, self.reader, self.cursor,
                                                         committed, FEED_BATCH)
            if items and self._record_reads is not None:
                # Sent to this person's clients: a read, audited like any other (one transaction).
                await asyncio.to_thread(self._record_reads, self._actor, [i.read for i in items])
            for item in items:
                outgoing = Outgoing(item.uid, item.supersedable, xml=item.xml)
                for member in list(self.members):
                    if member.key != item.origin:
                        member.send(outgoing)
            if not items or self._bus.latest <= self.cursor:
                break


class PolicyRouter:
    def __init__(self, service: TrackService, bus: EventBus, record_reads: ReadRecorder | None = None):
        self.service = service
        self.bus = bus
        self.record_reads = record_reads
        self.identities: dict[CotSession, FieldIdentity] = {}
        self._feeds: dict[Reader, ReaderFeed] = {}
        self._pending: list[tuple[FieldIdentity, str, Inbound]] = []
        self._wake = asyncio.Event()
        self._space = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self.refused = 0

    # --- Router protocol ---------------------------------------------------------------------------

    async def connected(self, session: CotSession) -> None:
        claimed = session.identity
        try:
            who = await asyncio.to_thread(self.service.identify, claimed.username, claimed.nation)
        except Unauthenticated as exc:
            log.warning("CoT client %r refused: %s", session, exc.message)
            session.close()
            return
        self.identities[session] = who
        await self._join_feed(session, who)
        picture = await asyncio.to_thread(self.service.picture, who.reader)
        if picture and self.record_reads is not None:
            await asyncio.to_thread(self.record_reads, who.actor, [read for _, read in picture])
        # The picture may be larger than an outbox holds: hand it over as the client takes it.
        for xml, _ in picture:
            if not session.has_room:
                await session.wait_for_room()
            session.send(Outgoing("", False, xml=xml))

    async def received(self, session: CotSession, event: CotEvent, kind: EventClass, frame: Frame) -> None:
        who = self.identities.get(session)
        if who is None:
            return
        xml = as_sent(frame) if frame.encoding is Encoding.XML else event_to_xml(event)
        self._pending.append((who, session.key, Inbound(event, kind, xml)))
        self._wake.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._store_loop())
        while len(self._pending) >= MAX_PENDING_REPORTS:
            self._space.clear()
            await self._space.wait()

    def disconnected(self, session: CotSession) -> None:
        who = self.identities.pop(session, None)
        if who is None:
            return
        feed = self._feeds.get(who.reader)
        if feed is not None:
            feed.members.discard(session)
            if not feed.members:
                del self._feeds[who.reader]

    # --- inside ---------------------------------------------------------------------------------------

    async def _join_feed(self, session: CotSession, who: FieldIdentity) -> None:
        reader = who.reader
        feed = self._feeds.get(reader)
        if feed is None or feed.task is None or feed.task.done():
            start = await asyncio.to_thread(self.service.latest_event_id)
            feed = ReaderFeed(who, self.service, self.bus, start, self.record_reads)
            self._feeds[reader] = feed
            feed.members.add(session)
            feed.task = asyncio.create_task(feed.run())
        else:
            feed.members.add(session)

    async def _store_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            self._space.set()
            if batch:
                await asyncio.to_thread(self._store, batch)

    def _store(self, batch: list[tuple[FieldIdentity, str, Inbound]]) -> None:
        by_connection: dict[tuple[FieldIdentity, str], list[Inbound]] = defaultdict(list)
        for who, origin, report in batch:
            by_connection[(who, origin)].append(report)
        for (who, origin), reports in by_connection.items():
            try:
                refused = self.service.ingest(who, origin, reports)
            except Exception:
                log.exception("CoT reports from %s could not be stored", who.username)
                continue
            for reason in refused:
                self.refused += 1
                log.info("CoT report from %s refused: %s", who.username, reason.message)

    async def recheck(self) -> int:
        """Disconnect clients whose person was disabled, lost their appointment or changed nation or
        clearance since connecting (they may reconnect as what they are now); returns how many."""
        closed = 0
        for session, who in list(self.identities.items()):
            try:
                now = await asyncio.to_thread(self.service.identify, who.username, session.identity.nation)
            except Unauthenticated:
                now = None
            if now != who:
                log.warning("CoT client %r disconnected: its person's standing changed", session)
                session.close()
                closed += 1
        return closed

    async def stop(self) -> None:
        tasks = [f.task for f in self._feeds.values() if f.task is not None]
        if self._writer is not None:
            tasks.append(self._writer)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._feeds.clear()


class CotGateway:
    """The listeners of `concord serve`, wired from the `cot` settings."""

    def __init__(self, service: TrackService, bus: EventBus, settings: CotSettings, data_dir: Path,
                 clock: Callable[[], datetime], record_reads: ReadRecorder | None = None):
        self.settings = settings
        self.service = service
        self.router = PolicyRouter(service, bus, record_reads)
        limits = SessionLimits(settings.max_event_bytes, settings.outbox_soft_limit, settings.outbox_hard_limit)
        self.listener = CotListener(self.router, limits, clock=clock)
        self._ca_directory = data_dir / "cot-ca"
        self._ca: CertificateAuthority | None = None
        self.ports: dict[str, int] = {}

    @property
    def ca(self) -> CertificateAuthority:
        if self._ca is None:
            self._ca = CertificateAuthority.open_or_create(self._ca_directory)
        return self._ca

    async def start_tcp(self, host: str, port: int, username: str) -> int:
        server = await self.listener.start_tcp(host, port, PeerIdentity(username, None))
        bound: int = server.sockets[0].getsockname()[1]
        return bound

    async def start_tls(self, host: str, port: int) -> int:
        ca = await asyncio.to_thread(lambda: self.ca)
        certificate, key = await asyncio.to_thread(ca.server_files, self.settings.tls_hostnames)
        context = server_context(ca.ca_certificate_path, certificate, key)
        server = await self.listener.start_tls(host, port, context, ca.certificate_ok)
        bound: int = server.sockets[0].getsockname()[1]
        return bound

    async def start(self) -> None:
        s = self.settings
        if s.tcp_port is not None:
            if s.tcp_identity:
                self.ports["tcp"] = await self.start_tcp(s.tcp_host, s.tcp_port, s.tcp_identity)
            else:
                log.warning("CoT TCP listener not started: no cot.tcp_identity is configured")
        if s.tls_port is not None:
            self.ports["tls"] = await self.start_tls(s.tls_host, s.tls_port)
        log.info("CoT listeners: %s", self.ports)

    async def stop(self) -> None:
        await self.listener.stop()
        await self.router.stop()

    async def run(self) -> None:
        """Serve until cancelled (a background task of the centre)."""
        await self.start()
        loop = asyncio.get_running_loop()
        last_prune = loop.time()
        try:
            while True:
                await asyncio.sleep(RECHECK_EVERY_SECONDS)
                try:
                    await self.router.recheck()
                    if loop.time() - last_prune >= PRUNE_EVERY_SECONDS:
                        last_prune = loop.time()
                        await asyncio.to_thread(self.service.prune_history)
                except Exception:
                    log.exception("CoT gateway housekeeping failed")
        finally:
            await self.stop()
