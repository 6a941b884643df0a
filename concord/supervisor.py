"""Supervised background tasks: each long-running loop of the centre is named, restarted with
exponential back-off when it fails (its traceback logged), counted, and reported to `/readyz` and
`/metrics` while it is failing or has just failed.

A loop that returns is a failure too: every supervised job is meant to run until the centre stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger("concord.supervisor")

Job = Callable[[], Coroutine[Any, Any, None]]


@dataclass(slots=True)
class TaskState:
    name: str
    job: Job
    running: bool = False
    restarts: int = 0
    last_error: str | None = None
    last_failure: float | None = None  # monotonic time
    task: asyncio.Task[None] | None = None
    inner: asyncio.Task[None] | None = None


@dataclass(frozen=True, slots=True)
class Degraded:
    task: str
    reason: str
    restarts: int
    running: bool


class Supervisor:
    def __init__(self, *, backoff_seconds: float = 1.0, max_backoff_seconds: float = 60.0,
                 degraded_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.degraded_seconds = degraded_seconds
        self._clock = clock
        self._states: dict[str, TaskState] = {}
        #: Failures a loop survived (it retries by itself): name → (reason, count, monotonic time).
        self._reported: dict[str, tuple[str, int, float]] = {}
        self._stopping = False

    @property
    def names(self) -> list[str]:
        return list(self._states)

    def add(self, name: str, job: Job) -> None:
        if name in self._states:
            raise ValueError(f"a background task named {name!r} is registered already")
        self._states[name] = TaskState(name, job)

    def start(self) -> None:
        """Start every task registered and not yet running (one added later starts at the next call)."""
        self._stopping = False
        for state in self._states.values():
            if state.task is None:
                state.task = asyncio.create_task(self._supervise(state), name=f"supervisor:{state.name}")

    async def stop(self) -> None:
        self._stopping = True
        tasks = [s.task for s in self._states.values() if s.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for state in self._states.values():
            state.task = state.inner = None
            state.running = False

    def kill(self, name: str) -> None:
        """Cancel the loop itself (not its supervision), as a crash would end it: it is restarted."""
        inner = self._states[name].inner
        if inner is not None:
            inner.cancel("killed")

    def report(self, name: str, reason: str) -> None:
        """A loop that retries by itself (a follower of the event log) failed: degraded for a while."""
        _, count, _ = self._reported.get(name, ("", 0, 0.0))
        self._reported[name] = (reason, count + 1, self._clock())

    def state(self, name: str) -> TaskState:
        return self._states[name]

    def degraded(self) -> list[Degraded]:
        """Tasks that are down, or failed within the last `degraded_seconds`, with why."""
        now = self._clock()
        out = []
        for s in self._states.values():
            recent = s.last_failure is not None and now - s.last_failure < self.degraded_seconds
            if s.task is not None and (not s.running or recent):
                out.append(Degraded(s.name, s.last_error or "not running", s.restarts, s.running))
        for name, (reason, count, at) in self._reported.items():
            if now - at < self.degraded_seconds:
                out.append(Degraded(name, reason, count, True))
        return out

    async def _supervise(self, state: TaskState) -> None:
        delay = self.backoff_seconds
        while True:
            started = self._clock()
            state.inner = asyncio.create_task(state.job(), name=state.name)
            state.running = True
            try:
                await asyncio.shield(state.inner)
                reason = "the loop returned"
                log.error("background task %s stopped on its own; restarting in %.1fs", state.name, delay)
            except asyncio.CancelledError:
                if self._stopping or not state.inner.cancelled():
                    state.inner.cancel()
                    with contextlib.suppress(BaseException):
                        await state.inner
                    state.running = False
                    raise
                reason = "killed (cancelled)"
                log.error("background task %s was killed; restarting in %.1fs", state.name, delay)
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                log.exception("background task %s failed; restarting in %.1fs", state.name, delay)
            state.running = False
            state.restarts += 1
            state.last_error = reason
            state.last_failure = self._clock()
            if state.last_failure - started > self.degraded_seconds:
                delay = self.backoff_seconds  # it had been healthy for a while: start the back-off over
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_backoff_seconds)


class SupervisorCollector(Collector):
    """`concord_background_task_up` and `concord_background_task_restarts_total`, per task."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("concord_background_task_up", "1 while the background task runs", labels=["task"])
        restarts = CounterMetricFamily("concord_background_task_restarts", "Restarts after a failure",
                                       labels=["task"])
        for name in self.supervisor.names:
            state = self.supervisor.state(name)
            up.add_metric([name], 1.0 if state.running else 0.0)
            restarts.add_metric([name], float(state.restarts))
        yield up
        yield restarts
