"""The boundary between nations, case by case (issue #20), through the HTTP API on SQLite and
PostgreSQL: a hidden item answers like an absent one, counts never include what the reader may not
see, only the originating nation changes its items, approvals bind content, a conflict is cleared by
every nation it concerns, and history follows the item's current marking."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.clock import FixedClock
from concord.domain.people import Role
from tests.factories import ApiClient, person, sign_in
from tests.integration.ops_helpers import operation_body, proposed, staff
from tests.intel_factories import indexed, indicator

TUR_ONLY = {"level": "RESTRICTED", "releasable_to": [], "tlp": "AMBER"}
BOTH = {"level": "RESTRICTED", "releasable_to": ["IRQ", "TUR"], "tlp": "AMBER"}


def _signed_in(centre: Centre, client: TestClient, nation: str, *roles: Role) -> ApiClient:
    return sign_in(client, person(centre, nation, roles)[1])


def _absent_and_hidden_alike(api: ApiClient, method: str, hidden: str, absent: str, **kw: Any) -> None:
    """The same status and the same body shape (ids aside) for a hidden item and an absent one."""
    a = getattr(api, method)(hidden, **kw)
    b = getattr(api, method)(absent, **kw)
    assert a.status_code == b.status_code == 404, (a.text, b.text)
    assert a.json()["error"]["code"] == b.json()["error"]["code"]
    assert set(a.json()["error"]) == set(b.json()["error"])


def test_a_channel_marked_for_one_nation_is_absent_for_the_other(centre: Centre, client: TestClient) -> None:
    tur_admin = _signed_in(centre, client, "TUR", Role.ADMINISTRATOR)
    made = tur_admin.post("/api/channels", json={"kind": "centre", "name": "TUR planning cell",
                                                 "max_marking": TUR_ONLY})
    assert made.status_code == 201, made.text
    channel_id = made.json()["id"]
    absent = 10**9
    message = {"body": "hello", "precedence": "ROUTINE", "marking": {"level": "UNCLASSIFIED", "releasable_to": []}}
    for role in (Role.ADMINISTRATOR, Role.COMMANDER, Role.LIAISON_OFFICER, Role.ANALYST, Role.WATCH_OFFICER,
                 Role.OBSERVER):
        irq = _signed_in(centre, client, "IRQ", role)
        assert all(c["id"] != channel_id for c in irq.get("/api/channels").json()), role
        assert "TUR planning cell" not in irq.get("/api/channels").text
        assert str(channel_id) not in irq.get("/api/messages/unread").json()
        _absent_and_hidden_alike(irq, "get", f"/api/channels/{channel_id}/messages",
                                 f"/api/channels/{absent}/messages")
        _absent_and_hidden_alike(irq, "post", f"/api/channels/{channel_id}/messages",
                                 f"/api/channels/{absent}/messages", json=message)
        _absent_and_hidden_alike(irq, "get", "/api/messages/search?q=hello&channel_id=" + str(channel_id),
                                 f"/api/messages/search?q=hello&channel_id={absent}")
    # The nation it is marked for still has it.
    assert any(c["id"] == channel_id for c in tur_admin.get("/api/channels").json())
    assert tur_admin.post(f"/api/channels/{channel_id}/messages", json=message).status_code == 201


def test_the_correlation_count_never_includes_a_hidden_holding(centre: Centre, client: TestClient) -> None:
    tur = _signed_in(centre, client, "TUR", Role.ANALYST)
    irq = _signed_in(centre, client, "IRQ", Role.ANALYST)
    held, nobody = "192.0.2.201", "192.0.2.202"
    assert tur.post("/api/intel/objects", json={"objects": [indicator(held)], "marking": TUR_ONLY}).status_code == 201
    mine = {"level": "RESTRICTED", "releasable_to": [], "tlp": "AMBER"}
    published = {}
    for value in (held, nobody):
        reply = irq.post("/api/intel/objects", json={"objects": [indicator(value)], "marking": mine})
        assert reply.status_code == 201, reply.text
        published[value] = reply.json()["items"][0]["id"]
    indexed(centre)
    for value, object_id in published.items():  # a value TUR holds hidden answers like one nobody holds
        assert irq.get(f"/api/intel/objects/{object_id}").json()["correlations"] == [], value
    assert irq.get("/api/intel/correlations").json() == []
    # Shared with IRQ, the same value does correlate and is listed for the publisher who sees both.
    shared = "192.0.2.203"
    tur.post("/api/intel/objects", json={"objects": [indicator(shared)], "marking": BOTH})
    irq.post("/api/intel/objects", json={"objects": [indicator(shared)], "marking": mine})
    indexed(centre)
    assert [c["value"] for c in irq.get("/api/intel/correlations").json()] == [shared]


def test_only_the_nation_that_added_a_site_retires_it(centre: Centre, client: TestClient) -> None:
    irq_watch = _signed_in(centre, client, "IRQ", Role.WATCH_OFFICER)
    school = irq_watch.post("/api/sites", json={
        "kind": "school", "name": "Fictional Hillside School", "buffer_m": 300,
        "geometry": {"type": "Point", "coordinates": [43.2, 36.2]}, "marking": {**BOTH, "releasable_to": ["TUR"]}})
    assert school.status_code == 201, school.text
    site_id = school.json()["id"]
    for role in (Role.COMMANDER, Role.LIAISON_OFFICER, Role.ANALYST, Role.WATCH_OFFICER):
        tur = _signed_in(centre, client, "TUR", role)
        refused = tur.post(f"/api/sites/{site_id}/retire", json={"reason": "clear the way"})
        assert refused.status_code == 403, (role, refused.text)
        assert tur.get(f"/api/sites/{site_id}").json()["status"] != "retired"
    retired = irq_watch.post(f"/api/sites/{site_id}/retire", json={"reason": "school closed"})
    assert retired.json()["status"] == "retired"


def _approved(s: Any, clock: FixedClock) -> dict[str, Any]:
    op = proposed(s.tur_planner, operation_body(clock.now()))
    for general in (s.tur_general, s.irq_general):
        reply = general.post(f"/api/operations/{op['id']}/approve", json={"version": op["version"]})
        assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "approved"
    return dict(reply.json())


def test_a_changed_approved_operation_is_a_new_version_and_history_stays(centre: Centre, client: TestClient,
                                                                         clock: FixedClock) -> None:
    s = staff(centre, client)
    op = _approved(s, clock)
    url = f"/api/operations/{op['id']}"
    reworded = s.tur_planner.put(url, json=operation_body(clock.now(), objective="A reworded fictional objective"))
    assert reworded.status_code == 200, reworded.text
    # A new version, back to proposed, both approvals void; the old version's text is kept as it was.
    assert (reworded.json()["version"], reworded.json()["status"]) == (2, "proposed")
    assert reworded.json()["pending_nations"] == ["IRQ", "TUR"]
    versions = s.irq_general.get(f"{url}/versions").json()
    assert [(v["version"], v["plan"]["objective"]) for v in versions] == [
        (1, operation_body(clock.now())["objective"]), (2, "A reworded fictional objective")]
    live = s.irq_general.get(url).json()
    assert (live["version"], live["plan"]["objective"]) == (2, "A reworded fictional objective")
    # The approval given for version 1 does not carry over to version 2.
    stale = s.irq_general.post(f"{url}/approve", json={"version": 1})
    assert stale.status_code == 409


def test_a_conflict_is_cleared_only_by_every_nation_concerned(centre: Centre, client: TestClient,
                                                              clock: FixedClock) -> None:
    s = staff(centre, client)
    centre.nations.add("JOR", "Jordan")
    joint = proposed(s.tur_planner, operation_body(clock.now()))
    iraqi = proposed(s.irq_planner, operation_body(
        clock.now(), name="Operation DEMO REED", participants=["IRQ"], tasks=[],
        marking={"level": "RESTRICTED", "releasable_to": ["TUR", "JOR"]},
        forces=[{"nation": "IRQ", "name": "Demo Border Guard Unit", "sidc": "10031000141211000000"}]))
    [conflict] = [c for c in s.tur_general.get(f"/api/operations/{joint['id']}/conflicts").json()
                  if c.get("sides") and f"operation:{iraqi['id']}" in [x["item"] for x in c["sides"]]]
    conflict_id = conflict["conflict_id"]
    assert conflict["awaiting_nations"] == ["IRQ", "TUR"]
    # TUR overrides for its own operation: that clears the conflict for TUR alone.
    assert s.tur_general.post(f"/api/conflicts/{conflict_id}/override", json={
        "operation_id": joint["id"], "justification": "TUR accepts the overlap"}).status_code == 200
    assert s.tur_general.get(f"/api/conflicts/{conflict_id}").json()["awaiting_nations"] == ["IRQ"]
    assert s.tur_general.post(f"/api/operations/{joint['id']}/approve", json={"version": 1}).status_code == 409
    refused = s.irq_general.post(f"/api/operations/{joint['id']}/approve", json={"version": 1})
    assert refused.status_code == 409, refused.text  # no approval on TUR's override alone
    assert s.tur_general.get(f"/api/operations/{joint['id']}").json()["blocking_conflicts"] >= 1
    # A nation that sees both sides but has no item in the conflict takes no step on it.
    jor = sign_in(client, person(centre, "JOR", (Role.WATCH_OFFICER,))[1])
    assert jor.get(f"/api/conflicts/{conflict_id}").status_code == 200
    assert jor.post(f"/api/conflicts/{conflict_id}/resolve", json={"note": "not ours"}).status_code == 403
    # TUR resolving clears nothing for IRQ either; IRQ resolving for itself does clear it.
    tur_resolve = s.tur_general.post(f"/api/conflicts/{conflict_id}/resolve", json={"note": "TUR side agreed"})
    assert tur_resolve.status_code == 200 and tur_resolve.json()["status"] != "resolved"
    assert s.tur_general.post(f"/api/conflicts/{conflict_id}/resolve", json={"note": "again"}).status_code == 409
    irq_resolve = s.irq_general.post(f"/api/conflicts/{conflict_id}/resolve", json={"note": "IRQ side agreed"})
    assert irq_resolve.json()["status"] == "resolved" and irq_resolve.json()["awaiting_nations"] == []
    remaining = s.tur_general.get(f"/api/operations/{joint['id']}").json()["blocking_conflicts"]
    assert remaining == 0, remaining
    for general in (s.tur_general, s.irq_general):
        last = general.post(f"/api/operations/{joint['id']}/approve", json={"version": 1})
        assert last.status_code == 200, last.text
    assert last.json()["status"] == "approved"


def test_history_follows_an_items_current_marking(centre: Centre, client: TestClient) -> None:
    from tests.integration.realtime.live import Socket, live_server
    from tests.integration.realtime.live import sign_in as live_sign_in

    tur = _signed_in(centre, client, "TUR", Role.ANALYST)
    person(centre, "IRQ", (Role.ANALYST,), username="irq.replayer")
    irq = sign_in(client, "irq.replayer")
    shared = indicator("198.51.100.21", name="Fictional relay, shared at first")
    published = tur.post("/api/intel/objects", json={"objects": [shared], "marking": BOTH})
    object_id = published.json()["items"][0]["id"]
    assert shared["id"] in irq.get("/api/events", params={"after": 0, "limit": 1000}).text  # seen while shared
    assert tur.put(f"/api/intel/objects/{object_id}/release", json=TUR_ONLY).status_code == 204
    assert irq.get(f"/api/intel/objects/{object_id}").status_code == 404
    # REST replay from the start: nothing of the narrowed object, not its id, not its old marking.
    replay = irq.get("/api/events", params={"after": 0, "limit": 1000})
    assert replay.status_code == 200 and shared["id"] not in replay.text
    assert "Fictional relay" not in replay.text
    # Its originator still has the whole history.
    assert shared["id"] in tur.get("/api/events", params={"after": 0, "limit": 1000}).text
    # WebSocket replay from the first position: the same.
    marker = indicator("198.51.100.22", name="Marker after narrowing")
    tur.post("/api/intel/objects", json={"objects": [marker], "marking": BOTH})
    with live_server(centre) as address:
        socket = Socket(address, live_sign_in(address, "irq.replayer", "correct horse battery staple"),
                        last_event_id=0)
        frames: list[dict[str, Any]] = []
        while not frames or marker["id"] not in str(frames[-1]):
            frames.extend(socket.events(1))
        socket.ws.close()
    assert shared["id"] not in str(frames) and "Fictional relay" not in str(frames)


def test_the_joint_channel_reaches_a_nation_that_joins_later(centre: Centre, client: TestClient) -> None:
    centre.channels.ensure_standard_channels()
    centre.nations.add("JOR", "Jordan")
    jor = _signed_in(centre, client, "JOR", Role.WATCH_OFFICER)
    assert "Joint watch" not in jor.get("/api/channels").text  # its ceiling predates Jordan
    centre.channels.ensure_standard_channels()
    assert {"Joint watch", "JOR internal"} <= {c["name"] for c in jor.get("/api/channels").json()}
    assert "TUR internal" not in jor.get("/api/channels").text
