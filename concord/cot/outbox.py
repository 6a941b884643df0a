"""A client's bounded outbound queue: one slow client never slows the others.

Delivery rules when a client falls behind:

* below `soft_limit` items everything is queued in order;
* at or over `soft_limit`, a position report whose uid already has a position waiting is merged
  into that waiting entry (the older position is superseded and dropped, counted): a TAK client
  only ever shows the newest position of a uid, so nothing it would display is lost;
* chat, markers, shapes and a uid's first waiting position are never dropped; if they push the
  queue to `hard_limit` the client is too slow to serve and is disconnected (counted). It gets the
  current picture again when it reconnects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from concord.cot.drops import CotStats, DeliveryDrop
from concord.cot.stream import Encoding
from concord.domain.cot import CotEvent


class ClientTooSlow(Exception):
    """The client's queue reached its hard limit with items that may not be dropped."""


@dataclass(slots=True)
class Outgoing:
    """One event to deliver. Each encoding is made once per event and shared by all recipients.

    `xml` / `protobuf` may be primed with the frame as received: it was parsed in full by the
    hardened parser (one well-formed `<event>`, no DTD), so relaying it unchanged is safe and
    saves re-serialising it.
    """

    uid: str
    supersedable: bool
    event: CotEvent | None = None
    xml: bytes | None = None
    protobuf: bytes | None = None

    @classmethod
    def of(cls, event: CotEvent, supersedable: bool) -> Outgoing:
        return cls(event.uid, supersedable, event)

    def encoded(self, encoding: Encoding) -> bytes:
        if encoding is Encoding.XML:
            if self.xml is None:
                self.xml = encode(self._event(), encoding)
            return self.xml
        if self.protobuf is None:
            self.protobuf = encode(self._event(), encoding)
        return self.protobuf

    def _event(self) -> CotEvent:
        if self.event is None:
            # Only our own XML (stored or primed) gets here; parsing it again is still the safe parser.
            from concord.cot.xml import parse_event

            assert self.xml is not None, "an Outgoing needs an event or its XML"
            self.event = parse_event(self.xml, max_bytes=1 << 22)
        return self.event


@dataclass(slots=True)
class OutgoingBatch:
    """Events handed to several clients at once (those one connection sent in one read, say).

    Each encoding's frames, and where each uid's newest position sits in the batch, are worked out
    once and shared by every recipient: queueing a batch is then a list extend per client.
    """

    items: Sequence[Outgoing]
    positions: list[str | None] = field(init=False)
    last_positions: dict[str, int] = field(init=False)
    _frames: dict[Encoding, list[bytes]] = field(init=False)
    _collapsed: list[tuple[int, str | None, int]] | None = field(init=False)

    def __post_init__(self) -> None:
        self.positions = [item.uid if item.supersedable else None for item in self.items]
        self.last_positions = {uid: index for index, uid in enumerate(self.positions) if uid is not None}
        self._frames = {}
        self._collapsed = None

    def collapsed(self) -> list[tuple[int, str | None, int]]:
        """The batch as a full outbox takes it: (index, uid, positions of that uid in the batch) for
        each item that is not a position, and for each uid's newest position where its first was."""
        if self._collapsed is None:
            counts: dict[str, int] = {}
            for uid in self.positions:
                if uid is not None:
                    counts[uid] = counts.get(uid, 0) + 1
            out: list[tuple[int, str | None, int]] = []
            for index, uid in enumerate(self.positions):
                if uid is None:
                    out.append((index, None, 1))
                elif counts.get(uid):
                    out.append((self.last_positions[uid], uid, counts.pop(uid)))
            self._collapsed = out
        return self._collapsed

    def __len__(self) -> int:
        return len(self.items)

    def frames(self, encoding: Encoding) -> list[bytes]:
        frames = self._frames.get(encoding)
        if frames is None:
            frames = self._frames[encoding] = [item.encoded(encoding) for item in self.items]
        return frames


def encode(event: CotEvent, encoding: Encoding) -> bytes:
    from concord.cot.protocol import encode_frame  # the protobuf machinery imports the XML one
    from concord.cot.render import event_to_xml

    return event_to_xml(event) if encoding is Encoding.XML else encode_frame(event)


class Outbox:
    """Encoded frames waiting for one client's socket.

    Frames are numbered as they are queued (`_tail`) and taken (`_head`); a uid's waiting position
    is remembered by number, so the usual path is an append and nothing needs cleaning up when
    frames are taken: a remembered number below `_head` has simply been delivered.
    """

    def __init__(self, stats: CotStats, soft_limit: int = 256, hard_limit: int = 4096):
        if not 0 < soft_limit <= hard_limit:
            raise ValueError("need 0 < soft_limit <= hard_limit")
        self.soft_limit = soft_limit
        self.hard_limit = hard_limit
        self._stats = stats
        self._frames: list[bytes] = []
        self._head = 0
        self._tail = 0
        self._waiting_position: dict[str, int] = {}
        self._ready = asyncio.Event()
        self.superseded = 0
        #: Called when the writer, coming back for more, finds at most half the soft limit waiting:
        #: the router then lets a sender it paused go on (`SenderPause`).
        self.on_room: Callable[[], None] | None = None
        self._behind = False

    @property
    def behind(self) -> bool:
        """More than half the soft limit waits, or positions were superseded here since the client
        last caught up: what it is sent now would soon only replace what it has not taken yet."""
        return self._behind or len(self._frames) > self.soft_limit // 2

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, data: bytes, position_of: str | None = None) -> None:
        """Queue a frame (never blocks); raise `ClientTooSlow` when the client cannot keep up.

        `position_of` is the uid when the frame is a position report a newer one may supersede.
        """
        frames = self._frames
        if len(frames) >= self.soft_limit:
            if position_of is not None:
                number = self._waiting_position.get(position_of, -1)
                if number >= self._head:
                    frames[number - self._head] = data
                    self._behind = True
                    self.superseded += 1
                    self._stats.delivery_dropped[DeliveryDrop.SUPERSEDED] += 1
                    return
            if len(frames) >= self.hard_limit:
                self._stats.delivery_dropped[DeliveryDrop.SLOW_CLIENT] += 1
                raise ClientTooSlow(f"{len(frames)} items waiting")
        if position_of is not None:
            self._waiting_position[position_of] = self._tail
        self._tail += 1
        frames.append(data)
        if len(frames) == 1:
            self._ready.set()

    def put_batch(self, frames: list[bytes], batch: OutgoingBatch) -> None:
        """Queue a batch's frames (in `batch`'s order) with the rules of `put`."""
        queued = len(self._frames)
        if queued + len(frames) > self.soft_limit:
            # Behind already: a uid's positions in the batch supersede each other before they
            # are queued, so only its newest is put (the others are counted as superseded).
            for index, position_of, count in batch.collapsed():
                if count > 1:
                    self._behind = True
                    self.superseded += count - 1
                    self._stats.delivery_dropped[DeliveryDrop.SUPERSEDED] += count - 1
                self.put(frames[index], position_of)
            return
        last_positions = batch.last_positions
        # Under the soft limit nothing is superseded: remember each uid's newest position, append.
        tail = self._tail
        waiting = self._waiting_position
        for uid, index in last_positions.items():
            waiting[uid] = tail + index
        self._tail += len(frames)
        self._frames.extend(frames)
        if not queued and frames:
            self._ready.set()

    async def take(self, max_items: int = 512) -> list[bytes]:
        """Wait for at least one frame; return up to `max_items` in order.

        The caller comes back for more when its socket has taken the last ones: if at most half
        the soft limit waits then, the client has caught up (no longer `behind`) and `on_room` is
        called.
        """
        if len(self._frames) <= self.soft_limit // 2:
            self._behind = False
            if self.on_room is not None:
                self.on_room()
        while not self._frames:
            self._ready.clear()
            await self._ready.wait()
        taken = self._frames[:max_items]
        del self._frames[:max_items]
        self._head += len(taken)
        return taken
