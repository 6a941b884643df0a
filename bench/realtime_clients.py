"""Subscriber processes for bench_realtime: many raw connections in one asyncio loop.

The clients are deliberately minimal (a RESP parser for Redis, a frame parser for WebSocket) so
that what is measured is the server, not a client library; both sides of a comparison use the
same kind of client.

Run as `python -m bench.realtime_clients redis URL CHANNEL COUNT EXPECT TIMEOUT OUT.json`. Prints
`READY` once every connection is subscribed, then writes the latencies (µs) and counts to OUT.json.
Each payload is `seq:send_time_ns`; time.time_ns is one clock for every process on the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import re
import sys
import time
from urllib.parse import urlsplit

_RESP_MESSAGE = re.compile(rb"\*3\r\n\$7\r\nmessage\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n([^\r]*)\r\n")


class Tally:
    def __init__(self, expect: int) -> None:
        self.expect = expect
        self.latencies_us: list[int] = []
        self.duplicates = 0
        self.done = asyncio.Event()
        self.complete = 0

    def connection_finished(self, total: int) -> None:
        self.complete += 1
        if self.complete == total:
            self.done.set()


class RedisSubscriber(asyncio.Protocol):
    def __init__(self, channel: str, tally: Tally, total: int, subscribed: asyncio.Future[None]) -> None:
        self.channel = channel
        self.tally = tally
        self.total = total
        self.chunks: list[tuple[int, bytes]] = []
        self.arrived = 0
        self.finished = False
        self.seen: set[int] = set()
        self.subscribed = subscribed

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # type: ignore[override]
        name = self.channel.encode()
        transport.write(b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(name), name))

    def data_received(self, data: bytes) -> None:
        # Keep the callback tiny (time and bytes); parsing happens after the run, so the client's
        # own CPU does not inflate the latencies it measures.
        self.chunks.append((time.time_ns(), data))
        if not self.subscribed.done():
            self.subscribed.set_result(None)
        else:
            self.arrived += data.count(b"\r\nmessage\r\n")
            if self.arrived >= self.tally.expect and not self.finished:
                self.finished = True
                self.tally.connection_finished(self.total)

    def settle(self) -> None:
        """Parse what arrived: latency of each message from its own chunk's arrival time."""
        buffer = b""
        for received_ns, data in self.chunks:
            buffer += data
            consumed = 0
            for match in _RESP_MESSAGE.finditer(buffer):
                consumed = match.end()
                seq, sent = match.group(1).split(b":")
                number = int(seq)
                if number in self.seen:
                    self.tally.duplicates += 1
                    continue
                self.seen.add(number)
                self.tally.latencies_us.append((received_ns - int(sent)) // 1000)
            buffer = buffer[consumed:]


async def run_redis(url: str, channel: str, count: int, expect: int, timeout: float) -> dict[str, object]:
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    tally = Tally(expect)
    waiting = []
    transports = []
    protocols: list[RedisSubscriber] = []
    for _ in range(count):
        subscribed: asyncio.Future[None] = loop.create_future()
        transport, protocol = await loop.create_connection(
            lambda s=subscribed: RedisSubscriber(channel, tally, count, s),  # type: ignore[misc]
            parts.hostname or "127.0.0.1",
            parts.port or 6379,
        )
        transports.append(transport)
        protocols.append(protocol)
        waiting.append(subscribed)
    await asyncio.gather(*waiting)
    pause_collector()
    print("READY", flush=True)
    cpu_at_ready = time.process_time()
    with contextlib.suppress(TimeoutError):  # a short count is reported, not raised
        await asyncio.wait_for(tally.done.wait(), timeout)
    cpu_seconds = time.process_time() - cpu_at_ready
    gc.enable()
    for transport in transports:
        transport.close()
    for protocol in protocols:
        protocol.settle()
    return {
        "latencies_us": tally.latencies_us,
        "received": len(tally.latencies_us),
        "duplicates": tally.duplicates,
        "expected": expect * count,
        "cpu_seconds": cpu_seconds,
    }


def pause_collector() -> None:
    """No cyclic garbage collection while traffic flows: a collection pass over the frames kept
    so far would stall the loop and be counted as delivery latency. What is kept (bytes, tuples
    of int and bytes) is freed by reference counting; nothing piles up."""
    gc.collect()
    gc.freeze()
    gc.disable()


def _run(coro):  # type: ignore[no-untyped-def]
    try:
        import uvloop  # both sides of every comparison use the same loop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


def main(argv: list[str]) -> None:
    kind = argv[0]
    if kind == "redis":
        url, channel, count, expect, timeout = argv[1], argv[2], int(argv[3]), int(argv[4]), float(argv[5])
        result = _run(run_redis(url, channel, count, expect, timeout))
    else:
        raise SystemExit(f"unknown client kind {kind!r}")
    # A file, not stdout: a pipe left non-blocking by the event loop would cut a large result.
    with open(argv[6], "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main(sys.argv[1:])
