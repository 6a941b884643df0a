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
from collections import deque
from dataclasses import dataclass, field

from concord.cot.drops import CotStats, DeliveryDrop
from concord.cot.stream import Encoding
from concord.domain.cot import CotEvent


class ClientTooSlow(Exception):
    """The client's queue reached its hard limit with items that may not be dropped."""


@dataclass(slots=True)
class Outgoing:
    """One event to deliver. Each encoding is made once per event and shared by all recipients."""

    event: CotEvent
    supersedable: bool
    _encoded: dict[Encoding, bytes] = field(default_factory=dict)

    def encoded(self, encoding: Encoding) -> bytes:
        data = self._encoded.get(encoding)
        if data is None:
            data = self._encoded[encoding] = encode(self.event, encoding)
        return data


def encode(event: CotEvent, encoding: Encoding) -> bytes:
    from concord.cot.protocol import encode_frame  # the protobuf machinery imports the XML one
    from concord.cot.xml import event_to_xml

    return event_to_xml(event) if encoding is Encoding.XML else encode_frame(event)


@dataclass(slots=True)
class _Slot:
    data: bytes
    position_of: str | None   # the uid whose position this is, if a newer one may replace it


class Outbox:
    """Encoded frames waiting for one client's socket."""

    def __init__(self, stats: CotStats, soft_limit: int = 256, hard_limit: int = 4096):
        if not 0 < soft_limit <= hard_limit:
            raise ValueError("need 0 < soft_limit <= hard_limit")
        self.soft_limit = soft_limit
        self.hard_limit = hard_limit
        self._stats = stats
        self._slots: deque[_Slot] = deque()
        self._waiting_position: dict[str, _Slot] = {}
        self._ready = asyncio.Event()
        self.superseded = 0

    def __len__(self) -> int:
        return len(self._slots)

    def put(self, data: bytes, position_of: str | None = None) -> None:
        """Queue a frame (never blocks); raise `ClientTooSlow` when the client cannot keep up.

        `position_of` is the uid when the frame is a position report a newer one may supersede.
        """
        if position_of is not None and len(self._slots) >= self.soft_limit:
            waiting = self._waiting_position.get(position_of)
            if waiting is not None:
                waiting.data = data
                self.superseded += 1
                self._stats.delivery_dropped[DeliveryDrop.SUPERSEDED] += 1
                return
        if len(self._slots) >= self.hard_limit:
            self._stats.delivery_dropped[DeliveryDrop.SLOW_CLIENT] += 1
            raise ClientTooSlow(f"{len(self._slots)} items waiting")
        slot = _Slot(data, position_of)
        self._slots.append(slot)
        if position_of is not None:
            self._waiting_position[position_of] = slot
        self._ready.set()

    async def take(self, max_items: int = 512) -> list[bytes]:
        """Wait for at least one frame; return up to `max_items` in order."""
        while not self._slots:
            self._ready.clear()
            await self._ready.wait()
        taken: list[bytes] = []
        while self._slots and len(taken) < max_items:
            slot = self._slots.popleft()
            uid = slot.position_of
            if uid is not None and self._waiting_position.get(uid) is slot:
                del self._waiting_position[uid]
            taken.append(slot.data)
        return taken
