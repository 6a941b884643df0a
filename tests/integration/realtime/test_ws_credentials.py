"""A WebSocket ends as soon as its person's credentials do (issue 22, case 1): a password reset or a
disable closes it at once, not at the next periodic session re-check (a minute later)."""

from __future__ import annotations

import time

import pytest

from tests.integration.realtime.conftest import Cast
from tests.integration.realtime.live import Socket

pytestmark = pytest.mark.parametrize("shared_frames", [True, False], ids=["shared-frames", "own-queue"])


@pytest.mark.parametrize("change", ["reset", "disable"])
def test_a_credential_change_closes_the_persons_websockets_at_once(cast: Cast, change: str) -> None:
    target = Socket(cast.address, cast.tokens["irq_watch"])
    bystander = Socket(cast.address, cast.tokens["irq_analyst"])
    assert target.welcome is not None and bystander.welcome is not None
    started = time.monotonic()
    if change == "reset":
        cast.centre.people.reset_password(None, cast.ids["irq_watch"])
    else:
        cast.centre.people.set_disabled(None, cast.ids["irq_watch"], True)
    code, _reason, _frames = target.closed(timeout=15)
    assert code == 4403
    assert time.monotonic() - started < 10  # the periodic re-check comes only after 60 s
    # The others' sessions go on.
    assert [f for f in bystander.quiet(0.5) if f.get("type") == "closing"] == []
    bystander.close()
