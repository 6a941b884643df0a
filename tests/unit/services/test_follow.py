"""The one follower of the event log: wakes on the bus, reads in batches, backs off and recovers from a
failing step without skipping anything, reports lag, and resumes from a durable position."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from concord.bus.inprocess import InProcessBus
from concord.services.follow import Follower, FollowerCollector, Followers, Progress, durable
from concord.storage import migrate
from concord.storage.db import Database
from concord.storage.follower_positions import load_position, save_position
from concord.supervisor import Supervisor

AT = datetime(2026, 1, 1, tzinfo=UTC)


async def _until(condition: object, timeout: float = 5.0) -> None:
    async def wait() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.005)
    await asyncio.wait_for(wait(), timeout)


class Log:
    """A stand-in event log of ids 1..head that a step reads in batches of `batch`."""

    def __init__(self, batch: int) -> None:
        self.head = 0
        self.batch = batch
        self.handled: list[int] = []
        self.fail_next = 0
        self.steps = 0

    async def step(self, position: int, latest: int) -> Progress:
        self.steps += 1
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("database went away")
        ids = list(range(position + 1, min(self.head, position + self.batch) + 1))
        self.handled += ids
        end = ids[-1] if ids else position
        return Progress(end, more=len(ids) == self.batch)


def test_a_follower_wakes_on_the_bus_and_reads_everything_once_in_batches() -> None:
    asyncio.run(_wakes_and_batches())


async def _wakes_and_batches() -> None:
    bus = InProcessBus()
    await bus.start()
    log = Log(batch=3)
    follower = Follower("test", bus, log.step, start=lambda: 0, poll_seconds=60)
    task = asyncio.create_task(follower.run())
    try:
        await _until(lambda: follower.position == 0)
        log.head = 10
        bus.publish(10)   # one wake-up; four batches of at most three
        await _until(lambda: follower.position == 10)
        assert log.handled == list(range(1, 11))
        assert follower.lag == 0
        log.head = 12
        bus.publish(12)
        await _until(lambda: follower.position == 12)
        assert log.handled == list(range(1, 13))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.stop()


def test_a_follower_catches_up_with_a_backlog_nobody_announced() -> None:
    asyncio.run(_backlog())


async def _backlog() -> None:
    bus = InProcessBus()          # a process that has just started: its bus has announced nothing
    await bus.start()
    log = Log(batch=4)
    log.head = 10
    follower = Follower("test", bus, log.step, start=lambda: 0, poll_seconds=60)
    task = asyncio.create_task(follower.run())
    try:
        await _until(lambda: follower.position == 10, timeout=5)
        assert log.handled == list(range(1, 11))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.stop()


def test_a_failing_step_is_retried_with_back_off_reported_and_skips_nothing(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="concord.follow")
    asyncio.run(_retries(caplog))


async def _retries(caplog: pytest.LogCaptureFixture) -> None:
    bus = InProcessBus()
    await bus.start()
    supervisor = Supervisor(degraded_seconds=60)
    followers = Followers(on_failure=supervisor.report)
    log = Log(batch=100)
    log.fail_next = 3
    follower = followers.follow("test", bus, log.step, start=lambda: 0, poll_seconds=60)
    follower.backoff_seconds = 0.01
    task = asyncio.create_task(follower.run())
    try:
        log.head = 5
        bus.publish(5)
        await _until(lambda: follower.errors == 2)
        assert follower.position == 0 and follower.lag == 5   # behind, and says so
        await _until(lambda: follower.position == 5)
        assert log.handled == [1, 2, 3, 4, 5]
        assert follower.errors == 3 and "database went away" in (follower.last_error or "")
        assert "follower test failed; retrying" in caplog.text and "Traceback" in caplog.text
        degraded = {d.task: d for d in supervisor.degraded()}
        assert degraded["follower:test"].restarts == 3
        metrics = {(s.name, s.labels["follower"]): s.value
                   for family in FollowerCollector(followers).collect() for s in family.samples}
        assert metrics[("concord_follower_position", "test")] == 5
        assert metrics[("concord_follower_lag_events", "test")] == 0
        assert metrics[("concord_follower_errors_total", "test")] == 3
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.stop()
    followers.forget(follower)
    assert list(followers) == []


def test_the_back_off_doubles_to_its_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(_doubles(monkeypatch))


async def _doubles(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []

    async def no_wait(delay: float) -> None:
        waits.append(delay)

    monkeypatch.setattr(asyncio, "sleep", no_wait)
    follower = Follower("test", InProcessBus(), Log(1).step, start=lambda: 0, backoff_seconds=1,
                        max_backoff_seconds=4)
    delay = follower.backoff_seconds
    for _ in range(5):
        delay = await follower._failed(ConnectionError("down"), delay, "failed")
    assert waits == [1, 2, 4, 4, 4]


def test_a_durable_position_is_where_a_follower_resumes(database_url: str) -> None:
    db = Database(database_url)
    migrate.upgrade(db)
    try:
        assert durable(db, "indexer", first=7)() == 7   # never ran
        with db.write() as tx:
            save_position(tx.conn, "indexer", 40, AT)
        with db.write() as tx:
            save_position(tx.conn, "indexer", 30, AT)   # never moves back
        assert durable(db, "indexer")() == 40
        with db.read() as conn:
            assert load_position(conn, "indexer") == 40
            assert load_position(conn, "other") is None
    finally:
        db.dispose()
