"""A slow client's outbox: superseded positions may go, chat and markers never do."""

from __future__ import annotations

import asyncio

import pytest

from concord.cot.drops import CotStats, DeliveryDrop
from concord.cot.outbox import ClientTooSlow, Outbox, Outgoing, OutgoingBatch
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
