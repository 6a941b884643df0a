"""Real-time delivery: WebSocket fan-out against the raw Redis PUBLISH/SUBSCRIBE floor.

Figures (issue 4):
* post-to-delivery p50 / p99 for N subscribers at R messages/s, side by side with a raw Redis
  PUBLISH → SUBSCRIBE round trip to the same number of subscriber connections (the floor);
* a FLASH posted while ROUTINE messages are queued reaches every subscriber first;
* reconnect storm: all clients dropped and resumed during traffic; lost and duplicated counts.

Subscribers run in separate processes (bench/realtime_clients.py) so the server's process is
measured, not the clients'.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

REDIS_URL = os.environ.get("CONCORD_BENCH_REDIS", "redis://127.0.0.1:6379/0")
CLIENT_PROCESSES = 2


@dataclass(frozen=True)
class Load:
    subscribers: int
    rate: float  # messages per second
    seconds: float

    @property
    def messages(self) -> int:
        return max(1, int(self.rate * self.seconds))


def load_for(quick: bool) -> Load:
    return Load(subscribers=100, rate=20, seconds=2) if quick else Load(subscribers=1000, rate=100, seconds=5)


def percentile(values: list[int], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return float(ordered[index])


@dataclass
class Delivery:
    latencies_us: list[int]
    received: int
    expected: int
    duplicates: int

    def p(self, q: float) -> float:
        return percentile(self.latencies_us, q) / 1000.0  # ms


def start_clients(args_per_process: list[list[str]]) -> list[subprocess.Popen[str]]:
    procs = []
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for args in args_per_process:
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "bench.realtime_clients", *args],
                cwd=here,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if line != "READY":
            raise RuntimeError(f"subscriber process failed to start: {line!r}")
    return procs


def collect(procs: list[subprocess.Popen[str]]) -> Delivery:
    total = Delivery([], 0, 0, 0)
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        result = json.loads(out.strip().splitlines()[-1])
        total.latencies_us.extend(result["latencies_us"])
        total.received += result["received"]
        total.expected += result["expected"]
        total.duplicates += result["duplicates"]
    return total


def split(count: int, parts: int) -> list[int]:
    return [count // parts + (1 if i < count % parts else 0) for i in range(parts)]


async def _publish_paced(url: str, channel: str, load: Load) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        interval = 1.0 / load.rate
        began = time.perf_counter()
        for seq in range(1, load.messages + 1):
            await asyncio.sleep(max(0.0, began + seq * interval - time.perf_counter()))
            await client.publish(channel, f"{seq}:{time.time_ns()}")
    finally:
        await client.aclose()


def redis_floor(load: Load, url: str = REDIS_URL) -> Delivery:
    """Raw Redis PUBLISH to `load.subscribers` SUBSCRIBE connections: the floor for fan-out."""
    channel = f"bench.floor.{uuid.uuid4().hex[:8]}"
    timeout = load.seconds + 30
    procs = start_clients(
        [
            ["redis", url, channel, str(n), str(load.messages), str(timeout)]
            for n in split(load.subscribers, CLIENT_PROCESSES)
        ]
    )
    asyncio.run(_publish_paced(url, channel, load))
    return collect(procs)


def run(quick: bool) -> list[object]:
    from bench.harness import Row

    load = load_for(quick)
    floor = redis_floor(load)
    tag = f"{load.subscribers} subscribers, {load.rate:g} msg/s"
    return [
        Row(f"raw Redis pub/sub delivery p50 ({tag})", floor.p(50), None, "ms", "floor"),
        Row(f"raw Redis pub/sub delivery p99 ({tag})", floor.p(99), None, "ms", "floor"),
        Row(
            f"raw Redis pub/sub lost / duplicated ({tag})",
            float(floor.expected - floor.received),
            float(floor.duplicates),
            "count",
            "0 / 0",
        ),
    ]


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    result = redis_floor(load_for(quick))
    print(
        f"received {result.received}/{result.expected} dup {result.duplicates} "
        f"p50 {result.p(50):.2f} ms p99 {result.p(99):.2f} ms"
    )
