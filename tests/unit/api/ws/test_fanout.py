"""The shared fan-out path over real sockets: same bytes for every caught-up connection, addressed
events only to their person, and a connection that falls behind leaves with an exact resume point."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from collections.abc import Sequence
from typing import Any

from concord.api.ws.fanout import FanOut, plan, segments
from concord.domain.messages import Precedence
from concord.services.feed import Entry

R, F = int(Precedence.ROUTINE), int(Precedence.FLASH)


def entry(event_id: int, *, priority: int = R, recipient: int | None = None, size: int = 10,
          delivery: tuple[int, int] | None = None) -> Entry:
    body = json.dumps({"id": event_id, "kind": "test", "pad": "x" * size})
    return Entry(event_id, recipient, priority, body, delivery)


class TransportWriter:
    """`FrameWriter` over a real asyncio transport."""

    per_connection_frames = False

    def __init__(self, transport: asyncio.WriteTransport) -> None:
        self.transport = transport

    def write_frames(self, data: bytes) -> bool:
        if self.transport.is_closing():
            return False
        self.transport.write(data)
        return True

    def write_buffer_size(self) -> int:
        return self.transport.get_write_buffer_size()

    async def drained(self) -> None:  # the fan-out never waits; only a session's own sender does
        raise AssertionError("not used by the fan-out")


class Member:
    def __init__(self, person_id: int) -> None:
        self.person_id = person_id
        self.demoted: list[tuple[int, list[int]]] = []
        self.written_messages: list[tuple[int, int, int]] = []

    def demote(self, cursor: int, held: Sequence[int]) -> None:
        self.demoted.append((cursor, list(held)))

    def written(self, deliveries: Sequence[tuple[int, int, int]]) -> None:
        self.written_messages.extend(deliveries)


OPEN: list[tuple[TransportWriter, socket.socket]] = []


async def connection(*, small: bool = False) -> tuple[TransportWriter, socket.socket]:
    ours, peer = socket.socketpair()
    if small:
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    transport, _ = await asyncio.get_running_loop().connect_accepted_socket(asyncio.Protocol, ours)
    OPEN.append((TransportWriter(transport), peer))  # type: ignore[arg-type]
    return OPEN[-1]


async def close_all() -> None:
    while OPEN:
        writer, peer = OPEN.pop()
        writer.transport.abort()
        peer.close()
    await asyncio.sleep(0)


def available(peer: socket.socket) -> bytes:
    peer.setblocking(False)
    data = b""
    while True:
        try:
            chunk = peer.recv(1 << 20)
        except BlockingIOError:
            return data
        if not chunk:
            return data
        data += chunk


async def received(writer: TransportWriter, peer: socket.socket) -> list[dict[str, Any]]:
    """Every frame written to the connection, read by its peer (unmasked text frames, RFC 6455)."""
    data = available(peer)
    while writer.write_buffer_size():  # let the transport hand the kernel the rest
        await asyncio.sleep(0)
        data += available(peer)
    await asyncio.sleep(0)
    data += available(peer)
    out = []
    while data:
        assert data[0] == 0x81  # FIN + text
        length, offset = data[1], 2
        if length == 126:
            length, offset = struct.unpack_from("!H", data, 2)[0], 4
        elif length == 127:
            length, offset = struct.unpack_from("!Q", data, 2)[0], 10
        out.append(json.loads(data[offset:offset + length]))
        data = data[offset + length:]
    return out


def ids(frames: list[dict[str, Any]]) -> list[int]:
    return [int(f["event"]["id"]) for f in frames]


def test_the_plan_puts_the_most_urgent_first_and_no_cursor_passes_an_unwritten_event() -> None:
    batch = [entry(11), entry(12), entry(13, priority=F), entry(14)]
    assert [(e.id, c) for e, c in plan(batch, 20)] == [(13, 10), (11, 11), (12, 13), (14, 20)]
    assert [(e.id, c) for e, c in plan(batch[:2], 12)] == [(11, 11), (12, 12)]


def test_segments_keep_addressed_events_apart_and_join_the_rest() -> None:
    batch = [entry(1), entry(2), entry(3, recipient=7), entry(4), entry(5, size=2000)]
    parts = segments(batch, 5, max_bytes=1500)
    assert [(s.recipient, [i for i, _ in s.ids]) for s in parts] == [(None, [1, 2]), (7, [3]), (None, [4]), (None, [5])]
    assert [s.cursor for s in parts] == [2, 3, 4, 5]


def test_every_member_gets_its_events_once_with_the_cursor_of_the_class() -> None:
    async def run() -> None:
        fanout = FanOut(100)
        one, two = Member(1), Member(2)
        (w1, p1), (w2, p2) = await connection(), await connection()
        fanout.add(one, w1)
        fanout.add(two, w2)
        fanout.publish([entry(11, delivery=(5, 100)), entry(12, recipient=2, delivery=(6, 200)), entry(13)], 10, 14)
        fanout.publish([entry(15)], 14, 16)
        await asyncio.sleep(0)
        got1 = [(f["cursor"], f["event"]["id"]) for f in await received(w1, p1)]
        got2 = [(f["cursor"], f["event"]["id"]) for f in await received(w2, p2)]
        assert got1 == [(11, 11), (14, 13), (16, 15)]
        assert got2 == [(11, 11), (12, 12), (14, 13), (16, 15)]
        # Written, with the event that carried each message: delivered only once the client confirms.
        assert one.written_messages == [(11, 5, 100)]
        assert two.written_messages == [(11, 5, 100), (12, 6, 200)]
        assert one.demoted == two.demoted == [] and len(fanout) == 2
        await close_all()

    asyncio.run(run())


def test_a_member_that_does_not_read_leaves_with_exactly_what_it_was_written() -> None:
    async def run() -> None:
        fanout = FanOut(1000, high_water=1024)
        slow, quick = Member(1), Member(2)
        (ws, ps), (wq, pq) = await connection(small=True), await connection()
        fanout.add(slow, ws)
        fanout.add(quick, wq)
        batch = [entry(i, size=3000) for i in range(101, 141)] + [entry(141, priority=F)]
        fanout.publish(batch, 100, 141)
        assert len(slow.demoted) == 1 and len(fanout) == 1  # the other one is still caught up
        cursor, held = slow.demoted[0]
        assert 100 < cursor < 141
        written = ids(await received(ws, ps))
        # the FLASH went first; the session's own queue sends every id above the cursor not held
        assert written[0] == 141 and held == [141]
        still_to_send = [e.id for e in batch if e.id > cursor and e.id not in held]
        assert sorted(written + still_to_send) == [e.id for e in batch]
        assert all(i <= cursor or i in held for i in written)
        assert ids(await received(wq, pq)) == [141, *range(101, 141)]
        await close_all()

    asyncio.run(run())


def test_a_burst_larger_than_the_queue_and_a_closing_connection_fall_back() -> None:
    async def run() -> None:
        fanout = FanOut(3)
        burst, closing = Member(1), Member(2)
        (wb, pb), (wc, _) = await connection(), await connection()
        fanout.add(burst, wb)
        fanout.publish([entry(i) for i in range(1, 5)], 0, 4)  # four events, a queue of three
        assert burst.demoted == [(0, [])] and await received(wb, pb) == []
        fanout.add(closing, wc)
        wc.transport.close()
        fanout.publish([entry(5)], 4, 5)
        assert closing.demoted == [(4, [])] and len(fanout) == 0
        await close_all()

    asyncio.run(run())


def test_one_new_event_left_above_the_high_water_mark_demotes_at_the_head_with_it_written() -> None:
    async def run() -> None:
        fanout = FanOut(100, high_water=1024)
        slow, quick = Member(1), Member(2)
        (ws, ps), (wq, pq) = await connection(small=True), await connection()
        fanout.add(slow, ws)
        fanout.add(quick, wq)
        fanout.publish([entry(7, size=200_000, delivery=(3, 30))], 6, 7)
        # Written whole, but still waiting in the buffer: behind from now on, at the head, nothing held.
        assert slow.demoted == [(7, [])] and slow.written_messages == [(7, 3, 30)]
        assert quick.demoted == [] and len(fanout) == 1
        assert ids(await received(ws, ps)) == [7] and ids(await received(wq, pq)) == [7]
        await close_all()

    asyncio.run(run())
