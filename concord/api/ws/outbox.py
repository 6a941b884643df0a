"""A WebSocket session's outbound queue and heartbeat, independent of storage and sockets.

The session's reader puts events in id order; the sender takes the most urgent first (higher
precedence, then lower id), so a FLASH overtakes ROUTINE traffic a slow client has not yet
received. Because of that reordering the queue keeps a *cursor*: every event with id ≤ cursor that
was put has been taken. The cursor, not the highest id sent, is what a client resumes from; the
ids it holds above the cursor it lists in its hello (`received_after`) and is not sent again.

The queue is bounded: a client that falls `capacity` events behind is closed with the cursor as
its resume hint, instead of holding memory or slowing anyone else.
"""

from __future__ import annotations

import asyncio
import heapq
from dataclasses import dataclass


class SlowConsumer(Exception):
    """The queue is full; close the connection and let the client resume from `resume_from`."""

    def __init__(self, resume_from: int) -> None:
        super().__init__(f"queue full; resume from {resume_from}")
        self.resume_from = resume_from


@dataclass(frozen=True, slots=True)
class Outgoing:
    event_id: int
    priority: int
    body: str
    cursor: int  # the queue's cursor once this item was taken


class Outbox:
    def __init__(self, capacity: int, start_after: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._by_urgency: list[tuple[int, int, str]] = []  # (-priority, event_id, body)
        self._pending_ids: list[int] = []  # min-heap of ids not yet taken (lazy removal)
        self._taken: set[int] = set()  # taken ids still inside _pending_ids
        self._scanned = start_after  # the reader has looked at every id up to here
        self._ready = asyncio.Event()

    def __len__(self) -> int:
        return len(self._by_urgency)

    @property
    def scanned(self) -> int:
        return self._scanned

    @property
    def cursor(self) -> int:
        while self._pending_ids and self._pending_ids[0] in self._taken:
            self._taken.discard(heapq.heappop(self._pending_ids))
        if self._pending_ids:
            return self._pending_ids[0] - 1
        return self._scanned

    def put(self, event_id: int, priority: int, body: str) -> None:
        """Queue an event the client may see; ids must come in increasing order."""
        if event_id <= self._scanned:
            raise ValueError(f"event {event_id} is not after {self._scanned}: ids must increase")
        if len(self._by_urgency) >= self.capacity:
            raise SlowConsumer(self.cursor)
        heapq.heappush(self._by_urgency, (-priority, event_id, body))
        heapq.heappush(self._pending_ids, event_id)
        self._scanned = event_id
        self._ready.set()

    def skip_to(self, event_id: int) -> None:
        """The reader looked at every id up to `event_id` (those it did not put are not for this
        client), so the cursor may pass them."""
        self._scanned = max(self._scanned, event_id)

    def take_nowait(self) -> Outgoing | None:
        if not self._by_urgency:
            return None
        negative_priority, event_id, body = heapq.heappop(self._by_urgency)
        self._taken.add(event_id)
        if not self._by_urgency:
            self._ready.clear()
        return Outgoing(event_id, -negative_priority, body, self.cursor)

    async def take(self) -> Outgoing:
        while True:
            item = self.take_nowait()
            if item is not None:
                return item
            await self._ready.wait()


class Heartbeat:
    """When to ping a client and when to give up on it (monotonic seconds passed in)."""

    def __init__(self, interval: float, timeout: float, now: float) -> None:
        if not 0 < interval < timeout:
            raise ValueError("0 < interval < timeout")
        self.interval = interval
        self.timeout = timeout
        self._last_heard = now
        self._last_ping = now

    def heard(self, now: float) -> None:
        """Any frame from the client proves it is alive."""
        self._last_heard = now

    def ping_due(self, now: float) -> bool:
        if now - max(self._last_heard, self._last_ping) >= self.interval:
            self._last_ping = now
            return True
        return False

    def expired(self, now: float) -> bool:
        return now - self._last_heard >= self.timeout

    def next_wake(self, now: float) -> float:
        """Seconds until the session should next call `ping_due`/`expired`."""
        ping_at = max(self._last_heard, self._last_ping) + self.interval
        return max(0.0, min(ping_at, self._last_heard + self.timeout) - now)
