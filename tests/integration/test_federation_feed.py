"""The event-log feed between two nodes in one process: TUR's node on each store, IRQ's on SQLite, the
HTTP hop replaced by a direct call to the sender's `serve` (the signed hop is in
test_federation_feed_nodes.py). What each nation would notice: IRQ gets exactly the operations and
incidents TUR releases to it, with their versions, and IRQ's approval (given on IRQ's node) reaches
TUR's signed; a narrowing removes the copy; a page applied twice changes nothing; and each of the two
checks at the boundary stops what the other would let through."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from concord.api.operations import OperationIn
from concord.centre import Centre
from concord.clock import iso
from concord.domain import federation as rules
from concord.domain import federation_feed as feed
from concord.domain.errors import Forbidden, NotFound, StateConflict
from concord.domain.federation import Peer
from concord.domain.incident_facts import Counts, Location
from concord.domain.incidents import Incident, IncidentReport, IncidentStatus
from concord.domain.markings import Caveat, Level, Marking, Reader, Tlp, can_see
from concord.domain.operation_codec import plan_from_dict, plan_to_dict
from concord.domain.operation_lifecycle import Decision
from concord.domain.operations import OperationStatus
from concord.domain.people import Actor, Role
from concord.services.federation import PeerUnavailable
from concord.storage import federation as peer_store
from concord.storage import federation_feed as feed_store
from concord.storage import incidents as incident_store
from concord.storage.events import append_event
from tests.conftest import FixedClock, fast_settings
from tests.factories import person
from tests.integration.ops_helpers import national_body, operation_body

NOWHERE = "http://127.0.0.1:9"


class _Answer:
    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body

    def json(self) -> Mapping[str, Any]:
        return self.body


def link(sender: Centre, receiver: Centre) -> None:
    """The receiver's signed GET of the sender's feed, as a direct call (the sender authenticates the
    receiver's node by its key, as the route does)."""
    def get_signed(peer: Peer, path: str, params: Mapping[str, str], *, accept: str) -> _Answer:
        with sender.db.read() as conn:
            asking = peer_store.peer_by_node(conn, receiver.node.node_id)
        assert asking is not None
        return _Answer(sender.federation_feed.serve(rules.actor_of(asking), int(params["after"]),
                                                    int(params["limit"])))
    receiver.federation.get_signed = get_signed  # type: ignore[method-assign]


def peer_of(centre: Centre, name: str) -> Peer:
    with centre.db.read() as conn:
        peer = peer_store.peer_named(conn, name)
    assert peer is not None
    return peer


def someone(centre: Centre, nation: str, *roles: Role) -> Actor:
    return centre.people.actor(person(centre, nation, roles)[0])


@pytest.fixture
def nodes(centre: Centre, tmp_path: Path, clock: FixedClock) -> tuple[Centre, Centre]:
    tur = centre
    tur.federation.nation = tur.federation_feed.nation = "TUR"
    tur.nations.add("JOR", "Jordan")
    irq = Centre(fast_settings(f"sqlite:///{tmp_path / 'irq.db'}", tmp_path / "irq", node_nation="IRQ"), clock=clock)
    irq.migrate()
    irq.nations.add("TUR", "Türkiye")
    irq.nations.add("IRQ", "Iraq")
    tur.federation.add_peer(someone(tur, "TUR", Role.ADMINISTRATOR), name="irq-node", nation="IRQ", url=NOWHERE,
                            key=irq.federation.public_key(), level="SECRET")
    irq.federation.add_peer(someone(irq, "IRQ", Role.ADMINISTRATOR), name="tur-node", nation="TUR", url=NOWHERE,
                            key=tur.federation.public_key(), level="SECRET")
    link(tur, irq)
    link(irq, tur)
    yield tur, irq
    irq.close()


def plan_of(actor: Actor, body: dict[str, Any]) -> Any:
    return OperationIn.model_validate(body).to_plan(actor)


def report(centre: Centre, actor: Actor, title: str, releasable_to: list[str], clock: FixedClock) -> int:
    view = centre.incidents.report(actor, {
        "category": "other", "title": title, "location": {"type": "Point", "coordinates": [44.0, 37.1]},
        "occurred_from": iso(clock.now() - timedelta(hours=1)),
        "marking": {"level": "RESTRICTED", "originator": "TUR", "releasable_to": releasable_to, "tlp": "AMBER"},
        "partners": [n for n in releasable_to if n != "TUR"]})
    return int(view.incident.id or 0)


def test_operations_and_incidents_cross_with_signed_approvals_and_leave_when_narrowed(
        nodes: tuple[Centre, Centre], clock: FixedClock) -> None:
    tur, irq = nodes
    planner, general = someone(tur, "TUR", Role.COMMANDER), someone(tur, "TUR", Role.COMMANDER)
    irq_general, irq_watch = someone(irq, "IRQ", Role.COMMANDER), someone(irq, "IRQ", Role.WATCH_OFFICER)
    joint = tur.operations.create(planner, plan_of(planner, operation_body(clock.now()))).operation
    tur.operations.propose(planner, joint.id)
    tur.operations.create(planner, plan_of(planner, national_body(clock.now(), name="Operation TUR ONLY")))
    shared_incident = report(tur, planner, "Shared incident", ["IRQ"], clock)
    report(tur, planner, "Incident for JOR", ["JOR"], clock)

    irq.federation_feed.pull(peer_of(irq, "tur-node"))
    [copy] = irq.operations.list_visible(irq_watch)
    assert copy.plan.name == "Operation SILVER FORD" and copy.plan.marking.originator == "TUR"
    assert copy.status == OperationStatus.PROPOSED and copy.version == 1
    assert [v["version"] for v in irq.operations.versions(irq_watch, copy.id)] == [1]
    assert [i.report.title for i in irq.incidents.visible(irq_watch)] == ["Shared incident"]

    # Only TUR's node changes TUR's operation and incident, even for IRQ's own people.
    with pytest.raises(Forbidden):
        irq.operations.propose(irq_general, copy.id)
    with pytest.raises(Forbidden):
        irq.operations.cancel(irq_general, copy.id, "not ours to cancel")
    tur_on_irq = someone(irq, "TUR", Role.COMMANDER)  # not even a TUR account on IRQ's node
    with pytest.raises(Forbidden):
        irq.operations.cancel(tur_on_irq, copy.id, "changed on the wrong node")
    [irq_incident] = irq.incidents.visible(irq_watch)
    with pytest.raises(Forbidden):
        irq.incidents.acknowledge(irq_watch, int(irq_incident.id or 0))

    # IRQ's commander approves on IRQ's node; the approval reaches TUR's node signed by IRQ's node key.
    irq.operations.decide(irq_general, copy.id, version=1, decision=Decision.APPROVED)
    tur.federation_feed.pull(peer_of(tur, "irq-node"))
    on_tur = tur.operations.get(planner, joint.id)
    assert [(a.nation, a.version, a.decision) for a in on_tur.approvals] == [("IRQ", 1, Decision.APPROVED)]
    with tur.db.read() as conn:
        [(signer, statement, signature)] = feed_store.signed_statements(conn, joint.id)
    assert signer == irq.node.node_id
    irq.node.key().public_key().verify(feed.decode_signature(signature), statement.encode("utf-8"))

    # TUR's commander approves: TUR's node makes it approved, and that comes back to IRQ's copy.
    tur.operations.decide(general, joint.id, version=1, decision=Decision.APPROVED)
    assert tur.operations.get(planner, joint.id).operation.status == OperationStatus.APPROVED
    irq.federation_feed.pull(peer_of(irq, "tur-node"))
    back = irq.operations.get(irq_watch, copy.id)
    assert back.operation.status == OperationStatus.APPROVED
    assert sorted(a.nation for a in back.approvals) == ["IRQ", "TUR"]

    # A page applied twice changes nothing: rewind IRQ's position to the start and pull again.
    with irq.db.write() as tx:
        feed_store.save_feed_position(tx.conn, peer_of(irq, "tur-node").id, 0)
    irq.federation_feed.pull(peer_of(irq, "tur-node"))
    assert [o.id for o in irq.operations.list_visible(irq_watch)] == [copy.id]
    assert len(irq.incidents.visible(irq_watch)) == 1
    assert len(irq.operations.get(irq_watch, copy.id).approvals) == 2

    # TUR narrows the incident to JOR: IRQ's copy goes, history included.
    tur.incidents.edit(planner, shared_incident, {"partners": ["JOR"], "marking": {
        "level": "RESTRICTED", "originator": "TUR", "releasable_to": ["JOR"], "tlp": "AMBER"}})
    irq.federation_feed.pull(peer_of(irq, "tur-node"))
    assert irq.incidents.visible(irq_watch) == []
    with pytest.raises(NotFound):
        irq.incidents.get(irq_watch, int(irq_incident.id or 0))

    # TUR takes the operation back to itself (a new version for TUR only): IRQ's copy goes too.
    tur.operations.update(planner, joint.id, plan_of(planner, national_body(clock.now())))
    irq.federation_feed.pull(peer_of(irq, "tur-node"))
    assert irq.operations.list_visible(irq_watch) == []
    with pytest.raises(NotFound):
        irq.operations.get(irq_watch, copy.id)
    with irq.db.read() as conn:
        assert feed_store.local_copy(conn, tur.node.node_id, "operation", str(joint.id)) is None


def test_the_sender_sends_only_what_the_peer_may_see(nodes: tuple[Centre, Centre], clock: FixedClock) -> None:
    tur, _ = nodes
    planner = someone(tur, "TUR", Role.COMMANDER)
    joint = tur.operations.create(planner, plan_of(planner, operation_body(clock.now()))).operation
    hidden = tur.operations.create(planner, plan_of(planner, national_body(clock.now()))).operation
    secret = tur.operations.create(planner, plan_of(planner, operation_body(
        clock.now(), name="Operation ABOVE THE LINK", marking={"level": "SECRET", "releasable_to": ["IRQ"]}))).operation
    shared_incident = report(tur, planner, "Shared incident", ["IRQ"], clock)
    report(tur, planner, "Incident for JOR", ["JOR"], clock)
    with tur.db.write() as tx:  # IRQ's node is agreed at RESTRICTED here: SECRET stays home
        tx.conn.execute(peer_store.peers.update().values(level=2))
    page = tur.federation_feed.serve(rules.actor_of(peer_of(tur, "irq-node")), 0, 500)
    sent = {(e["kind"], e["id"]) for e in page["entries"]}
    assert sent == {("operation", str(joint.id)), ("incident", str(shared_incident))}
    assert str(hidden.id) != str(secret.id) and "ABOVE THE LINK" not in str(page) and "JOR" not in str(page)
    # Resuming after the page's position yields nothing more, and an absent item is never named.
    assert tur.federation_feed.serve(rules.actor_of(peer_of(tur, "irq-node")), page["next"], 500)["entries"] == []
    # A position beyond the log (the sender was restored from a backup) is an error, never "nothing new".
    with pytest.raises(StateConflict):
        tur.federation_feed.serve(rules.actor_of(peer_of(tur, "irq-node")), page["next"] + 1, 500)


def entry(peer: Peer, **changes: Any) -> dict[str, Any]:
    """An operation entry as TUR's node would send it, changed by `changes`."""
    body = operation_body(FixedClock().now())
    marking = changes.pop("marking", Marking.build("RESTRICTED", peer.nation, ["IRQ"]))
    plan = OperationIn.model_validate(body).to_plan(Actor(1, "x", "x", peer.nation, marking.level,
                                                         frozenset({Role.COMMANDER})))
    plan_dict = plan_to_dict(plan) | changes.pop("plan", {})
    plan_from_dict(plan_dict, marking)
    stamp = feed.stamp(FixedClock().now())
    return {"kind": "operation", "op": "put", "id": changes.pop("id", "1"), "status": "proposed", "version": 1,
            "plan": plan_dict, "marking": marking.to_dict(), "created_at": stamp, "updated_at": stamp,
            "versions": [], **changes}


def test_the_receiver_refuses_what_the_peer_could_not_release_here_and_records_it(
        nodes: tuple[Centre, Centre]) -> None:
    _, irq = nodes
    tur_node = peer_of(irq, "tur-node")
    irq_watch = someone(irq, "IRQ", Role.WATCH_OFFICER)
    refused = [
        entry(tur_node, id="10", marking=Marking.build("RESTRICTED", "TUR", [])),  # TUR's eyes only
        entry(tur_node, id="11", marking=Marking.build("RESTRICTED", "JOR", ["IRQ", "TUR"])),  # JOR's, relayed
        entry(tur_node, id="12", marking=Marking.build("RESTRICTED", "TUR", ["IRQ"], "RED")),  # TLP:RED
        entry(tur_node, id="13", plan={"lead_nation": "JOR"}),  # led by another nation
    ]
    accepted = entry(tur_node, id="14")
    assert irq.federation_feed._apply(tur_node, 0, 7, [*refused, accepted]) == 1
    [copy] = irq.operations.list_visible(irq_watch)
    assert copy.plan.marking.originator == "TUR"
    with irq.db.read() as conn:
        _, link = next((p, lk) for p, lk in peer_store.list_peers(conn) if p.name == "tur-node")
        assert feed_store.local_copy(conn, tur_node.node_id, "operation", "14") == copy.id
        assert feed_store.feed_position(conn, tur_node.id) == (True, 7)
    assert link["refused"] == 4 and "not by the peer's nation" in str(link["last_refusal"])
    # A decision for another nation, or not signed by the peer's key, is refused too.
    forged = {"kind": "decisions", "operation": {"node": tur_node.node_id, "id": "14"}, "nation": "TUR",
              "decisions": [{"statement": {"nation": "TUR", "operation": {"node": tur_node.node_id, "id": "14"},
                                           "version": 1, "signer": tur_node.node_id, "decision": "approved"},
                             "signature": feed.encode_signature(irq.node.key().sign(b"not the statement"))}]}
    assert irq.federation_feed._apply(tur_node, 7, 8, [forged]) == 0
    assert irq.operations.get(irq_watch, copy.id).approvals == []


def test_a_peer_removed_and_added_again_is_still_owed_the_removals(
        nodes: tuple[Centre, Centre], clock: FixedClock) -> None:
    tur, irq = nodes
    planner, tur_admin = someone(tur, "TUR", Role.COMMANDER), someone(tur, "TUR", Role.ADMINISTRATOR)
    irq_watch = someone(irq, "IRQ", Role.WATCH_OFFICER)
    shared = report(tur, planner, "Shared incident", ["IRQ"], clock)
    irq.federation_feed.pull(peer_of(irq, "tur-node"))
    assert len(irq.incidents.visible(irq_watch)) == 1
    tur.federation.remove_peer(tur_admin, "irq-node")
    tur.federation.add_peer(tur_admin, name="irq-node", nation="IRQ", url=NOWHERE, key=irq.federation.public_key(),
                            level="SECRET")
    tur.incidents.edit(planner, shared, {"partners": ["JOR"], "marking": {
        "level": "RESTRICTED", "originator": "TUR", "releasable_to": ["JOR"], "tlp": "AMBER"}})
    irq.federation_feed.pull(peer_of(irq, "tur-node"))
    assert irq.incidents.visible(irq_watch) == []


def test_a_nation_with_its_own_node_decides_there_only(nodes: tuple[Centre, Centre], clock: FixedClock) -> None:
    tur, _ = nodes
    planner = someone(tur, "TUR", Role.COMMANDER)
    joint = tur.operations.create(planner, plan_of(planner, operation_body(clock.now()))).operation
    tur.operations.propose(planner, joint.id)
    # An IRQ commander's account on TUR's node: IRQ's node speaks for IRQ, so IRQ's decisions come from there.
    with pytest.raises(Forbidden):
        tur.operations.decide(someone(tur, "IRQ", Role.COMMANDER), joint.id, version=1, decision=Decision.APPROVED)
    assert tur.operations.get(planner, joint.id).approvals == []


def test_nothing_crosses_that_the_policy_denies_on_either_check(nodes: tuple[Centre, Centre]) -> None:
    """Over generated markings and agreed levels: the sender sends an incident exactly when the policy
    releases it to IRQ at that level, and the receiver, fed it whatever the sender decided (a sender
    without its check), accepts it exactly then too."""
    tur, irq = nodes
    asking = peer_of(tur, "irq-node")
    positions = {"sent": 0, "applied": 0}
    serial = iter(range(1_000_000))

    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(level=st.sampled_from(Level), releasable=st.sets(st.sampled_from(["IRQ", "JOR"])),
           tlp=st.sampled_from(Tlp), orcon=st.booleans(), agreed=st.sampled_from(Level))
    def check(level: Level, releasable: set[str], tlp: Tlp, orcon: bool, agreed: Level) -> None:
        marking = Marking.build(level, "TUR", releasable, tlp, [Caveat.ORCON] if orcon else [])
        for centre in (tur, irq):
            with centre.db.write() as tx:
                tx.conn.execute(peer_store.peers.update().values(level=int(agreed)))
        now = FixedClock().now()
        report = IncidentReport("other", f"generated {next(serial)}", "", Location.parse(
            {"type": "Point", "coordinates": [44.0, 37.1]}), now, None, Counts(), marking, frozenset({"IRQ"}))
        with tur.db.write() as tx:
            incident_id = incident_store.add_incident(tx.conn, Incident(None, "TUR", report, IncidentStatus.REPORTED,
                                                                        now, now))
            append_event(tx, at=now, kind="incident.reported", item_type="incident", item_id=incident_id,
                         marking=marking, actor_id=None, actor_nation="TUR", payload={})
        releasable_here = can_see(Reader(None, "IRQ", agreed), marking)
        page = tur.federation_feed.serve(rules.actor_of(asking), positions["sent"], 500)
        positions["sent"] = page["next"]
        assert ({int(e["id"]) for e in page["entries"]} == {incident_id}) == releasable_here, marking
        stored = Incident(incident_id, "TUR", report, IncidentStatus.REPORTED, now, now)
        offered = {"kind": "incident", "op": "put", "id": str(incident_id), **feed.incident_entry(stored, [])}
        applied = positions["applied"]
        accepted = irq.federation_feed._apply(peer_of(irq, "tur-node"), applied, applied + 1, [offered])
        positions["applied"] += 1
        assert (accepted == 1) == releasable_here, marking

    check()


def test_a_peer_that_serves_no_feed_is_a_taxii_only_peer_not_a_failure(nodes: tuple[Centre, Centre]) -> None:
    _, irq = nodes

    def no_feed(peer: Peer, path: str, params: Mapping[str, str], *, accept: str) -> _Answer:
        raise PeerUnavailable(f"{peer.name} answered 404 to GET {path}", status=404)
    irq.federation.get_signed = no_feed  # type: ignore[method-assign]
    assert irq.federation_feed.pull(peer_of(irq, "tur-node")) == 0

    def down(peer: Peer, path: str, params: Mapping[str, str], *, accept: str) -> _Answer:
        raise PeerUnavailable(f"{peer.name} answered 502 to GET {path}", status=502)
    irq.federation.get_signed = down  # type: ignore[method-assign]
    with pytest.raises(PeerUnavailable):
        irq.federation_feed.pull(peer_of(irq, "tur-node"))
