"""What the cross-process buses share: local wake-ups, coalesced sending and reconnection.

A cross-process bus announces an id to this process's waiters at once (so a local writer's own
subscribers never wait for a round trip) and sends it to the other processes from one sender task.
The sender coalesces: if ids 10, 11 and 12 are published while 9 is still on the wire, only 12 is
sent next, since "events up to 12 exist" says everything the other two would.

Because the transport carries only that number, a notification lost while a connection was down
loses nothing: the next higher id (or the reader's poll of the events table on its wait timeout)
makes every subscriber read all rows it has not read yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from concord.bus.base import LocalNotifier

log = logging.getLogger(__name__)


class BusUnavailable(ConnectionError):
    """The bus server could not be reached when the bus started."""


def parse_event_id(payload: bytes | str) -> int | None:
    """The id carried by a notification, or None for anything that is not a positive integer."""
    text = payload.decode("ascii", "replace") if isinstance(payload, bytes) else payload
    text = text.strip()
    if not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if value > 0 else None


class RemoteBus(ABC):
    """Base of the PostgreSQL, Redis and NATS buses (see the module docstring)."""

    #: How long `start` waits for the first subscription before it gives up.
    connect_timeout: float = 5.0
    #: Reconnection back-off: first delay, doubled after each failure up to the maximum.
    retry_delay: float = 0.1
    max_retry_delay: float = 2.0

    def __init__(self) -> None:
        self._notifier = LocalNotifier()
        self._lock = threading.Lock()
        self._to_send = 0
        self._sent = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._send_wanted: asyncio.Event | None = None
        self._subscribed: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    # ---------------------------------------------------------------- what a transport provides

    @abstractmethod
    async def _listen(self, subscribed: Callable[[], None]) -> None:
        """Connect, subscribe, call `subscribed()`, then feed `self._received` until the connection
        fails (raise) or the task is cancelled."""

    @abstractmethod
    async def _send(self, event_id: int) -> None:
        """Send one id to the other processes; raise if the transport failed."""

    @abstractmethod
    async def _open(self) -> None:
        """Connect what `_listen` and `_send` share; raise if the server is unreachable."""

    @abstractmethod
    async def _close(self) -> None:
        """Release every connection."""

    # ---------------------------------------------------------------- the EventBus protocol

    @property
    def latest(self) -> int:
        return self._notifier.latest

    @property
    def connected(self) -> bool:
        """True while the subscription is established (False while reconnecting)."""
        return self._subscribed is not None and self._subscribed.is_set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._stopping = False
        self._loop = loop
        self._notifier.bind(loop)
        self._send_wanted = asyncio.Event()
        self._subscribed = asyncio.Event()
        try:
            await asyncio.wait_for(self._open(), self.connect_timeout)
        except Exception as exc:
            await self._abort_start()
            raise BusUnavailable(f"{type(self).__name__}: cannot connect: {exc}") from exc
        self._tasks = [
            loop.create_task(self._supervise(self._listen_once), name=f"{type(self).__name__}.listen"),
            loop.create_task(self._sender(), name=f"{type(self).__name__}.send"),
        ]
        try:
            await asyncio.wait_for(self._subscribed.wait(), self.connect_timeout)
        except TimeoutError as exc:
            await self.stop()
            name = type(self).__name__
            raise BusUnavailable(f"{name}: no subscription within {self.connect_timeout}s") from exc

    async def stop(self) -> None:
        self._stopping = True
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._abort_start()

    def publish(self, event_id: int) -> None:
        self._notifier.announce(event_id)
        with self._lock:
            if event_id <= self._to_send:
                return
            self._to_send = event_id
        loop, wanted = self._loop, self._send_wanted
        if loop is None or wanted is None or loop.is_closed():
            # Not started (e.g. a CLI command): other processes catch up on their next poll.
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wanted.set()
        else:
            loop.call_soon_threadsafe(wanted.set)

    async def wait_beyond(self, event_id: int, timeout: float) -> int:
        return await self._notifier.wait_beyond(event_id, timeout)

    # ---------------------------------------------------------------- machinery

    def _received(self, payload: bytes | str) -> None:
        event_id = parse_event_id(payload)
        if event_id is None:
            log.warning("%s: ignored a notification that is no event id: %r", type(self).__name__, payload)
            return
        self._notifier.announce(event_id)

    async def _abort_start(self) -> None:
        with contextlib.suppress(Exception):
            await self._close()
        self._notifier.unbind()
        self._loop = None
        self._send_wanted = None
        if self._subscribed is not None:
            self._subscribed.clear()

    async def _listen_once(self) -> None:
        assert self._subscribed is not None
        subscribed = self._subscribed
        try:
            await self._listen(subscribed.set)
        finally:
            subscribed.clear()

    async def _supervise(self, run: Callable[[], Awaitable[None]]) -> None:
        """Run `run` again after every failure, with back-off, until the bus stops."""
        delay = self.retry_delay
        while not self._stopping:
            try:
                await run()
                # A transport that ends without an error still lost its subscription: reconnect.
                delay = self.retry_delay
                await asyncio.sleep(delay)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("%s: connection lost (%s); retrying in %.1fs", type(self).__name__, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_retry_delay)

    async def _sender(self) -> None:
        assert self._send_wanted is not None
        wanted = self._send_wanted
        delay = self.retry_delay
        while True:
            await wanted.wait()
            wanted.clear()
            target = self._to_send
            if target <= self._sent:
                continue
            try:
                await self._send(target)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "%s: cannot send id %d (%s); retry in %.1fs", type(self).__name__, target, exc, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_retry_delay)
                wanted.set()
                continue
            delay = self.retry_delay
            self._sent = max(self._sent, target)


def split_channel(url: str, default: str) -> tuple[str, str]:
    """Take the `channel` query parameter (the topic this centre's processes share) out of a bus URL.

    Several centres (or test runs) may share one Redis, NATS or PostgreSQL server; each names its
    own channel. Other query parameters stay in the URL for the transport's client library.
    """
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    channel = default
    kept = []
    for key, value in query:
        if key == "channel":
            channel = value
        else:
            kept.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(kept))), channel
