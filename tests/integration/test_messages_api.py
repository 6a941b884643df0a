"""Channels and messages over REST: history paging, search, unread, edit history, retraction,
permissions and bad input (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.domain.errors import Forbidden
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.people import Role
from tests.factories import ApiClient, person, sign_in

JOINT = {"level": "RESTRICTED", "releasable_to": ["TUR", "IRQ"], "tlp": "AMBER"}


def setup(centre: Centre, client: TestClient) -> dict[str, Any]:
    people = {
        "tur": person(centre, "TUR", (Role.LIAISON_OFFICER,)),
        "irq": person(centre, "IRQ", (Role.LIAISON_OFFICER,)),
        "irq_low": person(centre, "IRQ", (Role.ANALYST,), clearance=Level.RESTRICTED),
        "obs": person(centre, "IRQ", (Role.OBSERVER,)),
        "tur2": person(centre, "TUR", (Role.ANALYST,)),
    }
    centre.channels.ensure_standard_channels()
    clients = {name: sign_in(client, username) for name, (_, username) in people.items()}
    channels = {c["kind"] + (c["nation"] or ""): c["id"] for c in clients["tur"].get("/api/channels").json()}
    return {"c": clients, "ch": channels, "ids": {n: pid for n, (pid, _) in people.items()}}


def say(api: ApiClient, channel: int, body: str, **extra: Any) -> Any:
    return api.post(f"/api/channels/{channel}/messages", json={"body": body, "marking": JOINT, **extra})


def test_history_is_paged_newest_first_and_follows_the_policy(centre: Centre, client: TestClient) -> None:
    s = setup(centre, client)
    tur, irq, irq_low = s["c"]["tur"], s["c"]["irq"], s["c"]["irq_low"]
    joint = s["ch"]["centre"]
    ids = [say(tur, joint, f"report {i}").json()["id"] for i in range(5)]
    secret = say(tur, joint, "secret detail", marking={"level": "SECRET", "releasable_to": ["IRQ"]}).json()["id"]
    page = irq.get(f"/api/channels/{joint}/messages", params={"limit": 2}).json()
    assert [m["id"] for m in page["items"]] == [secret, ids[4]] and page["next_before"] == ids[4]
    rest = irq.get(f"/api/channels/{joint}/messages", params={"limit": 10, "before": page["next_before"]}).json()
    assert [m["id"] for m in rest["items"]] == ids[3::-1] and rest["next_before"] is None
    low = irq_low.get(f"/api/channels/{joint}/messages").json()["items"]
    assert secret not in [m["id"] for m in low] and len(low) == 5
    assert irq_low.get(f"/api/messages/{secret}").status_code == 404
    assert irq_low.get(f"/api/messages/{secret}/ack").status_code == 404


def test_nation_channels_are_internal_and_direct_conversations_private(centre: Centre, client: TestClient) -> None:
    s = setup(centre, client)
    tur, irq, tur2 = s["c"]["tur"], s["c"]["irq"], s["c"]["tur2"]
    tur_channel = s["ch"]["nationTUR"]
    internal = say(tur, tur_channel, "internal", marking={"level": "RESTRICTED", "tlp": "AMBER+STRICT"})
    assert internal.status_code == 201
    assert irq.get(f"/api/channels/{tur_channel}/messages").status_code == 404
    assert say(irq, tur_channel, "let me in").status_code == 404
    assert irq.get(f"/api/messages/{internal.json()['id']}").status_code == 404
    # a marking wider than the channel allows is refused, naming the field
    wide = say(tur, tur_channel, "oops")
    assert wide.status_code == 422 and wide.json()["error"]["details"]["field"] == "marking.releasable_to"

    direct = tur.post("/api/channels", json={"kind": "direct", "name": "TUR-IRQ liaison", "max_marking": JOINT,
                                            "members": [s["ids"]["tur"], s["ids"]["irq"]]})
    assert direct.status_code == 201, direct.text
    dm = direct.json()["id"]
    again = irq.post("/api/channels", json={"kind": "direct", "name": "x", "max_marking": {**JOINT},
                                           "members": [s["ids"]["irq"], s["ids"]["tur"]]})
    assert again.status_code == 201 and again.json()["id"] == dm  # one conversation per pair
    assert say(irq, dm, "hello from IRQ", marking={"level": "RESTRICTED", "releasable_to": ["TUR"]}).status_code == 201
    assert tur2.get(f"/api/channels/{dm}/messages").status_code == 404
    assert dm not in [c["id"] for c in tur2.get("/api/channels").json()]
    events = tur2.get("/api/events").json()
    assert all(e["item_type"] != "message" or e["payload"].get("channel_id") != dm for e in events)


def test_edit_keeps_history_and_retract_by_the_author_only(centre: Centre, client: TestClient) -> None:
    s = setup(centre, client)
    tur, irq = s["c"]["tur"], s["c"]["irq"]
    joint = s["ch"]["centre"]
    mid = say(tur, joint, "Meeting at 1400Z").json()["id"]
    assert irq.http.patch(f"/api/messages/{mid}", headers=irq.headers, json={"body": "mine"}).status_code == 403
    edited = tur.http.patch(f"/api/messages/{mid}", headers=tur.headers, json={"body": "Meeting at 1500Z"})
    assert edited.status_code == 200 and edited.json()["version"] == 2
    revisions = irq.get(f"/api/messages/{mid}/revisions").json()
    assert [(r["version"], r["body"]) for r in revisions] == [(1, "Meeting at 1400Z")]
    assert irq.delete(f"/api/messages/{mid}").status_code == 403
    gone = tur.delete(f"/api/messages/{mid}")
    assert gone.status_code == 200 and gone.json()["body"] == "" and gone.json()["retracted_at"]
    assert tur.delete(f"/api/messages/{mid}").status_code == 409
    # Retracted words are withdrawn from readers; the author keeps their own history.
    assert irq.get(f"/api/messages/{mid}/revisions").json() == []
    assert [r["body"] for r in tur.get(f"/api/messages/{mid}/revisions").json()] == [
        "Meeting at 1400Z", "Meeting at 1500Z"]


def test_search_unread_and_read_markers(centre: Centre, client: TestClient) -> None:
    s = setup(centre, client)
    tur, irq = s["c"]["tur"], s["c"]["irq"]
    joint = s["ch"]["centre"]
    ids = [say(tur, joint, body).json()["id"] for body in ("Fuel convoy at Zakho", "weather", "FUEL 100%_done")]
    found = irq.get("/api/messages/search", params={"q": "fuel"}).json()
    assert [m["id"] for m in found] == [ids[2], ids[0]]
    assert irq.get("/api/messages/search", params={"q": "100%_"}).json()[0]["id"] == ids[2]
    assert irq.get("/api/messages/search", params={"q": "%"}).status_code == 422
    assert irq.get("/api/messages/unread").json() == {str(joint): 3}
    assert tur.get("/api/messages/unread").json() == {}  # one's own messages are not unread
    assert irq.post(f"/api/messages/{ids[1]}/read").status_code == 204
    assert irq.get("/api/messages/unread").json() == {str(joint): 1}
    assert [c["unread"] for c in irq.get("/api/channels").json() if c["id"] == joint] == [1]
    state = tur.get(f"/api/messages/{ids[0]}/ack").json()
    assert {"person_id": s["ids"]["irq"], "nation": "IRQ", "delivered": True, "read": True,
            "acknowledged": False} in state["recipients"]


def test_bad_input_is_named_and_nothing_is_written(centre: Centre, client: TestClient) -> None:
    s = setup(centre, client)
    tur, obs = s["c"]["tur"], s["c"]["obs"]
    joint = s["ch"]["centre"]
    too_long = say(tur, joint, "x" * 4001)
    assert too_long.status_code == 413 and too_long.json()["error"]["details"]["field"] == "body"
    assert say(tur, joint, "   ").status_code == 422
    assert say(tur, joint, "hi", precedence="URGENT").status_code == 422
    # attachments are posted with their bytes (test_message_attachments_api.py); metadata alone is refused
    claimed = say(tur, joint, "see file", attachments=[{"filename": "a.pdf", "content_type": "application/pdf",
                                                        "size": 10}])
    assert claimed.status_code == 422 and claimed.json()["error"]["details"]["field"] == "attachments"
    assert say(obs, joint, "observer speaking").status_code == 403
    assert say(tur, 999999, "nowhere").status_code == 404
    assert tur.get(f"/api/channels/{joint}/messages").json()["items"] == []


def test_duty_roster_and_presence(centre: Centre, client: TestClient) -> None:
    s = setup(centre, client)
    irq = s["c"]["irq"]
    start = centre.clock.now()
    body = {"person_id": s["ids"]["irq"], "starts_at": start.isoformat(),
            "ends_at": start.replace(hour=start.hour + 8).isoformat()}
    assert irq.post("/api/duty", json=body).status_code == 403  # a liaison officer does not plan shifts
    commander = sign_in(client, person(centre, "IRQ", (Role.COMMANDER,))[1])
    assert commander.post("/api/duty", json=body).status_code == 201
    assert commander.post("/api/duty", json={**body, "person_id": s["ids"]["tur"]}).status_code == 404
    assert commander.post("/api/duty", json={**body, "ends_at": body["starts_at"]}).status_code == 422
    duty = s["c"]["tur"].get("/api/duty", params={"nation": "IRQ"}).json()
    assert [(d["nation"], d["person_id"]) for d in duty] == [("IRQ", s["ids"]["irq"])]
    assert irq.get("/api/presence").json() == []


def test_operation_channels_reach_their_members_only(centre: Centre, client: TestClient) -> None:
    s = setup(centre, client)
    tur, irq, tur2 = s["c"]["tur"], s["c"]["irq"], s["c"]["tur2"]
    body = {"kind": "operation", "name": "OP QUIET HARBOUR (exercise)", "max_marking": JOINT,
            "subject_id": "op-demo-1", "members": [s["ids"]["irq"]]}
    assert tur2.post("/api/channels", json=body).status_code == 403  # analysts do not open operation channels
    made = tur.post("/api/channels", json=body)
    assert made.status_code == 201, made.text
    op = made.json()["id"]
    assert say(irq, op, "IRQ element in position", marking={"level": "RESTRICTED", "releasable_to": ["TUR"]}
               ).status_code == 201
    assert [m["body"] for m in tur.get(f"/api/channels/{op}/messages").json()["items"]] == ["IRQ element in position"]
    assert tur2.get(f"/api/channels/{op}/messages").status_code == 404
    assert tur.post(f"/api/channels/{op}/members", json={"person_id": s["ids"]["tur2"], "may_post": False}
                    ).status_code == 204
    assert len(tur2.get(f"/api/channels/{op}/messages").json()["items"]) == 1
    assert say(tur2, op, "may I?").status_code == 403
    # The members are listed to those who take part (the administration screen shows them).
    listed = next(c for c in tur2.get("/api/channels").json() if c["id"] == op)
    assert listed["members"] == sorted({s["ids"]["irq"], s["ids"]["tur"], s["ids"]["tur2"]})


def test_cross_nation_changes_follow_the_ownership_rule(centre: Centre, client: TestClient) -> None:
    """Who may change a message, open a channel or acknowledge is decided by `domain.ownership`:
    404 for what the caller may not see (exactly as if absent), 403 for what they see but do not own."""
    s = setup(centre, client)
    tur, irq = s["c"]["tur"], s["c"]["irq"]
    irq_admin, _ = person(centre, "IRQ", (Role.ADMINISTRATOR,))
    joint = s["ch"]["centre"]
    hidden = say(tur, joint, "TUR eyes only", marking={"level": "RESTRICTED", "releasable_to": []}).json()["id"]
    for answer in (irq.http.patch(f"/api/messages/{hidden}", headers=irq.headers, json={"body": "x"}),
                   irq.delete(f"/api/messages/{hidden}"), irq.post(f"/api/messages/{hidden}/ack")):
        assert answer.status_code == 404 and answer.json()["error"]["details"]["field"] == "message_id"
    shared = say(tur, joint, "Joint note").json()["id"]
    refused = irq.http.patch(f"/api/messages/{shared}", headers=irq.headers, json={"body": "IRQ words"})
    assert refused.status_code == 403 and "only the author" in refused.json()["error"]["message"]
    assert irq.delete(f"/api/messages/{shared}").status_code == 403
    assert tur.get(f"/api/messages/{shared}").json()["body"] == "Joint note"  # nothing was written

    # A nation channel belongs to its nation: another nation's administrator cannot open one for it
    # (over HTTP the ceiling is always the caller's own, so the request is refused earlier, 422).
    tur_only = Marking.build(Level.RESTRICTED, "TUR", ["TUR"], Tlp.AMBER_STRICT)
    with pytest.raises(Forbidden) as refused_channel:
        centre.channels.create_channel(centre.people.actor(irq_admin), kind="nation", name="TUR desk", nation="TUR",
                                       max_marking=tur_only)
    assert refused_channel.value.field == "originator"
    assert tur.post("/api/channels", json={"kind": "centre", "name": "mine", "max_marking": JOINT}).status_code == 403

    # An acknowledgement is IRQ's decision only where IRQ is concerned: a FLASH posted while the
    # operation channel had TUR members only is owed by TUR; IRQ, added later, sees it and may not.
    made = tur.post("/api/channels", json={"kind": "operation", "name": "OP LATE", "max_marking": JOINT,
                                           "subject_id": "op-late", "members": [s["ids"]["tur2"]]}).json()["id"]
    flash = say(tur, made, "FLASH: all TUR elements hold", precedence="FLASH").json()["id"]
    assert tur.post(f"/api/channels/{made}/members", json={"person_id": s["ids"]["irq"]}).status_code == 204
    assert irq.get(f"/api/messages/{flash}").status_code == 200
    not_concerned = irq.post(f"/api/messages/{flash}/ack")
    assert not_concerned.status_code == 403 and not_concerned.json()["error"]["details"]["field"] == "nation"
    assert [n["nation"] for n in tur.get(f"/api/messages/{flash}/ack").json()["nations"]] == ["TUR"]
