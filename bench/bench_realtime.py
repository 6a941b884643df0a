"""Real-time delivery: WebSocket fan-out against the raw Redis PUBLISH/SUBSCRIBE floor.

Figures (issue 4):
* post-to-delivery p50 / p99 for N subscribers at R messages/s, side by side with a raw Redis
  PUBLISH → SUBSCRIBE round trip to the same number of subscriber connections (the floor);
* a FLASH posted while ROUTINE messages are queued reaches every subscriber first;
* reconnect storm: all clients dropped and resumed during traffic; lost and duplicated counts.

Subscribers run in separate processes (bench/realtime_clients.py) so the server's process is
measured, not the clients'. Latency is from the moment a post is sent (its body carries the
time) to the moment a subscriber has the frame. Posts go out on a fixed schedule, not waiting for
the previous answer (the server is offered the named rate even when it answers slowly); the
"POST answered" rows show how much of the latency is the post itself (HTTP, commit) before any
fan-out. Every measuring process pauses its cyclic garbage collector while traffic flows.

On a machine with two or more cores the server runs on the first core and everything that measures
it (subscriber processes, the poster) on the others (`taskset`; `CONCORD_BENCH_PIN=0` turns it
off), and the table gives the CPU seconds each side used while traffic flowed, so server cost and
client cost can be told apart on a small machine: the Concord server against redis-server (its own
`INFO cpu`), Concord's subscribers against the floor's, the poster against the publisher.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bench.harness import free_port, throwaway_postgres
from bench.realtime_clients import pause_collector

T = TypeVar("T")
REDIS_URL = os.environ.get("CONCORD_BENCH_REDIS", "redis://127.0.0.1:6379/0")
CLIENT_PROCESSES = 2


def _cores() -> tuple[frozenset[int], frozenset[int]] | None:
    """(the server's core, the measuring side's cores) when the machine allows pinning."""
    if os.environ.get("CONCORD_BENCH_PIN", "1") == "0" or shutil.which("taskset") is None:
        return None
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return None
    return frozenset(cores[:1]), frozenset(cores[1:])


CORES = _cores()


def pinned(command: list[str], server: bool) -> list[str]:
    """`command` run on the server's core or on the measuring side's (unchanged when not pinning)."""
    if CORES is None:
        return command
    cores = CORES[0] if server else CORES[1]
    return ["taskset", "-c", ",".join(str(c) for c in sorted(cores)), *command]


def pinning() -> str:
    if CORES is None:
        return "not pinned"
    server, clients = (",".join(str(c) for c in sorted(cores)) for cores in CORES)
    return f"server on core {server}, clients on {clients}"


@contextlib.contextmanager
def measuring_side() -> Iterator[None]:
    """This process (the poster, the publisher) on the measuring side's cores while it runs."""
    if CORES is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, CORES[1])
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far, every thread included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_cpu(url: str) -> float:
    """CPU seconds redis-server has used so far (its own INFO)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        info = client.info("cpu")
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    finally:
        client.close()


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
    cpu_seconds: float = 0.0  # the subscriber processes', while traffic flowed

    def p(self, q: float) -> float:
        return percentile(self.latencies_us, q) / 1000.0  # ms


def start_clients(args_per_process: list[list[str]]) -> list[subprocess.Popen[str]]:
    procs = []
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for args in args_per_process:
        procs.append(
            subprocess.Popen(
                pinned([sys.executable, "-m", "bench.realtime_clients", *args], server=False),
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
        proc.communicate(timeout=300)
        result = json.loads(Path(str(proc.args[-1])).read_text())  # type: ignore[index]
        total.latencies_us.extend(result["latencies_us"])
        total.received += result["received"]
        total.expected += result["expected"]
        total.duplicates += result["duplicates"]
        total.cpu_seconds += result["cpu_seconds"]
    return total


def split(count: int, parts: int) -> list[int]:
    return [count // parts + (1 if i < count % parts else 0) for i in range(parts)]


async def _publish_paced(url: str, channel: str, load: Load) -> float:
    """Publish on the schedule; returns the publisher's CPU seconds."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    pause_collector()  # as on the Concord side: no collection pause between a timestamp and its send
    began_cpu = time.process_time()
    try:
        interval = 1.0 / load.rate
        began = time.perf_counter()
        for seq in range(1, load.messages + 1):
            await asyncio.sleep(max(0.0, began + seq * interval - time.perf_counter()))
            await client.publish(channel, f"{seq}:{time.time_ns()}")
        return time.process_time() - began_cpu
    finally:
        gc.enable()
        await client.aclose()


@dataclass
class Floor:
    delivery: Delivery
    server_cpu: float  # redis-server's CPU seconds while traffic flowed
    publisher_cpu: float


def redis_floor(load: Load, url: str = REDIS_URL) -> Floor:
    """Raw Redis PUBLISH to `load.subscribers` SUBSCRIBE connections: the floor for fan-out."""
    channel = f"bench.floor.{uuid.uuid4().hex[:8]}"
    timeout = load.seconds + 30
    with tempfile.TemporaryDirectory(prefix="concord-bench-floor-") as tmp:
        procs = start_clients([
            ["redis", url, channel, str(n), str(load.messages), str(timeout), str(Path(tmp) / f"floor{i}.json")]
            for i, n in enumerate(split(load.subscribers, CLIENT_PROCESSES))
        ])
        before = redis_cpu(url)
        with measuring_side():
            publisher_cpu = asyncio.run(_publish_paced(url, channel, load))
        delivery = collect(procs)
        return Floor(delivery, redis_cpu(url) - before, publisher_cpu)


# ------------------------------------------------------------------------------ Concord side

@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    address: str
    database: Path
    sender_token: str
    subscriber_tokens: list[str]
    channel_id: int


def serve_concord(workdir: Path, subscribers: int, people: int = 20, database_url: str | None = None) -> Served:
    """A fresh centre (SQLite unless `database_url` names another, in-process bus) served by one
    `concord serve` process."""
    from concord.centre import Centre
    from concord.domain.markings import Level
    from concord.domain.people import Role
    from concord.settings import Settings

    workdir.mkdir(exist_ok=True)
    database = workdir / "bench.db"
    database_url = database_url or f"sqlite:///{database}"
    env = {**os.environ, "CONCORD_DATABASE_URL": database_url, "CONCORD_DATA_DIR": str(workdir),
           "CONCORD_ARGON2_TIME_COST": "1", "CONCORD_ARGON2_MEMORY_KIB": "8192", "CONCORD_ESCALATION_SECONDS": "0",
           "CONCORD_WS_HEARTBEAT_SECONDS": "300", "CONCORD_LOG_JSON": "false", "PYTHONWARNINGS": "ignore",
           # `concord serve` opens the TAK listeners too: on ports of their own, not a running demo's.
           "CONCORD_COT__TCP_PORT": str(free_port()), "CONCORD_COT__TLS_PORT": str(free_port())}
    settings = Settings(database_url=env["CONCORD_DATABASE_URL"], data_dir=workdir, argon2_time_cost=1,
                        argon2_memory_kib=8192)
    centre = Centre(settings)
    centre.migrate()
    centre.nations.add("TUR", "Türkiye")
    centre.nations.add("IRQ", "Iraq")
    password = "bench password 0123456789"  # noqa: S105  # a throwaway centre in a temporary directory
    names = ["tur.sender"] + [f"irq.watch{i}" for i in range(people)]
    for name in names:
        nation = name[:3].upper()
        person_id = centre.people.create(None, username=name, display_name=name, nation=nation,
                                         clearance=Level.SECRET, password=password)
        centre.people.appoint(None, person_id=person_id, role=Role.WATCH_OFFICER)
    [joint] = [c for c in centre.channels.ensure_standard_channels() if c.kind.value == "centre"]
    centre.close()
    port = free_port()
    log = (workdir / "server.log").open("wb")
    proc = subprocess.Popen(pinned([sys.executable, "-m", "concord", "serve", "--port", str(port)], server=True),
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # a loaded 2-core machine took 45 s to start one (import, migrate, listeners)
    while True:
        try:
            if httpx.get(f"http://{address}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("concord serve did not start") from None
        time.sleep(0.1)
    tokens = {}
    for name in names:
        response = httpx.post(f"http://{address}/api/session", json={"username": name, "password": password})
        response.raise_for_status()
        tokens[name] = response.json()["token"]
    watchers = [tokens[n] for n in names[1:]]
    subscriber_tokens = [watchers[i % len(watchers)] for i in range(subscribers)]
    assert joint.id is not None
    return Served(proc, address, database, tokens["tur.sender"], subscriber_tokens, joint.id)


def stop(served: Served) -> None:
    if served.proc.poll() is not None:
        tail = (served.database.parent / "server.log").read_text(errors="replace")[-3000:]
        print(f"concord serve exited early ({served.proc.returncode}):\n{tail}", file=sys.stderr)
    served.proc.terminate()
    try:
        served.proc.wait(30)
    except subprocess.TimeoutExpired:
        print("concord serve did not stop within 30 s of SIGTERM; killed", file=sys.stderr)
        served.proc.kill()
        served.proc.wait(10)


def latest_event_id(database: Path) -> int:
    import sqlite3

    with contextlib.closing(sqlite3.connect(database)) as conn:
        return int(conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])


def start_ws_clients(served: Served, workdir: Path, *, expect: int, last_event_id: int | None,
                     timeout: float, storm_at_ns: int | None = None) -> list[subprocess.Popen[str]]:
    procs = []
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parts = split(len(served.subscriber_tokens), CLIENT_PROCESSES)
    offset = 0
    for index, count in enumerate(parts):
        config = {"address": served.address, "tokens": served.subscriber_tokens[offset:offset + count],
                  "last_event_id": last_event_id, "expect": expect, "timeout": timeout,
                  "storm_at_ns": storm_at_ns, "seq_from_one": True}
        offset += count
        path = workdir / f"clients{index}.json"
        path.write_text(json.dumps(config))
        procs.append(subprocess.Popen(pinned([sys.executable, "-m", "bench.realtime_ws_clients", str(path)],
                                             server=False), cwd=here, stdout=subprocess.PIPE, text=True))
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if line != "READY":
            raise RuntimeError(f"WebSocket client process failed to start: {line!r}")
    return procs


def collect_ws(procs: list[subprocess.Popen[str]]) -> tuple[Delivery, int, list[str | None]]:
    total, lost, first = Delivery([], 0, 0, 0), 0, []
    for proc in procs:
        proc.communicate(timeout=600)
        config = Path(str(proc.args[-1]))  # type: ignore[index]
        result = json.loads(Path(f"{config}.out").read_text())
        total.latencies_us.extend(result["latencies_us"])
        total.received += result["received"]
        total.expected += result["expected"]
        total.duplicates += result["duplicates"]
        total.cpu_seconds += result["cpu_seconds"]
        lost += result["lost"] or 0
        first.extend(result["first_precedence"])
        if result["server_closes"]:
            print(f"  server closed {result['server_closes']} connections (resumed): {result['close_frames']}",
                  file=sys.stderr)
    return total, lost, first


@dataclass
class Posted:
    sent_over: float  # seconds from the first post sent to the last
    answered_us: list[int]  # each post's round trip (sent → 201 answered), µs
    cpu_seconds: float = 0.0  # the poster's own

    def p(self, q: float) -> float:
        return percentile(self.answered_us, q) / 1000.0  # ms


class _HttpConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection of the poster, one request at a time. A minimal client
    (like the WebSocket subscribers): the poster's own work per post must not delay the posts it
    times, and at 100 posts/s with many in flight a general-purpose client is not negligible."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.used_at = time.monotonic()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        length = 0
        for line in self.buffer[:end].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return
        status, body = int(self.buffer[9:12]), self.buffer[end + 4:end + 4 + length]
        self.buffer = self.buffer[end + 4 + length:]
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((status, body))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"the server closed the connection: {exc}"))


class _Poster:
    def __init__(self, address: str, token: str) -> None:
        self.host, port = address.rsplit(":", 1)
        self.port = int(port)
        self.head = (f"Host: {address}\r\nAuthorization: Bearer {token}\r\n"
                     "Content-Type: application/json\r\n").encode()
        self.idle: list[_HttpConnection] = []
        self.all: list[_HttpConnection] = []

    async def connection(self) -> _HttpConnection:
        while self.idle:
            conn = self.idle.pop()
            # never reuse one the server may be closing (its keep-alive timeout is 5 s)
            if conn.transport is not None and not conn.transport.is_closing() and time.monotonic() - conn.used_at < 2:
                return conn
            if conn.transport is not None:
                conn.transport.close()
        _, conn = await asyncio.get_running_loop().create_connection(_HttpConnection, self.host, self.port)
        self.all.append(conn)
        return conn

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        conn = await self.connection()
        assert conn.transport is not None
        conn.waiter = asyncio.get_running_loop().create_future()
        conn.transport.write(b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
                             % (path.encode(), self.head, len(body), body))
        answer = await asyncio.wait_for(conn.waiter, 60)
        conn.used_at = time.monotonic()
        self.idle.append(conn)
        return answer

    def close(self) -> None:
        for conn in self.all:
            if conn.transport is not None:
                conn.transport.close()


async def _post_paced(served: Served, load: Load, *, first_seq: int = 1, precedence: str = "ROUTINE",
                      paced: bool = True) -> Posted:
    """Post `load.messages` messages and time each answer.

    Paced posts go out on a fixed schedule (`load.rate` per second) whether or not the previous
    one has been answered, so the server is offered the rate the issue names even when it is
    slow to answer (a poster that waited for each answer would lower the rate to what the server
    manages, and measure a smaller workload). Unpaced posts go one after another, in order."""
    marking = {"level": "RESTRICTED", "releasable_to": ["IRQ"], "tlp": "AMBER"}
    path = f"/api/channels/{served.channel_id}/messages"
    poster = _Poster(served.address, served.sender_token)
    answered: list[int] = []

    async def post(seq: int) -> None:
        sent = time.time_ns()
        body = json.dumps({"body": f"{seq}:{sent}", "precedence": precedence, "marking": marking}).encode()
        status, text = await poster.post(path, body)
        if status != 201:
            raise RuntimeError(f"post {seq} answered {status}: {text[:200]!r}")
        answered.append((time.time_ns() - sent) // 1000)

    try:
        interval = 1.0 / load.rate
        began = time.perf_counter()
        if not paced:
            for i in range(load.messages):
                await post(first_seq + i)
            return Posted(time.perf_counter() - began, answered)
        for conn in await asyncio.gather(*(poster.connection() for _ in range(16))):  # open before timing
            poster.idle.append(conn)
        pause_collector()  # no collection pause between a post's timestamp and its send
        began = time.perf_counter()
        began_cpu = time.process_time()
        posts = []
        for i in range(load.messages):
            await asyncio.sleep(max(0.0, began + i * interval - time.perf_counter()))
            posts.append(asyncio.create_task(post(first_seq + i)))
        sent_over = time.perf_counter() - began
        await asyncio.gather(*posts)
        return Posted(sent_over, answered, time.process_time() - began_cpu)
    finally:
        gc.enable()
        poster.close()


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """The posting side runs on uvloop, as the subscribers do."""
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


@dataclass
class Fanout:
    delivery: Delivery
    lost: int
    posted: Posted
    server_cpu: float  # the Concord server's CPU seconds while traffic flowed


def concord_fanout(load: Load, workdir: Path, database_url: str | None = None) -> Fanout:
    served = serve_concord(workdir, load.subscribers, database_url=database_url)
    try:
        procs = start_ws_clients(served, workdir, expect=load.messages, last_event_id=None, timeout=load.seconds + 60)
        before = process_cpu(served.proc.pid)
        with measuring_side():
            posted = _run(_post_paced(served, load))
        print(f"  fan-out: {load.messages} posts sent over {posted.sent_over:.2f} s (schedule {load.seconds:g} s); "
              f"answered p50 {posted.p(50):.1f} ms, p99 {posted.p(99):.1f} ms", file=sys.stderr)
        delivery, lost, _ = collect_ws(procs)
        server_cpu = process_cpu(served.proc.pid) - before
        print(f"  CPU while traffic flowed ({pinning()}): server {server_cpu:.2f} s, subscribers "
              f"{delivery.cpu_seconds:.2f} s, poster {posted.cpu_seconds:.2f} s", file=sys.stderr)
        return Fanout(delivery, lost, posted, server_cpu)
    finally:
        stop(served)


def concord_flash_first(subscribers: int, queued: int, workdir: Path) -> tuple[int, int, int]:
    """`queued` ROUTINE then one FLASH posted while every client is away; each then resumes.
    Returns (clients whose first message was the FLASH, clients, lost + duplicated)."""
    served = serve_concord(workdir / "flash", subscribers)
    try:
        before = latest_event_id(served.database)
        _run(_post_paced(served, Load(1, queued, 1), paced=False))
        _run(_post_paced(served, Load(1, 1, 1), first_seq=queued + 1, precedence="FLASH", paced=False))
        procs = start_ws_clients(served, workdir, expect=queued + 1, last_event_id=before, timeout=300)
        delivery, lost, first = collect_ws(procs)
        return sum(1 for p in first if p == "FLASH"), len(first), lost + delivery.duplicates
    finally:
        stop(served)


def concord_reconnect_storm(load: Load, workdir: Path) -> tuple[int, int, int]:
    """Every client dropped (no close handshake) half-way through the traffic and resumed.
    Returns (lost, duplicated, delivered)."""
    served = serve_concord(workdir / "storm", load.subscribers)
    try:
        storm_at = time.time_ns() + int((load.seconds / 2 + 5) * 1e9)
        procs = start_ws_clients(served, workdir, expect=load.messages, last_event_id=None,
                                 timeout=load.seconds + 120, storm_at_ns=storm_at)
        wait = (storm_at - time.time_ns()) / 1e9 - load.seconds / 2
        time.sleep(max(0.0, wait))
        with measuring_side():
            _run(_post_paced(served, load))
        delivery, lost, _ = collect_ws(procs)
        return lost, delivery.duplicates, delivery.received
    finally:
        stop(served)


def run(quick: bool) -> list[object]:
    from bench.harness import Row

    load = load_for(quick)
    tag = f"{load.subscribers} subscribers, {load.rate:g} msg/s"
    floor = redis_floor(load)
    with tempfile.TemporaryDirectory(prefix="concord-bench-") as tmp:
        work = Path(tmp)
        (work / "fanout").mkdir()
        (work / "flash").mkdir()
        (work / "storm").mkdir()
        lite = concord_fanout(load, work / "fanout")
        # The same load with PostgreSQL as the store (the scale path): its commits are group
        # commits, where SQLite's synchronous=FULL pays one fsync per posted message.
        with throwaway_postgres() as url:
            pg = concord_fanout(load, work / "fanout-pg", url)
        queued = 100 if quick else 1000
        flash_first, clients, flash_errors = concord_flash_first(load.subscribers, queued, work)
        storm_lost, storm_dup, storm_delivered = concord_reconnect_storm(load, work)
    peer = "raw Redis PUBLISH/SUBSCRIBE"
    fanout, posted, pg_fanout, pg_posted, floor_delivery = (lite.delivery, lite.posted, pg.delivery, pg.posted,
                                                            floor.delivery)
    cpu = f"CPU while traffic flowed, {pinning()}"
    return [
        Row(f"WebSocket post-to-delivery p50 ({tag})", fanout.p(50), floor_delivery.p(50), "ms", "floor ratio",
            higher_is_better=False, peer_name=peer),
        Row(f"WebSocket post-to-delivery p99 ({tag})", fanout.p(99), floor_delivery.p(99), "ms", "< 50 ms",
            higher_is_better=False, peer_name=peer),
        Row(f"of which: POST answered (committed) p50 ({tag})", posted.p(50), None, "ms", "—",
            higher_is_better=False),
        Row(f"of which: POST answered (committed) p99 ({tag})", posted.p(99), None, "ms", "—",
            higher_is_better=False),
        Row(f"WebSocket delivered within the run + 60 s ({tag})", float(fanout.received), float(fanout.expected),
            "messages", "all", peer_name="expected"),
        Row(f"{cpu}: server, SQLite store ({tag})", lite.server_cpu, floor.server_cpu, "CPU s", "—",
            higher_is_better=False, peer_name="redis-server"),
        Row(f"{cpu}: subscriber processes ({tag})", fanout.cpu_seconds, floor_delivery.cpu_seconds, "CPU s", "—",
            higher_is_better=False, peer_name="Redis subscribers"),
        Row(f"{cpu}: poster ({tag})", posted.cpu_seconds, floor.publisher_cpu, "CPU s", "—",
            higher_is_better=False, peer_name="Redis publisher"),
        Row(f"PostgreSQL store: post-to-delivery p50 ({tag})", pg_fanout.p(50), floor_delivery.p(50), "ms",
            "floor ratio", higher_is_better=False, peer_name=peer),
        Row(f"PostgreSQL store: post-to-delivery p99 ({tag})", pg_fanout.p(99), floor_delivery.p(99), "ms",
            "< 50 ms", higher_is_better=False, peer_name=peer),
        Row(f"PostgreSQL store: POST answered p99 ({tag})", pg_posted.p(99), None, "ms", "—",
            higher_is_better=False),
        Row(f"PostgreSQL store: delivered ({tag})", float(pg_fanout.received), float(pg_fanout.expected),
            "messages", "all", peer_name="expected"),
        Row(f"{cpu}: server, PostgreSQL store ({tag})", pg.server_cpu, floor.server_cpu, "CPU s", "—",
            higher_is_better=False, peer_name="redis-server"),
        Row(f"FLASH first after {queued} queued ROUTINE (clients)", float(flash_first), float(clients), "clients",
            "every client", peer_name="clients"),
        Row(f"FLASH run: lost + duplicated of {queued + 1} per client", float(flash_errors), None, "messages", "0",
            higher_is_better=False),
        Row(f"reconnect storm ({tag}): lost", float(storm_lost), None, "messages", "0", higher_is_better=False),
        Row(f"reconnect storm ({tag}): duplicated", float(storm_dup), None, "messages", "0", higher_is_better=False),
        Row(f"reconnect storm ({tag}): delivered", float(storm_delivered), float(load.messages * load.subscribers),
            "messages", "all", peer_name="expected"),
    ]


def _main() -> None:
    for row in run("--quick" in sys.argv):
        print(row)


if __name__ == "__main__":
    _main()
