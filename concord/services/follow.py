"""One follower of the event log: the loop every consumer of events runs (docs/architecture.md,
"Followers of the event log").

A follower holds a position (every event up to it is handled), wakes when the bus announces events
beyond it (or after `poll_seconds`, the safety net for a missed announcement), and calls its step:
one batch read after the position and handled, returning the new position and whether the batch
was full (then it reads again at once). A step that fails is logged, counted, reported (to
`/readyz` through the supervisor) and retried after a back-off that doubles up to a ceiling; the
position stays where the last successful step left it, so nothing is skipped.

Where the position comes from is the consumer's choice: the head of the log (a live feed that only
sends what happens from now on), a position the consumer keeps itself (the deconfliction engine,
which catches up inside writers' transactions as well), or a durable row
(`storage.follower_positions`) written in the same transaction as the batch's work, for a follower
that must resume exactly where it stopped after a crash, one process at a time (`durable_step`).

Lag (events announced beyond the position) and errors are in `/metrics` per follower kind
(`FollowerCollector`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from concord.bus.base import EventBus
from concord.clock import Clock
from concord.storage.db import Database, Tx
from concord.storage.events import latest_event_id
from concord.storage.follower_positions import claim_position, load_position, save_position

log = logging.getLogger("concord.follow")

#: Back-off after a failed step: doubling from the first to the ceiling, reset by a success.
BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Progress:
    """What one step did: every event up to `position` is handled; `more` when the batch was full."""

    position: int
    more: bool = False


#: One batch: given the position and the latest id the bus announced, handle what follows.
Step = Callable[[int, int], Awaitable[Progress]]
#: Where a follower starts (run in a thread: it may read the database).
Start = Callable[[], int]
#: Told when a step fails: the follower's kind and why (the supervisor's `report`).
FailureReport = Callable[[str, str], None]


class Follower:
    def __init__(self, kind: str, bus: EventBus, step: Step, *, start: Start, poll_seconds: float = 2.0,
                 pause_seconds: float = 0.0, backoff_seconds: float = BACKOFF_SECONDS,
                 max_backoff_seconds: float = MAX_BACKOFF_SECONDS, on_failure: FailureReport | None = None,
                 label: str | None = None) -> None:
        """`kind` names the follower in metrics and `/readyz` (several followers may share one, e.g.
        one CoT feed per reader); `label` names this one in the log. `pause_seconds` is a floor
        between steps for a follower that need not react to every event (it catches up in one read)."""
        self.kind = kind
        self.label = label or kind
        self.bus = bus
        self.step = step
        self.start = start
        self.poll_seconds = poll_seconds
        self.pause_seconds = pause_seconds
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.on_failure = on_failure
        self.position: int | None = None
        self.errors = 0
        self.last_error: str | None = None
        self.last_failure: float | None = None  # monotonic time

    @property
    def lag(self) -> int:
        """Events announced beyond the position (0 before the follower has started)."""
        if self.position is None:
            return 0
        return max(0, self.bus.latest - self.position)

    async def run(self) -> None:
        """Follow until cancelled. Failures are retried here; only cancellation ends the loop."""
        delay = self.backoff_seconds
        while self.position is None:
            try:
                self.position = await asyncio.to_thread(self.start)
            except Exception as exc:
                delay = await self._failed(exc, delay, "could not start")
        seen = 0  # the latest announcement a step has run after
        more = True  # at start, and after a full batch: step at once (a backlog need not be announced)
        while True:
            if more:
                latest = self.bus.latest
            else:
                latest = await self.bus.wait_beyond(max(self.position, seen), self.poll_seconds)
            try:
                progress = await self.step(self.position, latest)
            except Exception as exc:
                more = False
                delay = await self._failed(exc, delay, "failed")
                continue
            delay = self.backoff_seconds
            seen = max(seen, latest)
            self.position = max(self.position, progress.position)
            more = progress.more
            if not more and self.pause_seconds > 0:
                await asyncio.sleep(self.pause_seconds)

    async def _failed(self, exc: Exception, delay: float, what: str) -> float:
        self.errors += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        self.last_failure = time.monotonic()
        log.exception("follower %s %s; retrying in %.1fs", self.label, what, delay)
        if self.on_failure is not None:
            self.on_failure(f"follower:{self.kind}", self.last_error)
        await asyncio.sleep(delay)
        return min(delay * 2, self.max_backoff_seconds)


def from_head(db: Database) -> Start:
    """Start at the head of the log: only what is committed from now on is followed."""
    def start() -> int:
        with db.read() as conn:
            return latest_event_id(conn)
    return start


def durable(db: Database, name: str, *, first: int = 0) -> Start:
    """Start where follower `name` saved its position (`first` when it never ran)."""
    def start() -> int:
        with db.read() as conn:
            saved = load_position(conn, name)
        return first if saved is None else saved
    return start


#: One batch of a durable follower's work, in the transaction that saves its position: given the
#: transaction, the durable position and the latest id announced, do the work, return the progress.
DurableWork = Callable[[Tx, int, int], Progress]


def durable_batch(db: Database, name: str, work: DurableWork, clock: Clock, *, first: int = 0
                  ) -> Callable[[int], Progress]:
    """One batch of `durable_step`, run in the calling thread: given the latest id announced, claim
    the position, do the work and commit both (for a caller that catches up without a loop, such as
    an import that brings the index up to date before it returns)."""
    def run(latest: int) -> Progress:
        with db.write() as tx:
            position = claim_position(tx.conn, name, first, clock.now())
            progress = work(tx, position, latest)
            reached = max(position, progress.position)
            save_position(tx.conn, name, reached, clock.now())
        return Progress(reached, progress.more)
    return run


def durable_step(db: Database, name: str, work: DurableWork, clock: Clock, *, first: int = 0) -> Step:
    """A step whose work and position commit together, one process at a time.

    Each batch claims the follower's row (`claim_position`, a lock held to the end of the
    transaction) and starts from the position stored there, not from the one in memory: whichever
    process runs the follower next continues where the last committed batch left off. A batch cut
    short by a crash or `kill -9` is rolled back, work and position together, and done again; a
    batch that committed is never done twice."""
    run = durable_batch(db, name, work, clock, first=first)

    async def step(position: int, latest: int) -> Progress:
        return await asyncio.to_thread(run, latest)
    return step


class Followers:
    """The followers of one process, for `/metrics` and `/readyz` (through `on_failure`)."""

    def __init__(self, on_failure: FailureReport | None = None) -> None:
        self.on_failure = on_failure
        self._followers: dict[int, Follower] = {}

    def follow(self, kind: str, bus: EventBus, step: Step, *, start: Start, poll_seconds: float = 2.0,
               pause_seconds: float = 0.0, label: str | None = None) -> Follower:
        """A new follower, registered here (`forget` it when it stops for good)."""
        follower = Follower(kind, bus, step, start=start, poll_seconds=poll_seconds, pause_seconds=pause_seconds,
                            on_failure=self.on_failure, label=label)
        self._followers[id(follower)] = follower
        return follower

    def forget(self, follower: Follower) -> None:
        self._followers.pop(id(follower), None)

    def __iter__(self) -> Iterator[Follower]:
        return iter(list(self._followers.values()))


class FollowerCollector(Collector):
    """Per follower kind: the lowest position, the largest lag, how many run, and errors so far."""

    def __init__(self, followers: Followers) -> None:
        self.followers = followers

    def collect(self) -> Iterator[Metric]:
        position = GaugeMetricFamily("concord_follower_position", "Lowest event id handled by every follower of "
                                     "the kind", labels=["follower"])
        lag = GaugeMetricFamily("concord_follower_lag_events", "Largest number of events announced beyond a "
                                "follower's position", labels=["follower"])
        count = GaugeMetricFamily("concord_followers", "Followers running", labels=["follower"])
        errors = CounterMetricFamily("concord_follower_errors", "Failed steps, retried", labels=["follower"])
        kinds: dict[str, list[Follower]] = {}
        for follower in self.followers:
            kinds.setdefault(follower.kind, []).append(follower)
        for kind, members in sorted(kinds.items()):
            started = [f.position for f in members if f.position is not None]
            position.add_metric([kind], float(min(started)) if started else 0.0)
            lag.add_metric([kind], float(max(f.lag for f in members)))
            count.add_metric([kind], float(len(members)))
            errors.add_metric([kind], float(sum(f.errors for f in members)))
        yield position
        yield lag
        yield count
        yield errors
