from __future__ import annotations

import asyncio

import pytest

from concord.api.ws.outbox import Heartbeat, Outbox, SlowConsumer
from concord.domain.messages import Precedence

R, F, IMM = int(Precedence.ROUTINE), int(Precedence.FLASH), int(Precedence.IMMEDIATE)


def drain(box: Outbox) -> list[tuple[int, int]]:
    out = []
    while (item := box.take_nowait()) is not None:
        out.append((item.event_id, item.cursor))
    return out


def test_in_order_when_nothing_is_more_urgent() -> None:
    box = Outbox(10, start_after=100)
    for event_id in (101, 103, 104):
        box.put(event_id, R, f"e{event_id}")
    box.skip_to(110)  # 105..110 were not for this client
    assert drain(box) == [(101, 102), (103, 103), (104, 110)]
    assert box.cursor == 110


def test_a_flash_overtakes_queued_routine_and_the_cursor_never_passes_an_unsent_event() -> None:
    box = Outbox(2000, start_after=0)
    for event_id in range(1, 1001):
        box.put(event_id, R, "routine")
    box.put(1001, F, "flash")
    box.put(1002, IMM, "immediate")
    first, second = box.take_nowait(), box.take_nowait()
    assert first is not None and second is not None
    assert (first.event_id, first.priority, first.cursor) == (1001, F, 0)
    assert (second.event_id, second.cursor) == (1002, 0)
    rest = drain(box)
    assert [e for e, _ in rest] == list(range(1, 1001))  # then the routine ones, in order
    assert rest[0][1] == 1 and rest[-1][1] == 1002
    # every id is sent exactly once
    assert sorted([1001, 1002] + [e for e, _ in rest]) == list(range(1, 1003))


def test_a_full_queue_closes_the_slow_consumer_with_its_resume_point() -> None:
    box = Outbox(3, start_after=50)
    for event_id in (51, 52, 53):
        box.put(event_id, R, "x")
    assert box.take_nowait() is not None  # 51 sent
    box.put(54, R, "x")
    with pytest.raises(SlowConsumer) as err:
        box.put(55, R, "x")
    assert err.value.resume_from == 51
    assert len(box) == 3


def test_ids_must_increase() -> None:
    box = Outbox(3, start_after=50)
    with pytest.raises(ValueError):
        box.put(50, R, "x")
    box.put(52, R, "x")
    with pytest.raises(ValueError):
        box.put(51, R, "x")
    with pytest.raises(ValueError):
        Outbox(0, start_after=0)


def test_take_waits_for_the_next_event() -> None:
    async def scenario() -> None:
        box = Outbox(4, start_after=0)
        waiter = asyncio.create_task(box.take())
        await asyncio.sleep(0.01)
        assert not waiter.done()
        box.put(1, F, "flash")
        item = await asyncio.wait_for(waiter, 1)
        assert (item.event_id, item.body, item.cursor) == (1, "flash", 1)

    asyncio.run(scenario())


def test_heartbeat_pings_when_quiet_and_expires_when_silent() -> None:
    beat = Heartbeat(interval=20, timeout=60, now=0)
    assert not beat.ping_due(19) and beat.next_wake(19) == 1
    assert beat.ping_due(20) and not beat.ping_due(21)  # one ping per interval
    assert beat.ping_due(40)
    beat.heard(45)  # the pong
    assert not beat.ping_due(50) and not beat.expired(100)
    assert beat.expired(105)
    with pytest.raises(ValueError):
        Heartbeat(interval=60, timeout=60, now=0)
