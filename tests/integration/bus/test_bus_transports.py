"""The cross-process buses against the real servers (PostgreSQL, Redis, NATS).

Each test uses its own channel, so parallel runs on one server do not see each other. A server
that is unreachable makes these tests fail (BusUnavailable), never skip.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Awaitable, Callable

import pytest

from concord.bus._remote import BusUnavailable, RemoteBus
from concord.bus.factory import create_bus

pytestmark = [pytest.mark.services, pytest.mark.postgres]

PG = os.environ.get("CONCORD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("CONCORD_TEST_REDIS", "redis://127.0.0.1:6379/0")
NATS = os.environ.get("CONCORD_TEST_NATS", "nats://127.0.0.1:4222")
SERVERS = {"postgres": PG, "redis": REDIS, "nats": NATS}


def bus_url(kind: str, channel: str) -> str:
    return f"{SERVERS[kind]}?channel={channel}"


def fresh_channel() -> str:
    return f"t_{uuid.uuid4().hex[:16]}"


def run(coro: Awaitable[None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 30))  # type: ignore[arg-type]


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


async def started_pair(kind: str) -> tuple[RemoteBus, RemoteBus]:
    channel = fresh_channel()
    a, b = create_bus(bus_url(kind, channel)), create_bus(bus_url(kind, channel))
    assert isinstance(a, RemoteBus) and isinstance(b, RemoteBus)
    await a.start()
    await b.start()
    return a, b


@pytest.mark.parametrize("kind", sorted(SERVERS))
def test_an_id_published_on_one_bus_wakes_a_waiter_on_another(kind: str) -> None:
    async def scenario() -> None:
        a, b = await started_pair(kind)
        try:
            waiter = asyncio.create_task(b.wait_beyond(0, timeout=10))
            await asyncio.sleep(0)
            a.publish(7)
            assert a.latest == 7  # the publisher's own waiters need no round trip
            assert await waiter == 7
            # and the other direction
            b.publish(9)
            assert await a.wait_beyond(7, timeout=10) == 9
        finally:
            await a.stop()
            await b.stop()

    run(scenario())


@pytest.mark.parametrize("kind", sorted(SERVERS))
def test_a_burst_from_another_thread_arrives_as_its_highest_id(kind: str) -> None:
    async def scenario() -> None:
        a, b = await started_pair(kind)
        try:

            def burst() -> None:
                for event_id in range(1, 501):
                    a.publish(event_id)

            thread = threading.Thread(target=burst)
            thread.start()
            thread.join()
            await eventually(lambda: b.latest == 500)
            # an older id arriving late never moves the mark back
            a.publish(3)
            await asyncio.sleep(0.2)
            assert b.latest == 500
        finally:
            await a.stop()
            await b.stop()

    run(scenario())


@pytest.mark.parametrize("kind", sorted(SERVERS))
def test_a_wait_that_hears_nothing_returns_after_its_timeout(kind: str) -> None:
    async def scenario() -> None:
        a, b = await started_pair(kind)
        try:
            b.publish(4)
            await eventually(lambda: a.latest == 4)
            began = time.monotonic()
            assert await a.wait_beyond(4, timeout=0.3) == 4
            assert time.monotonic() - began >= 0.25
        finally:
            await a.stop()
            await b.stop()

    run(scenario())


def test_postgres_listener_reconnects_after_its_backend_is_terminated() -> None:
    import psycopg

    async def scenario() -> None:
        a, b = await started_pair("postgres")
        try:
            async with await psycopg.AsyncConnection.connect(PG, autocommit=True) as admin:
                cur = await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = %s AND query LIKE 'LISTEN%%'",
                    (f"concord-bus:{a.channel}",),
                )
                assert len(await cur.fetchall()) == 2  # both buses' listeners
            await eventually(lambda: not b.connected, timeout=5)
            await eventually(lambda: a.connected and b.connected)
            a.publish(11)
            assert await b.wait_beyond(0, timeout=10) == 11
        finally:
            await a.stop()
            await b.stop()

    run(scenario())


def test_redis_subscriber_reconnects_after_its_connection_is_killed() -> None:
    import redis.asyncio as aioredis

    async def scenario() -> None:
        a, b = await started_pair("redis")
        try:
            admin = aioredis.Redis.from_url(REDIS)
            try:
                clients = await admin.client_list()
                ids = [c["id"] for c in clients if c.get("name") == f"concord-bus:{a.channel}"]
                assert ids
                for client_id in ids:
                    await admin.client_kill_filter(_id=client_id)
            finally:
                await admin.aclose()
            await eventually(lambda: not b.connected, timeout=10)
            await eventually(lambda: a.connected and b.connected)
            a.publish(12)
            assert await b.wait_beyond(0, timeout=10) == 12
        finally:
            await a.stop()
            await b.stop()

    run(scenario())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_nats(port: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("nats-server")
    assert binary, "nats-server is not installed"
    proc = subprocess.Popen([binary, "-a", "127.0.0.1", "-p", str(port)])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("private nats-server did not start")


def test_nats_bus_survives_a_server_restart() -> None:
    port = free_port()
    server = start_nats(port)

    async def scenario() -> None:
        nonlocal server
        channel = fresh_channel()
        a = create_bus(f"nats://127.0.0.1:{port}?channel={channel}")
        b = create_bus(f"nats://127.0.0.1:{port}?channel={channel}")
        assert isinstance(a, RemoteBus) and isinstance(b, RemoteBus)
        a.max_retry_delay = b.max_retry_delay = 0.2
        await a.start()
        await b.start()
        try:
            a.publish(1)
            assert await b.wait_beyond(0, timeout=10) == 1
            server.terminate()
            server.wait(10)
            await eventually(lambda: not b.connected, timeout=5)
            server = start_nats(port)
            await eventually(lambda: a.connected and b.connected, timeout=15)
            # Ids sent before the server has B's subscription again are lost (readers poll the
            # events table for that); the ones after it must arrive, as writes keep coming.
            next_id = 2
            while b.latest < 2:
                a.publish(next_id)
                next_id += 1
                await b.wait_beyond(1, timeout=0.1)
            assert b.latest >= 2
        finally:
            await a.stop()
            await b.stop()

    try:
        run(scenario())
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://postgres@127.0.0.1:{free_port()}/postgres",
        f"redis://127.0.0.1:{free_port()}/0",
        f"nats://127.0.0.1:{free_port()}",
    ],
    ids=["postgres", "redis", "nats"],
)
def test_starting_a_bus_whose_server_is_unreachable_fails_fast(url: str) -> None:
    async def scenario() -> None:
        bus = create_bus(url)
        assert isinstance(bus, RemoteBus)
        bus.connect_timeout = 2
        began = time.monotonic()
        with pytest.raises(BusUnavailable):
            await bus.start()
        assert time.monotonic() - began < 10

    run(scenario())
