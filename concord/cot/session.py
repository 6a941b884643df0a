"""One connected TAK client: read frames, answer control messages, hand events to the router,
and write what the router sends back through a bounded outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from concord.cot import protocol
from concord.cot.drops import CotStats, Dropped
from concord.cot.outbox import ClientTooSlow, Outbox, Outgoing, OutgoingBatch, encode
from concord.cot.stream import Encoding, Frame, StreamDecoder
from concord.cot.xml import parse_event
from concord.domain.cot import CotEvent, EventClass, classify

log = logging.getLogger(__name__)

READ_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class PeerIdentity:
    """Who is at the other end: from the client certificate (TLS) or the configured TCP identity."""

    username: str
    nation: str | None            # named by the certificate; None for the configured TCP identity
    certificate_serial: int | None = None
    #: the person's credential epoch when the certificate was issued (None: the TCP identity); a
    #: password reset or a disable moves the epoch on and the certificate stops working
    credential_epoch: int | None = None


@dataclass(frozen=True, slots=True)
class SessionLimits:
    max_event_bytes: int = 64 * 1024
    outbox_soft_limit: int = 256
    outbox_hard_limit: int = 4096
    #: consecutive dropped frames after which a client is taken to be sending garbage
    max_consecutive_drops: int = 10
    #: connections of a listener (TCP and TLS together) over which a new one is closed at once
    max_connections: int | None = 2000
    #: seconds without receiving anything after which a client is disconnected
    idle_timeout: float | None = 600.0


@dataclass(frozen=True, slots=True)
class Report:
    """One event a client sent (not a control message): parsed, classified, and the frame as
    received, for relaying it unchanged where nothing was altered."""

    event: CotEvent
    kind: EventClass
    frame: Frame


class Router(Protocol):
    """Where a session's events go. Phase 1 relays to everyone; the gateway applies the policy."""

    async def connected(self, session: CotSession) -> None: ...

    async def received(self, session: CotSession, reports: Sequence[Report]) -> None:
        """The events of one read from the client, in the order sent (never empty)."""

    def disconnected(self, session: CotSession) -> None: ...


#: The longest a sender's next read waits for one of the clients its positions went to, when all of
#: them are behind: a client that stopped reading cannot hold a sender (or its chat) back for long.
MAX_SENDER_PAUSE_SECONDS = 0.5


class SenderPause:
    """TCP back-pressure on a sender while every client its positions went to is behind.

    Those clients would only see each new position supersede the one waiting in their outbox, so
    reading, parsing and relaying more of the sender's stream meanwhile is work nobody receives:
    instead the sender's next read waits until one of them has taken its outbox back under half
    the soft limit (or `MAX_SENDER_PAUSE_SECONDS`). Nothing is dropped by pausing; a client that
    keeps up, if any, is never waited for (one slow client never slows the others).
    """

    def __init__(self) -> None:
        self._room = asyncio.Event()
        #: Reads held back, and how many of those waited the whole `MAX_SENDER_PAUSE_SECONDS`.
        self.pauses = 0
        self.timeouts = 0

    def watch(self, session: CotSession) -> None:
        session.on_room(self._room.set)

    async def after_relay(self, recipients: Sequence[CotSession]) -> None:
        if not recipients or not all(r.behind for r in recipients):
            return
        self.pauses += 1
        self._room.clear()
        try:
            await asyncio.wait_for(self._room.wait(), MAX_SENDER_PAUSE_SECONDS)
        except TimeoutError:
            self.timeouts += 1


class CotSession:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, identity: PeerIdentity,
                 router: Router, stats: CotStats, limits: SessionLimits, clock: Callable[[], datetime]):
        self.identity = identity
        self.key = uuid.uuid4().hex          # tells the gateway which connection sent an event
        self.peer = str(writer.get_extra_info("peername"))
        self.encoding = Encoding.XML          # what we send; becomes PROTOBUF after negotiation
        self.client_uids: set[str] = set()   # uids of the client's own position reports
        self._reader = reader
        self._writer = writer
        self._router = router
        self._stats = stats
        self._limits = limits
        self._clock = clock
        self._outbox = Outbox(stats, limits.outbox_soft_limit, limits.outbox_hard_limit)
        self._decoder = StreamDecoder(limits.max_event_bytes)
        self._consecutive_drops = 0
        self._closing = False
        self._loop = asyncio.get_running_loop()
        #: When something last arrived from the client (the event loop's clock), for the idle timeout.
        self.last_heard = self._loop.time()

    def __repr__(self) -> str:
        return f"<CotSession {self.identity.username}@{self.identity.nation} {self.peer}>"

    @property
    def queued(self) -> int:
        return len(self._outbox)

    def send(self, item: Outgoing) -> None:
        """Queue an event for this client (never blocks the caller)."""
        if self._closing:
            return
        position_of = item.uid if item.supersedable else None
        try:
            self._outbox.put(item.encoded(self.encoding), position_of)
        except ClientTooSlow as exc:
            log.warning("CoT client %r too slow, disconnecting: %s", self, exc)
            self.close()

    def send_batch(self, batch: OutgoingBatch) -> None:
        """Queue several events at once, in order (never blocks the caller)."""
        if self._closing or not batch.items:
            return
        try:
            self._outbox.put_batch(batch.frames(self.encoding), batch)
        except ClientTooSlow as exc:
            log.warning("CoT client %r too slow, disconnecting: %s", self, exc)
            self.close()

    @property
    def behind(self) -> bool:
        """This client's outbox holds more than half its soft limit, or superseded positions since
        the client last caught up."""
        return self._outbox.behind

    def on_room(self, callback: Callable[[], None]) -> None:
        """Have `callback` called whenever this client has caught up: its socket took what was
        written and at most half the outbox's soft limit waits."""
        self._outbox.on_room = callback

    @property
    def has_room(self) -> bool:
        """Under the outbox's soft limit: nothing queued now would be superseded for lack of room."""
        return len(self._outbox) < self._limits.outbox_soft_limit

    async def wait_for_room(self) -> None:
        """Wait until the outbox is back under half its soft limit (or the client is gone)."""
        while not self._closing and len(self._outbox) > self._limits.outbox_soft_limit // 2:
            await asyncio.sleep(0.01)

    def send_event(self, event: CotEvent) -> None:
        self.send(Outgoing.of(event, supersedable=False))

    @property
    def closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._writer.close()

    async def run(self) -> None:
        self._stats.connections += 1
        writing = asyncio.create_task(self._write_loop())
        try:
            # Announce protocol version 1 (sent at most once per connection).
            self.send_event(protocol.negotiation_offer(self._clock()))
            await self._router.connected(self)
            await self._read_loop()
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError) as exc:
            log.info("CoT client %r gone: %s", self, exc)
        finally:
            self._router.disconnected(self)
            writing.cancel()
            self.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.wait_closed()

    async def _read_loop(self) -> None:
        while not self._closing:
            data = await self._reader.read(READ_CHUNK)
            self.last_heard = self._loop.time()
            if not data:
                for dropped in self._decoder.finish():
                    self._drop(dropped)
                return
            reports: list[Report] = []
            for item in self._decoder.feed(data):
                if isinstance(item, Dropped):
                    self._drop(item)
                else:
                    self._handle_frame(item, reports)
                if self._closing:
                    break
            if reports:
                # One hand-over per read: the router relays (and stores) the read's events together.
                await self._router.received(self, reports)

    def _handle_frame(self, frame: Frame, reports: list[Report]) -> None:
        try:
            if frame.encoding is Encoding.XML:
                event = parse_event(frame.payload, self._limits.max_event_bytes)
            else:
                event = protocol.decode_payload(frame.payload, self._limits.max_event_bytes)
                self._stats.received_protobuf += 1
        except Dropped as dropped:
            self._drop(dropped)
            return
        self._consecutive_drops = 0
        self._stats.received += 1
        kind = classify(event)
        if kind is EventClass.CONTROL:
            self._answer_control(event)
            return
        if kind is EventClass.POSITION:
            self.client_uids.add(event.uid)
        reports.append(Report(event, kind, frame))

    def _answer_control(self, event: CotEvent) -> None:
        now = self._clock()
        if event.type == protocol.PING:
            self.send_event(protocol.ping_reply(event, now))
        elif event.type == protocol.NEGOTIATION_REQUEST:
            accepted = protocol.requested_version(event) == protocol.SUPPORTED_VERSION
            # The response goes out in XML; everything after a true response in version 1.
            self.send_event(protocol.negotiation_response(accepted, now))
            if accepted:
                self.encoding = Encoding.PROTOBUF

    def _drop(self, dropped: Dropped) -> None:
        self._stats.inbound_dropped[dropped.reason] += 1
        self._consecutive_drops += 1
        log.info("CoT frame from %r dropped: %s", self, dropped)
        if self._consecutive_drops >= self._limits.max_consecutive_drops:
            log.warning("CoT client %r keeps sending garbage, disconnecting", self)
            self._stats.garbage_disconnects += 1
            self.close()

    async def _write_loop(self) -> None:
        try:
            while True:
                frames = await self._outbox.take()
                self._writer.write(b"".join(frames))
                self._stats.delivered += len(frames)
                await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            log.info("CoT client %r write failed: %s", self, exc)
            self.close()


__all__ = ["CotSession", "Outgoing", "OutgoingBatch", "PeerIdentity", "Report", "Router", "SenderPause",
           "SessionLimits", "encode"]
