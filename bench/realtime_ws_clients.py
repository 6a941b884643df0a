"""WebSocket subscriber processes for bench_realtime: a minimal RFC 6455 client, many per loop.

`python -m bench.realtime_ws_clients CONFIG.json` where the config holds: address, tokens (one per
connection), last_event_id (or null), expect (message.posted events each connection must get),
timeout, and storm_at_ns (drop every connection at that moment and resume, or null).
Prints READY when every connection has its welcome frame, then one JSON line of results.

Frames are split as they arrive and kept with their arrival time; nothing else is parsed while
traffic flows (a bounded search counts posted messages, to know when a client is done). The resume
cursor is worked out from the kept frames only when a client reconnects, and JSON is parsed after
the run. Message bodies are `seq:send_time_ns`, so every process on the machine measures against
the same clock.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import json
import os
import re
import struct
import sys
import time
from typing import Any

from bench.realtime_clients import pause_collector

_EVENT_HEAD = re.compile(rb'^\{"type":"event","cursor":(\d+),"event":\{"id":(\d+),')
_POSTED = b'"kind":"message.posted"'
_HEAD_BYTES = 200  # the kind comes within the first bytes of an event frame (id, at, kind, …)
_BODY = re.compile(r"^(\d+):(\d+)$")


def masked(payload: bytes, opcode: int = 0x1) -> bytes:
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header + mask + body


class Subscriber(asyncio.Protocol):
    def __init__(self, client: Client) -> None:
        self.client = client
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = False
        self.welcomed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.transport = transport  # uvloop's transports are not asyncio.Transport subclasses
        key = base64.b64encode(os.urandom(16)).decode()
        host = self.client.address
        transport.write((f"GET /api/ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                         f"Authorization: Bearer {self.client.token}\r\n\r\n").encode())

    def data_received(self, data: bytes) -> None:
        now = time.time_ns()
        buffer = self.buffer + data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                raise RuntimeError(buffer[:200].decode(errors="replace"))
            self.upgraded = True
            hello = {"type": "hello", "last_event_id": self.client.last_event_id,
                     "received_after": sorted(self.client.held())}
            assert self.transport is not None
            self.transport.write(masked(json.dumps(hello).encode()))
            buffer = buffer[end + 4:]
        offset = 0
        size = len(buffer)
        while size - offset >= 2:
            first, second = buffer[offset], buffer[offset + 1]
            length = second & 0x7F
            head = 2
            if length == 126:
                if size - offset < 4:
                    break
                length = struct.unpack_from("!H", buffer, offset + 2)[0]
                head = 4
            elif length == 127:
                if size - offset < 10:
                    break
                length = struct.unpack_from("!Q", buffer, offset + 2)[0]
                head = 10
            if size - offset < head + length:
                break
            payload = buffer[offset + head:offset + head + length]
            offset += head + length
            opcode = first & 0x0F
            if opcode == 0x1:
                self.client.frame(now, payload)
                if not self.welcomed.done() and payload.startswith(b'{"type":"welcome"'):
                    self.welcomed.set_result(None)
            elif opcode == 0x9:  # protocol ping → pong
                assert self.transport is not None
                self.transport.write(masked(payload, 0xA))
            elif opcode == 0x8:
                self.client.close_frames.append(payload)
        self.buffer = buffer[offset:]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        if not self.client.dropping and not self.client.finished:
            # The server closed us (slow consumer, going away, …): resume like a real client.
            self.client.server_closes += 1
            asyncio.get_running_loop().create_task(self.client.resume())


class Client:
    """One logical subscriber: survives reconnections, keeps every frame for the final count."""

    def __init__(self, address: str, token: str, last_event_id: int | None) -> None:
        self.address = address
        self.token = token
        self.last_event_id = last_event_id
        self.frames: list[tuple[int, bytes]] = []
        self.close_frames: list[bytes] = []
        self.cursor = last_event_id or 0
        self.since_cursor: list[int] = []
        self.scanned = 0  # frames already looked at for the resume cursor
        self.posted = 0
        self.done = asyncio.Event()
        self.expect = 0
        self.protocol: Subscriber | None = None
        self.dropping = False
        self.finished = False
        self.server_closes = 0

    def held(self) -> list[int]:
        self.update_cursor()
        return [i for i in self.since_cursor if i > self.cursor]

    def update_cursor(self) -> None:
        """The resume point from the frames kept since the last look: the highest cursor, and the
        ids above it already held (sent ahead by precedence)."""
        for _, payload in self.frames[self.scanned:]:
            head = _EVENT_HEAD.match(payload)
            if head is None:
                continue
            cursor, event_id = int(head.group(1)), int(head.group(2))
            if cursor > self.cursor:
                self.cursor = cursor
                self.since_cursor = [i for i in self.since_cursor if i > cursor]
            if event_id > cursor:
                self.since_cursor.append(event_id)
        self.scanned = len(self.frames)

    def frame(self, now: int, payload: bytes) -> None:
        self.frames.append((now, payload))
        if payload.find(_POSTED, 0, _HEAD_BYTES) >= 0:
            self.posted += 1
            if self.posted >= self.expect:
                self.done.set()

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        host, port = self.address.rsplit(":", 1)
        _, protocol = await loop.create_connection(lambda: Subscriber(self), host, int(port))
        self.protocol = protocol
        await asyncio.wait_for(protocol.welcomed, 60)

    async def drop_and_resume(self) -> None:
        assert self.protocol is not None and self.protocol.transport is not None
        self.dropping = True
        self.protocol.transport.abort()  # no close handshake: a dropped link
        await self.protocol.closed
        self.dropping = False
        await self.resume()

    async def resume(self) -> None:
        self.update_cursor()
        self.last_event_id = self.cursor
        await self.connect()


def settle(client: Client) -> dict[str, Any]:
    latencies: list[int] = []
    seen: set[int] = set()
    duplicates = 0
    first_precedence: str | None = None
    for received_ns, payload in client.frames:
        if b'"kind":"message.posted"' not in payload:
            continue
        event = json.loads(payload)["event"]["payload"]
        match = _BODY.match(event["body"].split(" ", 1)[-1])
        if match is None:
            continue
        if first_precedence is None:
            first_precedence = event["precedence"]
        seq = int(match.group(1))
        if seq in seen:
            duplicates += 1
            continue
        seen.add(seq)
        latencies.append((received_ns - int(match.group(2))) // 1000)
    return {"latencies": latencies, "seen": seen, "duplicates": duplicates, "first": first_precedence}


async def main(config: dict[str, Any]) -> dict[str, Any]:
    clients = [Client(config["address"], token, config["last_event_id"]) for token in config["tokens"]]
    for client in clients:
        client.expect = config["expect"]
    for start in range(0, len(clients), 50):  # connect in waves, as a real fleet would
        await asyncio.gather(*(c.connect() for c in clients[start:start + 50]))
    pause_collector()
    print("READY", flush=True)
    cpu_at_ready = time.process_time()
    storm_at = config.get("storm_at_ns")
    if storm_at:
        await asyncio.sleep(max(0.0, (storm_at - time.time_ns()) / 1e9))
        await asyncio.gather(*(c.drop_and_resume() for c in clients))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(c.done.wait() for c in clients)), config["timeout"])
    cpu_seconds = time.process_time() - cpu_at_ready  # the traffic only: not connecting, not settling
    gc.enable()
    for client in clients:
        client.finished = True
        if client.protocol is not None and client.protocol.transport is not None:
            client.protocol.transport.close()
    results = [settle(c) for c in clients]
    expected = set(range(1, config["expect"] + 1)) if config.get("seq_from_one") else None
    lost = sum(len(expected - r["seen"]) for r in results) if expected is not None else None
    return {
        "latencies_us": [x for r in results for x in r["latencies"]],
        "received": sum(len(r["seen"]) for r in results),
        "duplicates": sum(r["duplicates"] for r in results),
        "expected": config["expect"] * len(clients),
        "lost": lost,
        "first_precedence": [r["first"] for r in results],
        "server_closes": sum(c.server_closes for c in clients),
        "cpu_seconds": cpu_seconds,
        "close_frames": sorted({f[:60].decode(errors="replace") for c in clients for f in c.close_frames})[:10],
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        cfg = json.load(handle)
    try:
        import uvloop

        result = uvloop.run(main(cfg))
    except ImportError:
        result = asyncio.run(main(cfg))
    # A file, not stdout: the result can be megabytes, and a pipe left non-blocking by the event
    # loop would cut it at 64 KiB.
    with open(sys.argv[1] + ".out", "w", encoding="utf-8") as out:
        json.dump(result, out)
