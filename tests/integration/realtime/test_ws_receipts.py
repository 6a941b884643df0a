"""Delivery receipts say only what the client confirmed (issue 21 item 4): a frame written to a
connection that never reads is not delivered; a `received` frame or a resume's `hello` is."""

from __future__ import annotations

import time
from typing import Any

from tests.integration.realtime.conftest import Cast
from tests.integration.realtime.live import Socket

POSTED = ("message.posted",)


def delivered_to(cast: Cast, message_id: int) -> dict[int, bool]:
    state = cast.api("tur_watch").get(f"/api/messages/{message_id}/ack").json()
    return {r["person_id"]: r["delivered"] for r in state["recipients"]}


def wait_delivered(cast: Cast, message_id: int, person: str) -> dict[int, bool]:
    """Until the live feed has recorded `person`'s receipt of `message_id` (it records in batches)."""
    deadline = time.monotonic() + 15
    while True:
        state = delivered_to(cast, message_id)
        if state.get(cast.ids[person]):
            return state
        assert time.monotonic() < deadline, f"no delivery of {message_id} to {person} recorded: {state}"
        time.sleep(0.1)


def confirm(sock: Socket, frames: list[dict[str, Any]]) -> None:
    sock.send({"type": "received", "last_event_id": max(f["cursor"] for f in frames)})


def test_a_client_that_reads_nothing_has_nothing_delivered(cast: Cast) -> None:
    silent = Socket(cast.address, cast.tokens["irq_analyst"])  # takes its welcome, then reads nothing more
    watch = Socket(cast.address, cast.tokens["irq_watch"])
    tur = cast.api("tur_watch")
    posted = [tur.say(cast.centre_channel, f"routine traffic {n}") for n in range(200)]
    frames = watch.events(200, kinds=POSTED, timeout=30)
    assert [f["event"]["payload"]["id"] for f in frames] == [p["id"] for p in posted]
    # Written is not delivered: nothing until the watch officer's client confirms.
    assert not any(delivered_to(cast, posted[-1]["id"]).values())
    confirm(watch, frames)
    state = wait_delivered(cast, posted[-1]["id"], "irq_watch")
    # The silent connection's frames sit in buffers (or were never sent): no receipt for them.
    assert not state.get(cast.ids["irq_analyst"])
    assert not delivered_to(cast, posted[0]["id"]).get(cast.ids["irq_analyst"])
    silent.close()
    watch.close()


def test_a_receipt_covers_only_the_events_it_names(cast: Cast) -> None:
    watch = Socket(cast.address, cast.tokens["irq_watch"])
    tur = cast.api("tur_watch")
    first, second = tur.say(cast.centre_channel, "first"), tur.say(cast.centre_channel, "second")
    frames = watch.events(2, kinds=POSTED)
    confirm(watch, frames[:1])
    wait_delivered(cast, first["id"], "irq_watch")
    assert not delivered_to(cast, second["id"]).get(cast.ids["irq_watch"])
    confirm(watch, frames)
    wait_delivered(cast, second["id"], "irq_watch")
    watch.close()


def test_a_resume_confirms_what_the_earlier_connection_was_sent(cast: Cast) -> None:
    watch = Socket(cast.address, cast.tokens["irq_watch"])
    tur = cast.api("tur_watch")
    message = tur.say(cast.centre_channel, "before the link dropped")
    frames = watch.events(1, kinds=POSTED)
    watch.close()  # gone without a receipt: not delivered
    assert not delivered_to(cast, message["id"]).get(cast.ids["irq_watch"])
    again = Socket(cast.address, cast.tokens["irq_watch"], last_event_id=frames[-1]["cursor"])
    wait_delivered(cast, message["id"], "irq_watch")
    again.close()


def test_a_bad_receipt_is_an_error_naming_the_field(cast: Cast) -> None:
    watch = Socket(cast.address, cast.tokens["irq_watch"])
    watch.send({"type": "received"})
    error = watch.recv()
    assert error["type"] == "error" and error["field"] == "last_event_id", error
    watch.send({"type": "received", "last_event_id": 5, "received_after": [3]})
    error = watch.recv()
    assert error["type"] == "error" and error["field"] == "received_after", error
    watch.close()
