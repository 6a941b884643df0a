"""The benchmark table: each benchmark module returns rows; `python -m bench` prints them together.

A row names a figure, Concord's value, the peer's value measured in the same run (or None), the unit
and the target. Ratios are reported rather than absolute numbers: this machine is shared and noisy.
"""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


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
