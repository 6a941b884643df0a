"""The shared fan-out path of `/api/ws`: one encoding per event per reader class, the same bytes
written to every caught-up connection of the class, no task wake-up per connection.

A session joins the fan-out only when it is caught up: its own queue is empty, nothing is being
sent, it has taken every event of its class window up to the window's head, and its transport's
write buffer is low. From then on the live feed calls `FanOut.publish` with each new batch of the
class, right after the window took it, and every member gets the batch's frames written to its
transport (events addressed to one person only to that person's connections). The frame of an
event carries a cursor that is valid for every member: every event of the class up to it has been
written (or was not for that member), so the bytes are the same for all.

A member leaves the fan-out (is *demoted*) and falls back to its own queue (precedence ordering,
bounded, slow consumer closed with a resume hint) as soon as it is behind:
* its transport's write buffer is above the high-water mark (the client does not keep up),
* a batch holds more events than its queue would (a burst: the queue's rules decide, as before),
* or its connection cannot take a frame (closing).
It is told the cursor it reached and the ids above it that it was already written, and its own
reader goes on from there; nothing is skipped and nothing is sent twice.

Within a batch more urgent events are written first (FLASH before ROUTINE), with each frame's
cursor below every event of the batch not yet written. A batch of several events (the feed read
more than one at a wake-up: the server is busy) goes to each member in as few writes as possible,
so a busy server makes fewer system calls per event rather than falling further behind.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from concord.api.ws.protocol import event_frame
from concord.api.ws.server import FrameWriter, text_frame
from concord.services.feed import Entry

log = logging.getLogger(__name__)

HIGH_WATER = 64 * 1024  # bytes in a transport's write buffer above which a member is behind
LOW_WATER = 16 * 1024  # a session joins (again) only with less than this waiting
SEGMENT_BYTES = 16 * 1024  # frames of a batch written together, at most this many bytes at once


class Member(Protocol):
    @property
    def person_id(self) -> int: ...

    def demote(self, cursor: int, held: Sequence[int]) -> None:
        """Leave the fan-out: everything up to `cursor` and the ids in `held` were written."""

    def written(self, deliveries: Sequence[tuple[int, int, int]]) -> None:
        """These messages' frames were written (event id, channel, message): delivered once the
        client confirms it holds them, never before."""


def plan(entries: Sequence[Entry], head: int) -> list[tuple[Entry, int]]:
    """The batch in sending order (most urgent first, then by id) with each frame's cursor: below
    every event of the batch still to be written, and `head` once the whole batch is."""
    ordered = list(entries)
    if any(e.priority != ordered[0].priority for e in ordered):
        ordered.sort(key=lambda e: (-e.priority, e.id))
    cursors = [head] * len(ordered)
    lowest_after = head + 1
    for i in range(len(ordered) - 1, -1, -1):
        cursors[i] = min(head, lowest_after - 1)
        lowest_after = min(lowest_after, ordered[i].id)
    return list(zip(ordered, cursors, strict=True))


@dataclass(frozen=True, slots=True)
class Segment:
    """Consecutive frames of a batch written with one call (one system call when the socket
    takes them): either events for everyone of the class or one event for one person."""

    data: bytes
    recipient: int | None
    cursor: int  # the cursor of its last frame
    ids: tuple[tuple[int, int], ...]  # (event id, its frame's cursor)
    deliveries: tuple[tuple[int, int, int], ...]  # (event id, channel, message) of each message posted in it


def segments(entries: Sequence[Entry], head: int, *, max_bytes: int = SEGMENT_BYTES) -> list[Segment]:
    out: list[Segment] = []
    frames: list[bytes] = []
    ids: list[tuple[int, int]] = []
    delivered: list[tuple[int, int, int]] = []
    size = 0

    def flush(recipient: int | None) -> None:
        nonlocal size
        if frames:
            out.append(Segment(b"".join(frames), recipient, ids[-1][1], tuple(ids), tuple(delivered)))
            frames.clear()
            ids.clear()
            delivered.clear()
            size = 0

    for entry, cursor in plan(entries, head):
        data = text_frame(event_frame(entry.body, cursor))
        if entry.recipient_id is not None or size + len(data) > max_bytes:
            flush(None)
        frames.append(data)
        ids.append((entry.id, cursor))
        size += len(data)
        if entry.delivery is not None:
            delivered.append((entry.id, *entry.delivery))
        if entry.recipient_id is not None:
            flush(entry.recipient_id)
    flush(None)
    return out


class FanOut:
    """The caught-up connections of one reader class (see the module docstring)."""

    def __init__(self, capacity: int, *, high_water: int = HIGH_WATER) -> None:
        self.capacity = capacity
        self.high_water = high_water
        self.members: dict[Member, FrameWriter] = {}

    def __len__(self) -> int:
        return len(self.members)

    def add(self, member: Member, writer: FrameWriter) -> None:
        self.members[member] = writer

    def discard(self, member: Member) -> None:
        self.members.pop(member, None)

    def publish(self, entries: Sequence[Entry], before: int, head: int) -> None:
        """The class window moved from `before` to `head` and took `entries` (in id order)."""
        if not self.members or not entries:
            return
        if len(entries) > self.capacity:
            for member in list(self.members):
                self._demote(member, before, [])
            return
        try:
            batch = segments(entries, head)
        except Exception:
            log.exception("encoding a batch for the shared WebSocket fan-out failed; sessions fall back")
            for member in list(self.members):
                self._demote(member, before, [])
            return
        ended = {e.credentials_of for e in entries if e.credentials_of is not None}
        if ended:
            # A member whose credentials just ended reads this batch on its own path, which re-checks
            # its session before anything else is sent.
            for member in [m for m in self.members if m.person_id in ended]:
                self._demote(member, before, [])
        if len(batch) == 1 and batch[0].recipient is None:
            self._publish_one(batch[0], before)
            return
        high_water = self.high_water
        last = len(batch) - 1
        for member, writer in list(self.members.items()):
            person = member.person_id
            cursor = before
            written = -1  # the last segment index looked at
            try:
                for i, segment in enumerate(batch):
                    recipient = segment.recipient
                    if recipient is None or recipient == person:
                        if not writer.write_frames(segment.data):
                            break
                        if segment.deliveries:
                            member.written(segment.deliveries)
                    cursor = segment.cursor
                    written = i
                    if i < last and writer.write_buffer_size() > high_water:
                        break
                else:
                    if writer.write_buffer_size() <= high_water:
                        continue  # still caught up
            except Exception:
                log.exception("shared WebSocket fan-out write failed; the session falls back to its own queue")
            held = [event_id for segment in batch[:written + 1] if segment.recipient in (None, person)
                    for event_id, _ in segment.ids if event_id > cursor]
            self._demote(member, cursor, held)

    def _publish_one(self, segment: Segment, before: int) -> None:
        """`publish` of the usual batch, one segment for everyone (one new event at a time while
        the server keeps up): the same steps for each member without the per-segment bookkeeping,
        which at a thousand members cost about as much as the write itself."""
        data, deliveries, reached, high_water = segment.data, segment.deliveries, segment.cursor, self.high_water
        for member, writer in list(self.members.items()):
            cursor = before
            try:
                if writer.write_frames(data):
                    if deliveries:
                        member.written(deliveries)
                    cursor = reached  # the segment's last frame carries the head: nothing is held
                    if writer.write_buffer_size() <= high_water:
                        continue  # still caught up
            except Exception:
                log.exception("shared WebSocket fan-out write failed; the session falls back to its own queue")
            self._demote(member, cursor, [])

    def _demote(self, member: Member, cursor: int, held: Sequence[int]) -> None:
        self.members.pop(member, None)
        member.demote(cursor, held)
