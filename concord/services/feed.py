"""The live event feed of one server process: after each bus wake-up (or a poll timeout, the
safety net for a missed notification) it reads new events once per reader class (nation and
clearance) through `visible_to`, renders each once, and keeps a window of recent ones that every
WebSocket session of that class takes from. A session further behind than the window (a resume
after a long absence) reads its own backlog with `events_after` until it reaches the window.

Who is online is not in the event log (it would flood the audited log with every connection): at
each periodic write the feed also reads who is online on any process and hands the differences
since its last look to its sessions, each reader class the changes `can_see` lets it see
(`PresenceChange`; ephemeral, not resumable: a client takes a snapshot on every (re)connect).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from concord.bus.base import EventBus
from concord.clock import iso
from concord.domain.markings import Level, Marking, Reader, can_see
from concord.domain.messages import Precedence
from concord.services.follow import Followers, Progress, from_head
from concord.storage.db import Database
from concord.storage.events import Event, events_after, events_for_class, latest_event_id

log = logging.getLogger(__name__)

ClassKey = tuple[str, Level]
MAX_PAUSE = 0.05  # seconds: the longest pause after a batch (see EventFeed.run)


@dataclass(frozen=True, slots=True)
class Recording:
    """One periodic write of the live feed: delivered markers and presence."""

    deliveries: dict[tuple[int, int], int]  # (person, channel) → highest message id delivered
    opened: dict[str, int]  # connections opened since the last write → person
    closed: set[str]  # connections closed since the last write (they were written as open)
    seen: set[str]  # live connections whose presence is refreshed


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    recipient_id: int | None
    priority: int
    body: str
    delivery: tuple[int, int] | None  # (channel_id, message_id) of a posted message
    #: The person whose credentials this event ended (password changed or reset, disabled, second
    #: factor changed): their WebSocket sessions re-check at once instead of at the next interval.
    credentials_of: int | None = None


#: Events that move a person's credential epoch (services/auth.py, services/people.py).
CREDENTIAL_EVENTS = frozenset({"person.password_changed", "person.password_reset", "person.disabled",
                               "person.totp_enabled", "person.totp_disabled"})


def render(event: Event) -> Entry:
    payload = event.payload
    precedence = payload.get("precedence")
    priority = 0
    if isinstance(precedence, str) and precedence in Precedence.__members__:
        priority = int(Precedence[precedence])
    body = json.dumps({
        "id": event.id, "at": iso(event.at), "kind": event.kind, "item_type": event.item_type,
        "item_id": event.item_id, "actor_id": event.actor_id, "actor_nation": event.actor_nation,
        "payload": payload, "marking": event.marking.to_dict(),
    }, separators=(",", ":"), ensure_ascii=False)  # rendered once, shared by every session
    delivery = None
    if event.kind == "message.posted" and isinstance(payload.get("channel_id"), int):
        delivery = (int(payload["channel_id"]), int(payload["id"]))
    credentials_of = None
    if event.kind in CREDENTIAL_EVENTS and event.item_type == "person" and event.item_id.isdigit():
        credentials_of = int(event.item_id)
    return Entry(event.id, event.recipient_id, priority, body, delivery, credentials_of)


@dataclass(frozen=True, slots=True)
class PresenceChange:
    person_id: int
    nation: str
    online: bool


class PresenceWatcher(Protocol):
    def presence(self, changes: tuple[PresenceChange, ...]) -> None:
        """People came online or went offline (the same tuple for every session of a class);
        called in the event loop; must not block."""


class BatchListener(Protocol):
    def publish(self, entries: Sequence[Entry], before: int, head: int) -> None:
        """The window moved from `before` to `head`, taking `entries`; called in the event loop,
        synchronously, before sessions waiting on `changed` wake up."""


@dataclass
class ClassWindow:
    reader: Reader
    floor: int  # every event of this class with id > floor is in `entries`
    head: int  # the feed has read every id up to here
    entries: deque[Entry] = field(default_factory=deque)
    sessions: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    listener: BatchListener | None = None  # the WebSocket shared fan-out of this class
    watchers: set[PresenceWatcher] = field(default_factory=set)  # sessions told who comes and goes

    def after(self, event_id: int) -> Iterator[Entry]:
        start = len(self.entries)
        while start > 0 and self.entries[start - 1].id > event_id:  # sessions are usually near the head
            start -= 1
        for i in range(start, len(self.entries)):
            yield self.entries[i]


class EventFeed:
    def __init__(self, db: Database, bus: EventBus, *, poll_seconds: float = 2.0, window: int = 20_000,
                 batch: int = 2000, record: Callable[[Recording], None] | None = None,
                 record_seconds: float = 2.0, presence_seconds: float = 30.0,
                 online: Callable[[], dict[int, Marking]] | None = None,
                 followers: Followers | None = None) -> None:
        """`record(Recording)` persists delivered markers and presence (in a thread, beside the
        feed, never holding it up) every `record_seconds`: connections opened and closed since the
        last time, and every live one again every `presence_seconds` (well inside the 90 s after
        which a connection not seen counts as gone). One write for all of them, so a thousand
        clients connecting at once cost one unit of work, not a thousand.

        `online()` (in a thread, right after each such write while sessions are watching) says who
        is online on any process, each with the marking deciding who may know; the differences
        since the last look go to the watching sessions (see the module docstring).

        The loop is one follower of the event log (services/follow.py) whose position is the latest
        event every class has read up to: each class window keeps its own head besides."""
        self.online = online
        self._online: dict[int, Marking] = {}
        self.record = record
        self.record_seconds = record_seconds
        self.presence_seconds = presence_seconds
        self.connections: dict[str, int] = {}  # live connection id → person id
        self._opened: dict[str, int] = {}
        self._closed: set[str] = set()
        self._recorded_at = 0.0
        self._presence_at = 0.0
        self._recording: asyncio.Task[None] | None = None
        self.db = db
        self.bus = bus
        self.poll_seconds = poll_seconds
        self.window = window
        self.batch = batch
        self._classes: dict[ClassKey, ClassWindow] = {}
        self.follower = (followers or Followers()).follow("event-feed", bus, self._step, start=from_head(db),
                                                          poll_seconds=poll_seconds)
        self.deliveries: dict[tuple[int, int], int] = {}
        self._rendered: dict[int, Entry] = {}
        self._render_lock = threading.Lock()

    # ----------------------------------------------------------------------------- sessions
    async def join(self, reader: Reader) -> ClassWindow:
        key = (reader.nation, reader.clearance)
        window = self._classes.get(key)
        if window is None:
            top = await asyncio.to_thread(self._latest)
            window = self._classes.setdefault(key, ClassWindow(Reader(None, reader.nation, reader.clearance), top, top))
        window.sessions += 1
        return window

    def leave(self, window: ClassWindow) -> None:
        window.sessions -= 1
        if window.sessions <= 0:
            self._classes.pop((window.reader.nation, window.reader.clearance), None)

    def backlog(self, reader: Reader, after_id: int, limit: int) -> tuple[list[Entry], int]:
        """A session's own catch-up read (thread): its events after `after_id`, and the id read up to."""
        with self.db.read() as conn:
            top = latest_event_id(conn)
            rows = events_after(conn, reader, after_id, limit=limit)
        if len(rows) == limit:
            return [self._render(e) for e in rows], rows[-1].id
        return [self._render(e) for e in rows], max(top, rows[-1].id if rows else after_id)

    def _render(self, event: Event) -> Entry:
        """Render an event once for every session that sends it (sessions catching up read the
        same rows); a bounded cache, oldest out first."""
        entry = self._rendered.get(event.id)
        if entry is None:
            entry = render(event)
            with self._render_lock:  # backlog reads run in several threads
                self._rendered[event.id] = entry
                while len(self._rendered) > self.window:
                    self._rendered.pop(next(iter(self._rendered)))
        return entry

    def connect(self, connection_id: str, person_id: int) -> None:
        self.connections[connection_id] = person_id
        self._opened[connection_id] = person_id

    def disconnect(self, connection_id: str) -> None:
        if self.connections.pop(connection_id, None) is None:
            return
        if self._opened.pop(connection_id, None) is None:
            self._closed.add(connection_id)  # already recorded as open

    def delivered(self, person_id: int, channel_id: int, message_id: int) -> None:
        key = (person_id, channel_id)
        if message_id > self.deliveries.get(key, 0):
            self.deliveries[key] = message_id

    # ----------------------------------------------------------------------------- the loop
    def _latest(self) -> int:
        with self.db.read() as conn:
            return latest_event_id(conn)

    def _read(self, reader: Reader, after_id: int) -> tuple[list[Entry], int]:
        with self.db.read() as conn:
            top = latest_event_id(conn)
            rows = events_for_class(conn, reader, after_id, self.batch)
        if len(rows) == self.batch:
            return [self._render(e) for e in rows], rows[-1].id
        return [self._render(e) for e in rows], max(top, rows[-1].id if rows else after_id)

    async def refresh(self) -> float:
        """Read what is new for every class; returns the seconds spent handing it to listeners."""
        writing = 0.0
        for window in list(self._classes.values()):
            while True:
                entries, head = await asyncio.to_thread(self._read, window.reader, window.head)
                window.entries.extend(entries)
                while len(window.entries) > self.window:
                    window.floor = window.entries.popleft().id
                if head > window.head:
                    before, window.head = window.head, head
                    if window.listener is not None:
                        started = time.perf_counter()
                        window.listener.publish(entries, before, head)
                        writing += time.perf_counter() - started
                    changed, window.changed = window.changed, asyncio.Event()
                    changed.set()
                if len(entries) < self.batch:
                    break
        return writing

    async def run(self) -> None:
        """Background task: follow the event log (wake on the bus or the poll timeout) until cancelled."""
        try:
            await self.follower.run()
        except asyncio.CancelledError:
            if self._recording is not None and not self._recording.done():
                with contextlib.suppress(Exception):  # let a write in progress finish
                    await asyncio.wait_for(asyncio.shield(self._recording), 5)
            raise

    async def _step(self, position: int, latest: int) -> Progress:
        """Read what is new for every class and hand it over.

        Writing a batch to every caught-up connection holds the event loop (and the GIL) for as
        long as the writes take, whatever the batch's size. So after a batch that took t seconds
        to write, the feed waits t before reading again: at most half the loop's time goes to
        writing, the rest to requests (the posts themselves) and sessions, and when traffic is
        heavy the next batch simply holds more events, written with as many system calls as one.
        With few connections t is a fraction of a millisecond and nothing waits."""
        writing = await self.refresh()
        if writing > 0:
            await asyncio.sleep(min(writing, MAX_PAUSE))
        await self._record_now_and_then()
        # Every class has read past `latest` (each window to the head of the log as it found it).
        return Progress(max(position, latest))

    async def _record_now_and_then(self) -> None:
        """Start the periodic write of delivered markers and presence, if due, as its own task: a
        write may wait for the database's write lock, and the feed must not wait with it."""
        now = time.monotonic()
        if (self.record is None or now - self._recorded_at < self.record_seconds
                or (self._recording is not None and not self._recording.done())):
            return
        self._recorded_at = now
        seen: set[str] = set()
        if now - self._presence_at >= self.presence_seconds:
            self._presence_at = now
            seen = set(self.connections)
        watched = self.online is not None and any(w.watchers for w in self._classes.values())
        recording = None
        if self.deliveries or self._opened or self._closed or seen:
            recording = Recording(self.deliveries, self._opened, self._closed, seen)
            self.deliveries, self._opened, self._closed = {}, {}, set()
        if recording is not None or watched:
            self._recording = asyncio.create_task(self._record(recording, watched))

    async def _record(self, recording: Recording | None, watched: bool) -> None:
        assert self.record is not None
        if recording is not None and not await self._write(recording):
            return
        if watched and self.online is not None:
            try:
                online = await asyncio.to_thread(self.online)
            except Exception:
                log.exception("reading who is online failed; trying again with the next write")
                return
            self._tell_presence(online)

    def _tell_presence(self, online: dict[int, Marking]) -> None:
        """Hand who came online and who went offline since the last look to the watching sessions."""
        before, self._online = self._online, online
        changed = sorted([(p, m, True) for p, m in online.items() if p not in before]
                         + [(p, m, False) for p, m in before.items() if p not in online], key=lambda c: c[0])
        if not changed:
            return
        for window in list(self._classes.values()):
            if not window.watchers:
                continue
            visible = tuple(PresenceChange(p, m.originator, up) for p, m, up in changed if can_see(window.reader, m))
            if not visible:
                continue
            for watcher in list(window.watchers):
                try:
                    watcher.presence(visible)
                except Exception:
                    log.exception("telling a session who is online failed")

    async def _write(self, recording: Recording) -> bool:
        assert self.record is not None
        try:
            await asyncio.to_thread(self.record, recording)
            return True
        except Exception:
            log.exception("recording delivered markers and presence failed; they are kept for the next round")
            for key, message_id in recording.deliveries.items():
                if message_id > self.deliveries.get(key, 0):
                    self.deliveries[key] = message_id
            for connection_id, person_id in recording.opened.items():
                if connection_id in self.connections:
                    self._opened[connection_id] = person_id
            self._closed |= recording.closed - recording.opened.keys()
            return False
