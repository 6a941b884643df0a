"""A slow client's outbox: superseded positions may go, chat and markers never do."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from concord.cot.drops import CotStats, DeliveryDrop
from concord.cot.outbox import ClientTooSlow, Outbox, Outgoing, OutgoingBatch
from concord.cot.session import SenderPause
from concord.cot.stream import Encoding


def drain(outbox: Outbox) -> list[bytes]:
    return asyncio.run(outbox.take(max_items=10_000)) if len(outbox) else []


def test_below_the_soft_limit_everything_is_delivered_in_order() -> None:
    outbox = Outbox(CotStats(), soft_limit=10, hard_limit=20)
    for n in range(5):
        outbox.put(f"pos-{n}".encode(), position_of="unit-1")
    assert drain(outbox) == [b"pos-0", b"pos-1", b"pos-2", b"pos-3", b"pos-4"]


def test_a_full_outbox_replaces_a_waiting_position_with_the_newer_one_and_counts_it() -> None:
    stats = CotStats()
    outbox = Outbox(stats, soft_limit=3, hard_limit=10)
    outbox.put(b"u1-a", position_of="u1")
    outbox.put(b"chat-1")
    outbox.put(b"u2-a", position_of="u2")
    outbox.put(b"u1-b", position_of="u1")        # full: supersedes u1-a in its place
    outbox.put(b"chat-2")                        # never dropped
    outbox.put(b"marker-1")                      # never dropped
    outbox.put(b"u3-a", position_of="u3")        # first waiting position of u3: kept
    outbox.put(b"u2-b", position_of="u2")        # supersedes u2-a
    assert drain(outbox) == [b"u1-b", b"chat-1", b"u2-b", b"chat-2", b"marker-1", b"u3-a"]
    assert stats.delivery_dropped[DeliveryDrop.SUPERSEDED] == 2
    assert outbox.superseded == 2


def test_after_delivery_a_new_position_is_queued_again() -> None:
    outbox = Outbox(CotStats(), soft_limit=1, hard_limit=5)
    outbox.put(b"u1-a", position_of="u1")
    assert drain(outbox) == [b"u1-a"]
    outbox.put(b"chat")
    outbox.put(b"u1-b", position_of="u1")        # the delivered u1-a must not be "replaced"
    assert drain(outbox) == [b"chat", b"u1-b"]


def test_items_that_may_not_be_dropped_disconnect_a_client_at_the_hard_limit() -> None:
    stats = CotStats()
    outbox = Outbox(stats, soft_limit=2, hard_limit=4)
    for n in range(4):
        outbox.put(f"chat-{n}".encode())
    with pytest.raises(ClientTooSlow):
        outbox.put(b"chat-4")
    assert stats.delivery_dropped[DeliveryDrop.SLOW_CLIENT] == 1


def test_limits_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="soft_limit"):
        Outbox(CotStats(), soft_limit=10, hard_limit=5)


def batch_of(*items: tuple[str, bool]) -> OutgoingBatch:
    """(name, is a position); a position's uid is the name's part before the dash."""
    return OutgoingBatch([Outgoing(name.split("-")[0] if position else "", position, xml=name.encode())
                          for name, position in items])


def test_a_batch_is_taken_as_put_would_take_each_item() -> None:
    batch = batch_of(("u1-a", True), ("chat-1", False), ("u1-b", True), ("u2-a", True))
    roomy = Outbox(CotStats(), soft_limit=10, hard_limit=20)
    roomy.put_batch(batch.frames(Encoding.XML), batch)
    roomy.put(b"u1-c", position_of="u1")
    assert drain(roomy) == [b"u1-a", b"chat-1", b"u1-b", b"u2-a", b"u1-c"]

    stats = CotStats()
    full = Outbox(stats, soft_limit=2, hard_limit=20)
    full.put(b"u2-0", position_of="u2")
    full.put(b"marker-1")
    full.put_batch(batch.frames(Encoding.XML), batch)
    # u1's two positions collapse to the newer where the first was; u2's supersedes the waiting one.
    assert drain(full) == [b"u2-a", b"marker-1", b"u1-b", b"chat-1"]
    assert stats.delivery_dropped[DeliveryDrop.SUPERSEDED] == 2 == full.superseded


def test_a_batch_of_chat_over_the_hard_limit_disconnects() -> None:
    outbox = Outbox(CotStats(), soft_limit=2, hard_limit=3)
    batch = batch_of(("chat-1", False), ("chat-2", False), ("chat-3", False), ("chat-4", False))
    with pytest.raises(ClientTooSlow):
        outbox.put_batch(batch.frames(Encoding.XML), batch)


def test_an_outbox_is_behind_over_half_its_soft_limit_or_once_it_supersedes() -> None:
    outbox = Outbox(CotStats(), soft_limit=4, hard_limit=20)
    caught_up: list[int] = []
    outbox.on_room = lambda: caught_up.append(len(outbox))
    outbox.put(b"u1-0", position_of="u1")
    outbox.put(b"u1-1", position_of="u1")
    assert not outbox.behind                      # half the soft limit
    outbox.put(b"u1-2", position_of="u1")
    assert outbox.behind
    assert drain(outbox) == [b"u1-0", b"u1-1", b"u1-2"]
    assert caught_up == []                        # taken, but not yet written: not caught up yet
    for n in range(3, 8):
        outbox.put(f"u1-{n}".encode(), position_of="u1")     # u1-7 supersedes u1-6
    assert drain(outbox) == [b"u1-3", b"u1-4", b"u1-5", b"u1-7"]
    outbox.put(b"chat-1")
    assert outbox.behind                          # superseded since it last caught up
    assert drain(outbox) == [b"chat-1"]          # the writer came back and found one waiting
    assert caught_up == [1] and not outbox.behind


def test_a_batch_that_collapses_makes_an_outbox_behind() -> None:
    outbox = Outbox(CotStats(), soft_limit=4, hard_limit=20)
    batch = batch_of(("u1-a", True), ("u1-b", True))
    outbox.put_batch(batch.frames(Encoding.XML), batch)
    assert not outbox.behind
    asyncio.run(outbox.take())
    for n in range(3):
        outbox.put(f"chat-{n}".encode())
    outbox.put_batch(batch.frames(Encoding.XML), batch)   # 3 + 2 over 4: collapses to u1-b
    assert outbox.superseded == 1
    asyncio.run(outbox.take())
    assert outbox.behind                          # nothing waits, but it has not caught up since


class Recipient:
    """What `SenderPause` looks at in a session: its outbox."""

    def __init__(self) -> None:
        self.outbox = Outbox(CotStats(), soft_limit=2, hard_limit=20)

    @property
    def behind(self) -> bool:
        return self.outbox.behind

    def on_room(self, callback: Callable[[], None]) -> None:
        self.outbox.on_room = callback

    def fall_behind(self) -> None:
        for n in range(3):
            self.outbox.put(f"u1-{n}".encode(), position_of="u1")


def test_a_sender_waits_while_every_recipient_is_behind_and_goes_on_when_one_catches_up() -> None:
    async def main() -> None:
        pause = SenderPause()
        slow, fast = Recipient(), Recipient()
        for recipient in (slow, fast):
            pause.watch(recipient)  # type: ignore[arg-type]
        slow.fall_behind()
        await asyncio.wait_for(pause.after_relay([slow, fast]), 0.1)  # type: ignore[list-item]  # one keeps up
        assert pause.pauses == 0
        fast.fall_behind()
        waiting = asyncio.create_task(pause.after_relay([slow, fast]))  # type: ignore[list-item]
        await asyncio.sleep(0)
        assert not waiting.done()
        await fast.outbox.take()          # written; the writer comes back and finds it short
        fast.outbox.put(b"chat-1")
        await fast.outbox.take()
        await asyncio.wait_for(waiting, 0.1)
        assert (pause.pauses, pause.timeouts) == (1, 0)
    asyncio.run(main())
