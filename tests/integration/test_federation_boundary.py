"""The federation boundary on one node: who may read its TAXII collections as a peer node (a request
signed with a key an administrator added, nothing else), what that peer then sees (the sender's
check), what a node accepts from a peer (the receiver's check), and that received items stay the
originator node's to change."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient
from http_message_signatures import HTTPMessageVerifier, InvalidSignature, algorithms

from concord.centre import Centre
from concord.domain import intel_markings
from concord.domain.errors import Forbidden
from concord.domain.federation import SIGNATURE_TAG, Peer
from concord.domain.intel import collection_id
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.people import Actor, Role
from concord.services.federation import COVERED_RESPONSE, FederationService, NodeIdentity, PeerKey
from concord.services.intel_read import ListFilter
from concord.storage import federation as store
from tests.factories import person

#: A peer URL nothing answers on (the background puller of the app under test fails fast on it).
NOWHERE = "http://127.0.0.1:9"


def actor(centre: Centre, nation: str, role: Role) -> Actor:
    return centre.people.actor(person(centre, nation, (role,))[0])


def indicator(name: str, marking: Marking | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
                           "created": "2026-12-01T10:00:00.000Z", "modified": "2026-12-01T10:00:00.000Z",
                           "name": name, "pattern": f"[domain-name:value = '{name}.example']",
                           "pattern_type": "stix", "valid_from": "2026-12-01T10:00:00Z"}
    if marking is not None:
        obj["object_marking_refs"] = intel_markings.to_stix(marking)[0]
    return obj


def other_node(centre: Centre, directory: Path, nation: str) -> FederationService:
    """Another node's identity and federation service (only its signing is used here)."""
    return FederationService(centre.db, centre.clock, NodeIdentity(directory), centre.intel, lambda: {},
                             nation=nation)


def signed_get(node: FederationService, url: str) -> dict[str, str]:
    prepared = node.signed(requests.Request("GET", url, headers={"Accept": "application/taxii+json;version=2.1"})
                           .prepare())
    return dict(prepared.headers)


def test_only_a_request_signed_by_a_peer_reads_and_it_reads_as_its_nation(
        centre: Centre, client: TestClient, tmp_path: Path) -> None:
    centre.federation.nation = "TUR"
    admin, analyst = actor(centre, "TUR", Role.ADMINISTRATOR), actor(centre, "TUR", Role.ANALYST)
    shared, kept, secret = indicator("shared"), indicator("kept"), indicator("secret")
    centre.intel.publish(analyst, [shared], Marking.build(Level.RESTRICTED, "TUR", ["IRQ"], Tlp.AMBER))
    centre.intel.publish(analyst, [kept], Marking.build(Level.RESTRICTED, "TUR", [], Tlp.AMBER))
    centre.intel.publish(analyst, [secret], Marking.build(Level.SECRET, "TUR", ["IRQ"], Tlp.AMBER))
    irq = other_node(centre, tmp_path / "irq-keys", "IRQ")
    stranger = other_node(centre, tmp_path / "stranger-keys", "IRQ")
    url = f"http://testserver/taxii2/concord/collections/{collection_id('TUR')}/objects/"

    # Before TUR's administrator adds IRQ's node, its signature is a stranger's.
    assert client.get(url, headers=signed_get(irq, url)).status_code == 401
    centre.federation.add_peer(admin, name="irq-node", nation="IRQ", url=NOWHERE, key=irq.public_key(),
                               level="RESTRICTED")
    answered = client.get(url, headers=signed_get(irq, url))
    assert answered.status_code == 200, answered.text
    # The sender's check: IRQ at RESTRICTED sees the shared object, not the TUR-only or SECRET ones.
    assert [o["id"] for o in answered.json()["objects"]] == [shared["id"]]
    # The answer is signed by TUR's node key, over its status and content, bound to the request.
    tur_as_peer = Peer(1, "tur-node", "TUR", "http://testserver", centre.node.public_raw(), Level.RESTRICTED,
                       centre.clock.now())
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=PeerKey(tur_as_peer))
    verifier.verify(answered, expect_tag=SIGNATURE_TAG, require_components=COVERED_RESPONSE, body=answered.content)
    with pytest.raises(InvalidSignature):
        verifier.verify(answered, expect_tag=SIGNATURE_TAG, require_components=COVERED_RESPONSE,
                        body=answered.content.replace(b"shared", b"forged"))

    assert client.get(url, headers={"Accept": "application/taxii+json;version=2.1"}).status_code == 401
    assert client.get(url, headers=signed_get(stranger, url)).status_code == 401
    # A signature covers the path and query: one made for another request does not pass.
    other = url + "?limit=1"
    assert client.get(other, headers=signed_get(irq, url)).status_code == 401
    # A peer node reads; it never writes.
    posted = client.post(url, headers={**signed_get(irq, url), "Content-Type": "application/taxii+json;version=2.1"},
                         content=b'{"objects": []}')
    assert posted.status_code in (401, 403)

    # Removed: cut at once.
    centre.federation.remove_peer(admin, "irq-node")
    assert client.get(url, headers=signed_get(irq, url)).status_code == 401


def test_the_receiver_refuses_and_records_what_its_peer_could_not_release(centre: Centre, tmp_path: Path) -> None:
    centre.federation.nation = "IRQ"
    admin = actor(centre, "IRQ", Role.ADMINISTRATOR)
    irq_reader = actor(centre, "IRQ", Role.ANALYST)
    tur = other_node(centre, tmp_path / "tur-keys", "TUR")
    peer = centre.federation.add_peer(admin, name="tur-node", nation="TUR", url=NOWHERE, key=tur.public_key(),
                                      level="RESTRICTED")
    fine = indicator("fine", Marking.build(Level.RESTRICTED, "TUR", ["IRQ"], Tlp.AMBER))
    tur_only = indicator("tur-only", Marking.build(Level.RESTRICTED, "TUR", [], Tlp.AMBER))
    too_high = indicator("too-high", Marking.build(Level.SECRET, "TUR", ["IRQ"], Tlp.AMBER))
    unknown = indicator("unknown-marking")
    unknown["object_marking_refs"] = [f"marking-definition--{uuid.uuid4()}"]

    received = centre.federation._take(peer, [fine, tur_only, too_high, unknown], "2026-12-07T10:00:00.000001Z")

    assert received == 1
    seen = {o.stix_id: o for o in centre.intel_read.list_objects(irq_reader, _all())}
    assert set(seen) == {fine["id"]}
    assert seen[fine["id"]].marking.originator == "TUR"
    with centre.db.read() as conn:
        [(_, link)] = store.list_peers(conn)
        origin = store.origin_node(conn, "intel_object", seen[fine["id"]].id)
    assert (link["received"], link["refused"], link["pulled_until"]) == (1, 3, "2026-12-07T10:00:00.000001Z")
    assert "not releasable to IRQ" in str(link["last_refusal"])
    assert origin == peer.node_id

    # Only the originator's node changes it: not even a TUR account on this node.
    tur_here = actor(centre, "TUR", Role.ANALYST)
    with pytest.raises(Forbidden):
        centre.intel.revoke(tur_here, seen[fine["id"]].id)

    # The same page again changes nothing (a pull interrupted before its cursor moved is repeated).
    assert centre.federation._take(peer, [fine], "2026-12-07T10:00:00.000001Z") == 1
    assert [o.stix_id for o in centre.intel_read.list_objects(irq_reader, _all())] == [fine["id"]]


def _all() -> ListFilter:
    return ListFilter(include_revoked=True)


def test_only_administrators_of_the_node_nation_manage_peers(centre: Centre) -> None:
    """The admin API's rule, on one store (its centre has TUR and IRQ): only TUR's administrators, audited."""
    centre.federation.nation = "TUR"
    tur_admin, irq_admin = actor(centre, "TUR", Role.ADMINISTRATOR), actor(centre, "IRQ", Role.ADMINISTRATOR)
    analyst = actor(centre, "TUR", Role.ANALYST)
    key = "A" * 43 + "="
    for refused in (irq_admin, analyst):
        with pytest.raises(Forbidden):
            centre.federation.add_peer(refused, name="irq-node", nation="IRQ", url=NOWHERE, key=key,
                                       level="SECRET")
    peer = centre.federation.add_peer(tur_admin, name="irq-node", nation="IRQ", url=NOWHERE + "/", key=key,
                                      level="secret")
    assert (peer.url, peer.level.name) == (NOWHERE, "SECRET")
    assert [v.peer.name for v in centre.federation.peers(tur_admin)] == ["irq-node"]
    events = [e for e in centre_events(centre) if e.startswith("peer.")]
    assert events == ["peer.added"]


def centre_events(centre: Centre) -> list[str]:
    from sqlalchemy import select

    from concord.storage.events import events

    with centre.db.read() as conn:
        return [str(k) for k in conn.execute(select(events.c.kind).order_by(events.c.id)).scalars()]
