"""The benchmark table: each benchmark module returns rows; `python -m bench` prints them together.

A row names a figure, Concord's value, the peer's value measured in the same run (or None), the unit
and the target. Ratios are reported rather than absolute numbers: this machine is shared and noisy.
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

#: The PostgreSQL server benchmarks measure on (trust auth, local), as user@host:port.
POSTGRES_SERVER = os.environ.get("CONCORD_BENCH_POSTGRES", "postgres@127.0.0.1:5432")


@dataclass(frozen=True)
class Row:
    figure: str
    concord: float
    peer: float | None
    unit: str
    target: str
    higher_is_better: bool = True
    peer_name: str = ""

    @property
    def ratio(self) -> float | None:
        """How many times better Concord is than the peer (>1 means better)."""
        if self.peer is None or self.peer == 0 or self.concord == 0:
            return None
        return self.concord / self.peer if self.higher_is_better else self.peer / self.concord


def timed(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of `fn` in seconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def free_port() -> int:
    """A TCP port on loopback that nothing holds now: every listener a bench starts gets its own, so a
    bench never meets a running centre (the demo's CoT ports 8087/8089 above all)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A fresh PostgreSQL database on the local server for one measurement, dropped afterwards."""
    import psycopg

    name = f"concord_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"postgresql://{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{POSTGRES_SERVER}/{name}"
    finally:
        with psycopg.connect(f"postgresql://{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
