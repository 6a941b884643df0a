"""One `/api/ws` session: the hello and resume, the backlog read into the session's own queue
(`Outbox`: most urgent first, bounded) and sent by a sender task, the shared fan-out of its reader
class once caught up (`concord.api.ws.fanout`: the live feed writes the class's frames to it
directly, until it falls behind again), re-authentication, heartbeats and client actions.

Who is online comes apart from the events (`presence` frames, ephemeral): the live feed hands each
session the changes its class may see; they are written at once when the connection keeps up, and
otherwise queued (one small queue per session, replaced by a single "reload" frame when it
overflows, so a slow client never holds anything up).

Delivery receipts rest on what the client confirms, never on what was written: a frame in the
kernel's buffer of a device that went dark is not delivered. A message whose frame was written
waits in `unconfirmed` until a `received` frame (or the next resume's `hello`) says the client
holds its event; only then does the live feed record it as delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import deque
from collections.abc import Sequence

from fastapi import WebSocket
from starlette.types import Message
from starlette.websockets import WebSocketDisconnect, WebSocketState

from concord.api.ws.fanout import HIGH_WATER, LOW_WATER, FanOut
from concord.api.ws.outbox import Heartbeat, Outbox, SlowConsumer
from concord.api.ws.protocol import (
    CloseCode,
    Hello,
    MessageAction,
    Ping,
    Pong,
    Received,
    close_code,
    close_reason,
    closing_frame,
    error_frame,
    event_frame,
    ok_frame,
    parse_client_frame,
    ping_frame,
    pong_frame,
    presence_frame,
    presence_reload_frame,
    welcome_frame,
)
from concord.api.ws.server import FrameWriter, frame_writer, text_frame
from concord.centre import Centre
from concord.domain.errors import ConcordError, Invalid
from concord.domain.people import Actor
from concord.services.feed import ClassWindow, Entry, PresenceChange

HELLO_SECONDS = 10.0
BACKLOG_BATCH = 2000
BACKLOG_MIN = 100
REAUTH_SECONDS = 60.0
SEND_TIMEOUT = 30.0
SEND_BATCH = 64  # frames a session behind writes at once (own queue, shared-frames server only)
#: Written message frames a session remembers until the client confirms them; beyond it the oldest
#: are forgotten, so their delivery is never claimed (a receipt may say less, never more).
UNCONFIRMED_MAX = 16384
#: How many events before a resume's `last_event_id` are looked at for messages it confirms.
RESUME_LOOKBACK = 256
PRESENCE_BACKLOG = 16  # presence frames a session keeps for a client that does not keep up

_encoded: tuple[tuple[PresenceChange, ...], str, bytes] | None = None


def _presence_encoded(changes: tuple[PresenceChange, ...]) -> tuple[str, bytes]:
    """The frame for a class's changes, encoded once: the feed hands the same tuple to every
    session of the class, one after the other."""
    global _encoded
    if _encoded is None or _encoded[0] is not changes:
        text = presence_frame([(c.person_id, c.nation, c.online) for c in changes])
        _encoded = (changes, text, text_frame(text))
    return _encoded[1], _encoded[2]


class Closing(Exception):
    def __init__(self, code: CloseCode, reason: str, resume_from: int | None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.resume_from = resume_from


def _payload(message: Message) -> str | bytes:
    text = message.get("text")
    return text if isinstance(text, str) else bytes(message.get("bytes") or b"")


class Session:
    def __init__(self, websocket: WebSocket, centre: Centre, actor: Actor, token: str) -> None:
        self.ws = websocket
        self.centre = centre
        self.actor = actor
        self.token = token
        settings = centre.settings
        self.outbox = Outbox(settings.ws_queue_capacity, 0)
        self.heartbeat = Heartbeat(settings.ws_heartbeat_seconds, settings.ws_heartbeat_seconds * 3, time.monotonic())
        self.send_lock = asyncio.Lock()
        self.connection_id = uuid.uuid4().hex
        self.received_after: frozenset[int] = frozenset()
        self.recheck_due = False  # an event ended our person's credentials: re-check before going on
        self.deliveries: dict[int, tuple[int, int]] = {}  # event id → (channel, message) in our queue
        # (event id, channel, message) written to the client, delivered once it confirms the event
        self.unconfirmed: deque[tuple[int, int, int]] = deque(maxlen=UNCONFIRMED_MAX)
        self.person_id = actor.person_id
        # The shared fan-out (concord.api.ws.fanout) when the server lets us write frames ourselves.
        self.writer: FrameWriter | None = frame_writer(websocket.scope)
        self.window: ClassWindow | None = None
        self.fanout: FanOut | None = None
        self.fast = False  # a member of the fan-out: the feed writes our events, our reader sleeps
        self.sending = False  # an event frame is on its way through our own queue
        self.demoted = asyncio.Event()
        self.presence_queue: deque[str] = deque()
        self.presence_sending = False
        self.presence_ready = asyncio.Event()

    @property
    def cursor(self) -> int:
        """The resume point: while in the fan-out, everything of the class window up to its head
        has been written (or was not for us)."""
        if self.fast and self.window is not None:
            return self.window.head
        return self.outbox.cursor

    async def send(self, text: str) -> None:
        # A peer that takes no frame for this long is gone; never let one session hang (or hold up
        # a server shutdown) on it.
        try:
            async with self.send_lock, asyncio.timeout(SEND_TIMEOUT):
                await self.ws.send_text(text)
        except TimeoutError:
            raise self._stuck() from None

    def _stuck(self) -> Closing:
        """A client that took nothing for SEND_TIMEOUT: the slow-consumer close (4429), documented
        in docs/websocket.md; it resumes from the last event id it has."""
        return Closing(CloseCode.SLOW_CONSUMER, f"the client took no data for {SEND_TIMEOUT:.0f} s",
                       self.resume_point())

    async def hello(self) -> Hello:
        try:
            message = await asyncio.wait_for(self.ws.receive(), HELLO_SECONDS)
        except TimeoutError:
            raise Closing(CloseCode.BAD_HELLO, "no hello frame in time", None) from None
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        try:
            frame = parse_client_frame(_payload(message), max_bytes=self.centre.settings.ws_max_frame_bytes)
        except ConcordError as exc:
            raise Closing(close_code(exc.code), f"{exc.field}: {exc.message}"[:100], None) from None
        if not isinstance(frame, Hello):
            raise Closing(CloseCode.BAD_HELLO, "the first frame must be hello", None)
        return frame

    async def run(self) -> None:
        hello = await self.hello()
        feed = self.centre.feed
        window = await feed.join(self.actor.reader)
        self.window = window
        try:
            latest = max(window.head, await asyncio.to_thread(feed._latest))
            start = latest if hello.last_event_id is None else hello.last_event_id
            if start > latest:
                raise Closing(CloseCode.RESUME_UNKNOWN, "last_event_id is beyond this centre's log", latest)
            self.outbox = Outbox(self.outbox.capacity, start)
            self.received_after = hello.received_after
            await self.send(welcome_frame(resume_from=start, latest=latest,
                                          heartbeat_seconds=self.heartbeat.interval,
                                          queue_capacity=self.outbox.capacity))
            feed.connect(self.connection_id, self.actor.person_id)  # presence: written with the next batch
            if hello.last_event_id is not None:
                for channel, message in await asyncio.to_thread(self.resumed_deliveries, hello.last_event_id):
                    feed.delivered(self.person_id, channel, message)
            window.watchers.add(self)
            if self.writer is not None:
                if not isinstance(window.listener, FanOut):
                    window.listener = FanOut(self.outbox.capacity)
                self.fanout = window.listener
            tasks = [asyncio.create_task(job) for job in
                     (self.read_events(window), self.send_events(), self.receive(), self.keep_alive(),
                      self.send_presence())]
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
                self._leave_fanout()
                for task in done:
                    task.result()
            finally:
                self._leave_fanout()
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            window.watchers.discard(self)
            self._leave_fanout()
            feed.leave(window)
            feed.disconnect(self.connection_id)

    def _put(self, entries: list[Entry], through: int) -> None:
        me = self.actor.person_id
        try:
            for entry in entries:
                if entry.credentials_of == me:
                    self.recheck_due = True
                if entry.id <= self.outbox.scanned:
                    continue
                if entry.recipient_id is not None and entry.recipient_id != me:
                    continue
                if entry.id in self.received_after:
                    continue
                self.outbox.put(entry.id, entry.priority, entry.body)
                if entry.delivery is not None:
                    self.deliveries[entry.id] = entry.delivery
            self.outbox.skip_to(through)
        except SlowConsumer as exc:
            raise Closing(CloseCode.SLOW_CONSUMER, "the client fell too far behind", exc.resume_from) from None

    async def read_events(self, window: ClassWindow) -> None:
        feed = self.centre.feed
        last_auth = time.monotonic()
        while True:
            scanned = self.outbox.scanned
            if self.fast:
                # The feed writes our events; wake when we fall behind (or to re-check the session).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.heartbeat.interval):
                        await self.demoted.wait()
            elif scanned >= window.floor:
                changed = window.changed
                self._put(list(window.after(scanned)), window.head)
                if self.recheck_due:
                    last_auth = time.monotonic()
                    self.recheck_due = False
                    await self.reauthenticate()
                self._join_fanout()
                if self.fast:
                    continue
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.heartbeat.interval):  # cheaper than wait_for: no task
                        await changed.wait()
            else:
                # Behind the shared window: read our own backlog, as much as the queue has room for
                # (so the most urgent of it goes first), and wait for room rather than overflow.
                room = min(BACKLOG_BATCH, self.outbox.capacity - len(self.outbox))
                if room < min(BACKLOG_MIN, self.outbox.capacity):
                    await asyncio.sleep(0.02)
                    continue
                entries, through = await asyncio.to_thread(feed.backlog, self.actor.reader, scanned, room)
                self._put(entries, through)
                if not entries and through <= scanned:
                    await asyncio.sleep(0.05)
            if self.recheck_due or time.monotonic() - last_auth > REAUTH_SECONDS:
                last_auth = time.monotonic()
                self.recheck_due = False
                await self.reauthenticate()

    async def reauthenticate(self) -> None:
        try:
            auth = await asyncio.to_thread(self.centre.auth.authenticate, self.token)
        except ConcordError:
            raise Closing(CloseCode.SIGNED_OUT, "the session has ended", self.resume_point()) from None
        if auth.actor.reader != self.actor.reader:
            raise Closing(CloseCode.GOING_AWAY, "your nation, clearance or roles changed; reconnect",
                          self.resume_point())
        self.actor = auth.actor

    async def send_events(self) -> None:
        while True:
            items = [await self.outbox.take()]
            self.sending = True
            try:
                if self.writer is None:
                    await self.send(event_frame(items[0].body, items[0].cursor))
                else:
                    # Below ASGI (see ws.server): up to SEND_BATCH frames, most urgent first, in
                    # one write, then wait while the client has not taken them.
                    while len(items) < SEND_BATCH and (more := self.outbox.take_nowait()) is not None:
                        items.append(more)
                    data = b"".join(text_frame(event_frame(i.body, i.cursor)) for i in items)
                    try:
                        async with asyncio.timeout(SEND_TIMEOUT):
                            if not self.writer.write_frames(data):
                                raise WebSocketDisconnect(1006)
                            await self.writer.drained()
                    except TimeoutError:
                        raise self._stuck() from None
            finally:
                self.sending = False
            for item in items:
                delivery = self.deliveries.pop(item.event_id, None)
                if delivery is not None:
                    self.unconfirmed.append((item.event_id, *delivery))
            self._join_fanout()

    # ------------------------------------------------------------------ who is online
    def presence(self, changes: tuple[PresenceChange, ...]) -> None:
        """From the live feed (see the module docstring): written now if the client keeps up."""
        text, data = _presence_encoded(changes)
        writer = self.writer
        if (writer is not None and not self.presence_queue and not self.presence_sending
                and writer.write_buffer_size() <= HIGH_WATER):
            writer.write_frames(data)  # False: the connection is closing; nothing more to tell it
            return
        if len(self.presence_queue) >= PRESENCE_BACKLOG:
            self.presence_queue.clear()
            text = presence_reload_frame()
        self.presence_queue.append(text)
        self.presence_ready.set()

    async def send_presence(self) -> None:
        while True:
            await self.presence_ready.wait()
            self.presence_ready.clear()
            while self.presence_queue:
                self.presence_sending = True
                try:
                    await self.send(self.presence_queue.popleft())
                finally:
                    self.presence_sending = False

    # ------------------------------------------------------------------ the shared fan-out
    def _join_fanout(self) -> None:
        """Join the class's shared fan-out once caught up: nothing queued or being sent, every
        event of the window up to its head taken — and nothing beyond it: a session that read its
        backlog past the window's head (or resumed from a cursor ahead of it) waits until the
        window gets there, or the fan-out would send it those events again — and the transport's
        write buffer low."""
        window, fanout, writer = self.window, self.fanout, self.writer
        if (self.fast or fanout is None or writer is None or window is None or self.sending or len(self.outbox)
                or self.outbox.scanned != window.head or writer.write_buffer_size() > LOW_WATER):
            return
        self.demoted.clear()
        self.fast = True
        fanout.add(self, writer)

    def demote(self, cursor: int, held: Sequence[int]) -> None:
        """Called by the fan-out (already without us): everything up to `cursor` and `held` was
        written; our own reader and queue go on from there."""
        self.fast = False
        self.outbox.skip_to(cursor)
        if held:
            self.received_after = frozenset(held)
        self.demoted.set()

    def written(self, deliveries: Sequence[tuple[int, int, int]]) -> None:
        """Called by the fan-out: these messages' frames were written to our transport."""
        self.unconfirmed.extend(deliveries)

    # ------------------------------------------------------------------ delivery receipts
    def confirm(self, frame: Received) -> None:
        """The client holds every event up to `last_event_id` and those listed: the messages among
        them are delivered to this person."""
        through, listed = frame.last_event_id, frame.received_after
        waiting: deque[tuple[int, int, int]] = deque(maxlen=UNCONFIRMED_MAX)
        for item in self.unconfirmed:
            if item[0] <= through or item[0] in listed:
                self.centre.feed.delivered(self.person_id, item[1], item[2])
            else:
                waiting.append(item)
        self.unconfirmed = waiting

    def resumed_deliveries(self, last_event_id: int) -> list[tuple[int, int]]:
        """(thread) A resume confirms what an earlier connection was written up to `last_event_id`:
        the messages (channel, message) among the last RESUME_LOOKBACK events this person may see."""
        entries, _ = self.centre.feed.backlog(self.actor.reader, max(0, last_event_id - RESUME_LOOKBACK),
                                              RESUME_LOOKBACK)
        return [entry.delivery for entry in entries
                if entry.id <= last_event_id and entry.delivery is not None
                and entry.recipient_id in (None, self.person_id)]

    def _leave_fanout(self) -> None:
        if self.fast and self.fanout is not None:
            self.fanout.discard(self)
            self.demote(self.cursor, ())

    def resume_point(self) -> int:
        """The cursor to close with: leaves the fan-out first, so nothing is written after it."""
        self._leave_fanout()
        return self.outbox.cursor

    async def receive(self) -> None:
        limit = self.centre.settings.ws_max_frame_bytes
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            self.heartbeat.heard(time.monotonic())
            try:
                frame = parse_client_frame(_payload(message), max_bytes=limit)
            except ConcordError as exc:
                await self.send(error_frame(exc))
                continue
            if isinstance(frame, Ping):
                await self.send(pong_frame(frame.nonce))
            elif isinstance(frame, Pong):
                pass
            elif isinstance(frame, Received):
                self.confirm(frame)
            elif isinstance(frame, Hello):
                await self.send(error_frame(Invalid("hello is sent once, first", field="type")))
            elif isinstance(frame, MessageAction):
                await self.act(frame)

    async def act(self, frame: MessageAction) -> None:
        try:
            if frame.action == "ack":
                entry = await asyncio.to_thread(self.centre.acknowledgements.acknowledge, self.actor, frame.message_id)
                await self.send(ok_frame("ack", frame.ref, message_id=frame.message_id, nation=entry.nation))
            else:
                await asyncio.to_thread(self.centre.messaging.mark_read, self.actor, frame.message_id)
                await self.send(ok_frame("read", frame.ref, message_id=frame.message_id))
        except ConcordError as exc:
            await self.send(error_frame(exc, frame.ref))

    async def keep_alive(self) -> None:
        while True:
            now = time.monotonic()
            if self.heartbeat.expired(now):
                raise Closing(CloseCode.HEARTBEAT_TIMEOUT, "no frame from the client in time", self.resume_point())
            if self.heartbeat.ping_due(now):
                await self.send(ping_frame())
            await asyncio.sleep(max(0.05, self.heartbeat.next_wake(time.monotonic())))


async def close(websocket: WebSocket, code: CloseCode, reason: str, resume_from: int | None) -> None:
    if websocket.client_state != WebSocketState.CONNECTED:
        return
    with contextlib.suppress(Exception):
        async with asyncio.timeout(5):
            await websocket.send_text(closing_frame(code, reason, resume_from))
            await websocket.close(int(code), close_reason(code, resume_from))
