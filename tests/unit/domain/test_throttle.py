"""Progressive delay: free failures, then doubling, up to a cap; counted from the newest failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from concord.domain.throttle import DelayPolicy

POLICY = DelayPolicy(free=5, base_seconds=2.0, cap_seconds=300.0)
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_free_failures_then_doubling_up_to_the_cap() -> None:
    assert [POLICY.delay(n) for n in range(4, 10)] == [0.0, 2.0, 4.0, 8.0, 16.0, 32.0]
    assert POLICY.delay(1000) == 300.0


def test_the_wait_runs_from_the_newest_failure() -> None:
    assert POLICY.wait(7, None, NOW) == 0
    assert POLICY.wait(7, NOW, NOW) == 8
    assert POLICY.wait(7, NOW - timedelta(seconds=5), NOW) == 3
    assert POLICY.wait(7, NOW - timedelta(seconds=8), NOW) == 0
    assert POLICY.wait(4, NOW, NOW) == 0
