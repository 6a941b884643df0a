"""FLASH acknowledgement: deadlines, escalation to commanders and the sender, re-notification until
acknowledged, all with the test's clock, seen through the WebSocket."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.realtime.conftest import Cast
from tests.integration.realtime.live import Socket

ESCALATED = ("message.escalated",)


def test_an_overdue_flash_escalates_renotifies_and_stops_once_acknowledged(cast: Cast) -> None:
    irq_commander = Socket(cast.address, cast.tokens["irq_commander"])
    sender = Socket(cast.address, cast.tokens["tur_watch"])
    analyst = Socket(cast.address, cast.tokens["irq_analyst"])
    flash = cast.api("tur_watch").say(cast.centre_channel, "FLASH: armed group crossing near gate 7", "FLASH")
    posted = analyst.events(1, kinds=("message.posted",))[0]["event"]
    assert posted["payload"]["owing"] == ["IRQ"] and posted["payload"]["ack_deadline"]

    state = cast.api("tur_watch").get(f"/api/messages/{flash['id']}/ack").json()
    assert [(n["nation"], n["status"]) for n in state["nations"]] == [("IRQ", "pending")]

    cast.clock.advance(timedelta(minutes=9, seconds=59))
    assert cast.centre.acknowledgements.escalate_due() == 0
    cast.clock.advance(timedelta(seconds=1))
    assert cast.centre.acknowledgements.escalate_due() == 1
    for sock in (irq_commander, sender):
        [frame] = sock.events(1, kinds=ESCALATED)
        assert frame["event"]["payload"]["nation"] == "IRQ" and frame["event"]["payload"]["level"] == 1
    # everyone who receives the message is told again that it awaits IRQ
    overdue = analyst.events(1, kinds=("message.ack_overdue",))[0]["event"]["payload"]
    assert overdue["message_id"] == flash["id"]
    # the analyst (no acknowledging role) is not addressed by the escalation itself
    assert [f for f in analyst.quiet(0.5) if f.get("event", {}).get("kind") in ESCALATED] == []
    assert cast.centre.acknowledgements.escalate_due() == 0  # not twice for one period
    state = cast.api("tur_watch").get(f"/api/messages/{flash['id']}/ack").json()
    assert state["nations"][0]["status"] == "overdue" and state["nations"][0]["escalations"] == 1

    cast.clock.advance(timedelta(minutes=5))
    assert cast.centre.acknowledgements.escalate_due() == 1
    assert irq_commander.events(1, kinds=ESCALATED)[0]["event"]["payload"]["level"] == 2

    # the analyst may not acknowledge for IRQ; the watch officer off shift may not either (and neither is
    # offered it); the commander is
    assert cast.api("irq_analyst").get(f"/api/messages/{flash['id']}/ack").json()["may_acknowledge"] is False
    assert cast.api("irq_watch").get(f"/api/messages/{flash['id']}/ack").json()["may_acknowledge"] is False
    assert cast.api("irq_commander").get(f"/api/messages/{flash['id']}/ack").json()["may_acknowledge"] is True
    assert cast.api("tur_watch").get(f"/api/messages/{flash['id']}/ack").json()["may_acknowledge"] is False
    analyst.send({"type": "ack", "message_id": flash["id"], "ref": "a1"})
    refused = [f for f in analyst.quiet(1.0) if f["type"] == "error"]
    assert refused and refused[0]["code"] == "forbidden" and refused[0]["ref"] == "a1"
    # once on shift, the watch officer acknowledges through the WebSocket
    now = cast.clock.now()
    shift = cast.api("irq_commander").post("/api/duty", json={
        "person_id": cast.ids["irq_watch"], "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(hours=7)).isoformat()})
    assert shift.status_code == 201, shift.text
    assert cast.api("irq_watch").get(f"/api/messages/{flash['id']}/ack").json()["may_acknowledge"] is True
    watch = Socket(cast.address, cast.tokens["irq_watch"])
    watch.send({"type": "ack", "message_id": flash["id"], "ref": "w1"})
    frames = watch.quiet(1.5)
    ok = [f for f in frames if f["type"] == "ok"]
    assert ok == [{"type": "ok", "for": "ack", "ref": "w1", "message_id": flash["id"], "nation": "IRQ"}]
    assert sender.events(1, kinds=("message.acknowledged",))[0]["event"]["payload"]["acknowledged_by"] == \
        cast.ids["irq_watch"]

    cast.clock.advance(timedelta(hours=2))
    assert cast.centre.acknowledgements.escalate_due() == 0
    state = cast.api("tur_watch").get(f"/api/messages/{flash['id']}/ack").json()
    assert state["nations"][0]["status"] == "acknowledged"
    assert state["nations"][0]["acknowledged_by"] == cast.ids["irq_watch"]
    assert cast.api("irq_commander").get(f"/api/messages/{flash['id']}/ack").json()["may_acknowledge"] is False
    for sock in (irq_commander, sender, analyst, watch):
        sock.close()


def test_a_commander_may_acknowledge_and_a_second_acknowledgement_conflicts(cast: Cast) -> None:
    flash = cast.api("tur_watch").say(cast.centre_channel, "IMMEDIATE: request air picture", "IMMEDIATE")
    first = cast.api("irq_commander").post(f"/api/messages/{flash['id']}/ack")
    assert first.status_code == 200 and first.json()["nation"] == "IRQ"
    assert cast.api("irq_commander").post(f"/api/messages/{flash['id']}/ack").status_code == 409
    # the sender's own nation owes nothing, and the sender cannot acknowledge
    assert cast.api("tur_commander").post(f"/api/messages/{flash['id']}/ack").status_code == 403
    routine = cast.api("tur_watch").say(cast.centre_channel, "routine note")
    assert cast.api("irq_commander").post(f"/api/messages/{routine['id']}/ack").status_code == 409


def test_a_retracted_flash_stops_escalating(cast: Cast) -> None:
    flash = cast.api("tur_watch").say(cast.centre_channel, "FLASH: wrong grid", "FLASH")
    gone = cast.api("tur_watch").http.delete(f"/api/messages/{flash['id']}")
    assert gone.status_code == 200 and gone.json()["retracted_at"]
    cast.clock.advance(timedelta(hours=1))
    assert cast.centre.acknowledgements.escalate_due() == 0
