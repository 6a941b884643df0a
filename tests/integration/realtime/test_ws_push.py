"""/api/ws: push through the policy, resume without loss or duplicates, precedence, bad input."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from concord.domain.markings import Marking
from concord.storage.db import Database
from concord.storage.events import append_event
from tests.integration.realtime.conftest import Cast
from tests.integration.realtime.live import Socket

POSTED = ("message.posted",)

# Every test here runs twice: as `concord serve` serves (caught-up connections on the shared
# fan-out path) and as any other ASGI server would (every connection on its own queue).
pytestmark = pytest.mark.parametrize("shared_frames", [True, False], ids=["shared-frames", "own-queue"])


def test_a_posted_message_is_pushed_to_everyone_who_may_see_it_and_no_one_else(cast: Cast) -> None:
    irq = Socket(cast.address, cast.tokens["irq_watch"])
    tur = Socket(cast.address, cast.tokens["tur_commander"])
    sent = cast.api("tur_watch").say(cast.centre_channel, "Convoy of 4 vehicles crossing at gate 7")
    [frame] = irq.events(1, kinds=POSTED)
    event = frame["event"]
    assert event["payload"]["id"] == sent["id"] and event["payload"]["body"].startswith("Convoy")
    assert event["payload"]["author_nation"] == "TUR" and event["marking"]["level"] == "RESTRICTED"
    assert frame["cursor"] == event["id"]
    assert tur.events(1, kinds=POSTED)[0]["event"]["id"] == event["id"]
    # TUR-internal traffic never reaches IRQ
    cast.api("tur_watch").say(cast.tur_channel, "Internal: shift change at 1800Z",
                              marking={"level": "RESTRICTED", "releasable_to": [], "tlp": "AMBER+STRICT"})
    assert tur.events(1, kinds=POSTED)[0]["event"]["payload"]["channel_id"] == cast.tur_channel
    assert [f for f in irq.quiet(1.0) if f["type"] == "event"] == []
    irq.close()
    tur.close()


def test_resume_delivers_exactly_what_was_missed_in_order(cast: Cast) -> None:
    api = cast.api("tur_watch")
    first = Socket(cast.address, cast.tokens["irq_analyst"])
    for i in range(3):
        api.say(cast.centre_channel, f"before {i}")
    got = first.events(3, kinds=POSTED)
    cursor = got[-1]["cursor"]
    first.close()
    missed = [api.say(cast.centre_channel, f"while away {i}")["id"] for i in range(7)]
    again = Socket(cast.address, cast.tokens["irq_analyst"], last_event_id=cursor)
    assert again.welcome and again.welcome["resume_from"] == cursor
    frames = again.events(7, kinds=POSTED)
    assert [f["event"]["payload"]["id"] for f in frames] == missed
    ids = [f["event"]["id"] for f in frames]
    assert ids == sorted(set(ids)) and all(i > cursor for i in ids)
    # and then live traffic continues on the same connection, without repeats
    live = api.say(cast.centre_channel, "after return")
    assert again.events(1, kinds=POSTED)[0]["event"]["payload"]["id"] == live["id"]
    assert [f for f in again.quiet(0.7) if f["type"] == "event"] == []
    again.close()


def test_flash_overtakes_routine_when_the_client_is_behind_and_resume_skips_what_it_holds(cast: Cast) -> None:
    api = cast.api("tur_watch")
    start = Socket(cast.address, cast.tokens["irq_watch"])
    assert start.welcome is not None
    origin = start.welcome["latest"]
    start.close()
    routine = [api.say(cast.centre_channel, f"routine {i}")["id"] for i in range(40)]
    flash = api.say(cast.centre_channel, "FLASH: contact at border post 7", "FLASH")["id"]
    behind = Socket(cast.address, cast.tokens["irq_watch"], last_event_id=origin)
    frames = behind.events(41, kinds=POSTED)
    order = [f["event"]["payload"]["id"] for f in frames]
    assert order[0] == flash
    assert order[1:] == routine
    # the cursor never passed an event that was not yet sent
    assert frames[0]["cursor"] == origin
    assert frames[-1]["cursor"] >= frames[0]["event"]["id"]
    behind.close()
    # resuming from a cursor below the FLASH, listing it as held: it is not sent again
    holder = Socket(cast.address, cast.tokens["irq_watch"], last_event_id=origin,
                    received_after=[frames[0]["event"]["id"]])
    again = holder.events(40, kinds=POSTED)
    assert [f["event"]["payload"]["id"] for f in again] == routine
    holder.close()


def test_unauthenticated_connections_are_closed_with_4401(cast: Cast) -> None:
    for token in (None, "not-a-token"):
        sock = Socket(cast.address, token, hello=False)
        code, _reason, frames = sock.closed()
        assert code == 4401
        assert frames and frames[-1]["type"] == "closing" and frames[-1]["code"] == 4401


def test_a_cookie_from_another_site_is_refused(cast: Cast) -> None:
    headers = {"Cookie": f"concord_session={cast.tokens['irq_watch']}", "Origin": "http://evil.example"}
    sock = Socket(cast.address, None, hello=False, headers=headers)
    assert sock.closed()[0] == 4401
    same = {"Cookie": f"concord_session={cast.tokens['irq_watch']}", "Origin": f"http://{cast.address}"}
    ok = Socket(cast.address, None, headers=same)
    assert ok.welcome is not None
    ok.close()


def test_malformed_and_oversized_frames_get_an_error_frame_and_the_connection_stays_up(cast: Cast) -> None:
    sock = Socket(cast.address, cast.tokens["irq_watch"])
    cases = [("not json", "frame"), ('{"type":"subscribe"}', "type"), ('{"type":"ack"}', "message_id"),
             (json.dumps({"type": "ping", "nonce": "x" * 70_000}), "frame")]
    for raw, field in cases:
        sock.send(raw)
        frame = sock.recv()
        assert frame["type"] == "error" and frame["field"] == field, frame
    sock.send({"type": "ping", "nonce": "still-there"})
    assert sock.recv() == {"type": "pong", "nonce": "still-there"}
    sock.send({"type": "ack", "message_id": 999999, "ref": "r1"})
    frame = sock.recv()
    assert frame["type"] == "error" and frame["code"] == "not_found" and frame["ref"] == "r1"
    sock.close()


def test_a_first_frame_that_is_not_hello_closes_with_4400(cast: Cast) -> None:
    sock = Socket(cast.address, cast.tokens["irq_watch"], hello=False)
    sock.send({"type": "ping"})
    assert sock.closed()[0] == 4400


def test_a_resume_point_beyond_the_log_is_refused_with_a_hint(cast: Cast) -> None:
    sock = Socket(cast.address, cast.tokens["irq_watch"], hello=False)
    sock.send({"type": "hello", "last_event_id": 10**12})
    code, reason, _ = sock.closed()
    assert code == 4409 and reason is not None and "resume_from" in json.loads(reason)


def drain(sock: Socket, want: int, kind: str) -> tuple[int | None, str | None, list[dict[str, Any]]]:
    """Frames until `want` events of `kind` arrived (code None) or the server closed."""
    frames: list[dict[str, Any]] = []
    try:
        while sum(1 for f in frames if f["type"] == "event" and f["event"]["kind"] == kind) < want:
            frames.append(sock.recv(5))
    except ConnectionClosed as closed:
        return (closed.rcvd.code if closed.rcvd else None), (closed.rcvd.reason if closed.rcvd else None), frames
    sock.close()
    return None, None, frames


def burst(cast: Cast, count: int) -> list[int]:
    """`count` events in one transaction (as an import by another feature would write them)."""
    marking = Marking.build("RESTRICTED", "TUR", ["IRQ"], "GREEN")
    with cast.centre.db.write() as tx:
        return [append_event(tx, at=cast.clock.now(), kind="test.burst", item_type="test", item_id=i,
                             marking=marking, payload={"n": i}) for i in range(count)]


@pytest.mark.parametrize("rt_options", [{"ws_queue_capacity": 5}])
def test_a_slow_consumer_is_closed_with_a_resume_hint_and_loses_nothing(cast: Cast) -> None:
    live = Socket(cast.address, cast.tokens["irq_analyst"])
    assert live.welcome is not None
    ids = burst(cast, 12)  # more than the queue holds, arriving at once
    code, reason, frames = drain(live, 12, "test.burst")
    assert code == 4429
    hint = json.loads(reason or "{}")["resume_from"]
    assert frames[-1]["type"] == "closing" and frames[-1]["resume_from"] == hint
    received = [f["event"]["id"] for f in frames if f["type"] == "event"]
    # Resuming (the queue is still only 5 long): the backlog is read as the queue drains, no close.
    held = [i for i in received if i > hint]
    again = Socket(cast.address, cast.tokens["irq_analyst"], last_event_id=hint, received_after=held)
    code, _, frames = drain(again, 12 - len(received), "test.burst")
    assert code is None
    received += [f["event"]["id"] for f in frames if f["type"] == "event"]
    assert sorted(received) == ids and len(received) == len(set(received))


@pytest.mark.parametrize("rt_options", [{"ws_heartbeat_seconds": 0.3}])
def test_a_silent_client_is_pinged_then_closed_with_a_resume_hint(cast: Cast) -> None:
    sock = Socket(cast.address, cast.tokens["irq_watch"])
    code, reason, frames = sock.closed(timeout=5)
    assert any(f["type"] == "ping" for f in frames)
    assert code == 4408 and "resume_from" in json.loads(reason or "{}")


def test_a_direct_message_reaches_only_its_members_and_is_marked_delivered(cast: Cast) -> None:
    watch = Socket(cast.address, cast.tokens["irq_watch"])
    analyst = Socket(cast.address, cast.tokens["irq_analyst"])  # same nation and clearance as the watch
    tur = cast.api("tur_watch")
    joint = {"level": "RESTRICTED", "releasable_to": ["TUR", "IRQ"], "tlp": "AMBER"}
    # both caught up on the shared path first
    opener = tur.say(cast.centre_channel, "net check")
    for sock in (watch, analyst):
        assert sock.events(1, kinds=POSTED)[0]["event"]["payload"]["id"] == opener["id"]
    created = tur.post("/api/channels", json={"kind": "direct", "name": "liaison", "max_marking": joint,
                                              "members": [cast.ids["tur_watch"], cast.ids["irq_watch"]]})
    assert created.status_code == 201, created.text
    direct = tur.say(created.json()["id"], "for the IRQ watch officer only", "FLASH", marking=joint)
    after = tur.say(cast.centre_channel, "for everyone again")
    got = watch.events(2, kinds=POSTED)
    assert [f["event"]["payload"]["id"] for f in got] == [direct["id"], after["id"]]
    assert [f["event"]["payload"]["id"] for f in analyst.events(1, kinds=POSTED)] == [after["id"]]
    assert [f for f in analyst.quiet(0.5) if f["type"] == "event"] == []
    # delivered once the client confirms it holds the event; the live feed writes the marker in batches
    watch.send({"type": "received", "last_event_id": got[-1]["cursor"]})
    deadline = time.monotonic() + 10
    while True:
        state = tur.get(f"/api/messages/{direct['id']}/ack").json()
        delivered = {r["person_id"]: r["delivered"] for r in state["recipients"]}
        if delivered.get(cast.ids["irq_watch"]) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert delivered.get(cast.ids["irq_watch"]) is True
    assert cast.ids["irq_analyst"] not in delivered
    watch.close()
    analyst.close()


def test_a_client_catching_up_joins_live_traffic_without_gaps_or_repeats(cast: Cast) -> None:
    """Behind (own queue, most urgent first) → caught up (shared path) → live, on one connection."""
    api = cast.api("tur_watch")
    start = Socket(cast.address, cast.tokens["irq_analyst"])
    assert start.welcome is not None
    origin = start.welcome["latest"]
    start.close()
    missed = [api.say(cast.centre_channel, f"missed {i}")["id"] for i in range(15)]
    flash = api.say(cast.centre_channel, "FLASH while away", "FLASH")["id"]
    sock = Socket(cast.address, cast.tokens["irq_analyst"], last_event_id=origin)
    live = []
    for i in range(10):
        live.append(api.say(cast.centre_channel, f"live {i}", "IMMEDIATE" if i == 5 else "ROUTINE")["id"])
    frames = sock.events(26, kinds=POSTED)
    order = [f["event"]["payload"]["id"] for f in frames]
    assert order[0] == flash
    assert sorted(order) == sorted([*missed, flash, *live]) and len(set(order)) == 26
    routine = [i for n, i in enumerate(live) if n != 5]
    assert [i for i in order if i in routine] == routine  # same precedence: in order
    # every cursor is a valid resume point: nothing at or below it is still to come
    for n, frame in enumerate(frames):
        later = [f["event"]["id"] for f in frames[n + 1:]]
        assert all(event_id > frame["cursor"] for event_id in later)
    assert [f for f in sock.quiet(0.5) if f["type"] == "event"] == []
    sock.close()


def test_presence_follows_connections(cast: Cast) -> None:
    """Who is online is written in the live feed's periodic batch: a connection shows up, then goes."""
    api = cast.api("tur_watch")
    me = cast.ids["irq_analyst"]

    def online_until(want: bool) -> bool:
        deadline = time.monotonic() + 15
        while True:
            online = {o["person_id"]: o["connections"] for o in api.get("/api/presence").json()}
            if (me in online) == want or time.monotonic() > deadline:
                return me in online
            time.sleep(0.2)

    sock = Socket(cast.address, cast.tokens["irq_analyst"])
    assert online_until(True)
    sock.close()
    assert not online_until(False)


@pytest.mark.parametrize("rt_options", [{"feed_poll_seconds": 30}])
def test_a_client_starting_ahead_of_the_live_window_gets_nothing_from_before_its_start(cast: Cast) -> None:
    """The live window can lag the log (another process's notice not in yet); a session that
    starts (or resumes) beyond the window's head must not be sent what lies before its start."""
    watch = Socket(cast.address, cast.tokens["irq_watch"])  # keeps the class's window open
    unannounced = Database(cast.centre.settings.database_url)  # writes without a bus notice
    marking = Marking.build("RESTRICTED", "TUR", ["IRQ"], "GREEN")
    try:
        with unannounced.write() as tx:
            quiet = [append_event(tx, at=cast.clock.now(), kind="test.quiet", item_type="test", item_id=i,
                                  marking=marking, payload={"n": i}) for i in range(3)]
    finally:
        unannounced.dispose()
    late = Socket(cast.address, cast.tokens["irq_analyst"])  # same class, from now
    assert late.welcome is not None and late.welcome["resume_from"] >= max(quiet)
    announced = cast.api("tur_watch").say(cast.centre_channel, "announced")  # the feed reads all four
    frames = []
    while not frames or frames[-1]["event"]["kind"] != "message.posted":
        frames += late.events(1)
    frames += [f for f in late.quiet(0.5) if f["type"] == "event"]
    assert [f["event"]["kind"] for f in frames] == ["message.posted"]
    assert frames[0]["event"]["payload"]["id"] == announced["id"]
    # the connection that was there before them gets them all
    assert [f["event"]["id"] for f in watch.events(3, kinds=("test.quiet",))] == quiet
    watch.close()
    late.close()


def test_a_client_that_reads_nothing_is_closed_4429_by_the_send_timeout_and_resumes_exactly(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    import concord.api.ws.session as ws_module

    monkeypatch.setattr(ws_module, "SEND_TIMEOUT", 1.0)
    stuck = Socket(cast.address, cast.tokens["irq_analyst"])
    marking = Marking.build("RESTRICTED", "TUR", ["IRQ"], "GREEN")
    pad = "x" * 4000  # 1,500 events of 4 KB: more than the kernel's buffers hold, far less than the queue bound
    with cast.centre.db.write() as tx:
        ids = [append_event(tx, at=cast.clock.now(), kind="test.stuck", item_type="test", item_id=i,
                            marking=marking, payload={"n": i, "pad": pad}) for i in range(1500)]
    time.sleep(3.0)  # the client reads nothing: a write blocks, and the send timeout passes
    code, reason, frames = drain(stuck, len(ids), "test.stuck")
    assert code == 4429, (code, reason)
    assert "resume_from" in json.loads(reason or "{}")
    received = [f["event"]["id"] for f in frames if f["type"] == "event"]
    assert received and len(received) < len(ids)
    # It resumes from the last event it processed: the rest arrives, nothing twice.
    again = Socket(cast.address, cast.tokens["irq_analyst"], last_event_id=max(received))
    _code, _, frames = drain(again, len(ids) - len(received), "test.stuck")
    received += [f["event"]["id"] for f in frames if f["type"] == "event"]
    assert sorted(received) == ids and len(received) == len(set(received))
