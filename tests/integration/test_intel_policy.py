"""No path — TAXII, REST, search, export, correlation — returns an object the policy denies.

Generated markings are published by generated nations; generated people then read through every
path over HTTP, and everything they receive is checked against `can_see` with the marking that was
published. Each path must also return every object the policy allows (TAXII, REST list, export),
so an over-strict filter cannot pass for a correct one.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import hypothesis.strategies as st
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from concord.centre import Centre
from concord.domain.markings import Level, Marking, Reader, Tlp, can_see
from concord.domain.people import Actor, Role
from tests.factories import ApiClient, person, sign_in
from tests.intel_factories import TAXII, collection_url, indexed, indicator

NATIONS = ["TUR", "IRQ", "JOR"]
markings = st.builds(
    lambda level, origin, rel, tlp: Marking.build(level, origin, rel, tlp),
    st.sampled_from(list(Level)), st.sampled_from(NATIONS), st.sets(st.sampled_from(NATIONS), max_size=3),
    st.sampled_from(list(Tlp)),
)
readers = st.tuples(st.sampled_from(NATIONS), st.sampled_from(list(Level)),
                    st.sampled_from([Role.ANALYST, Role.OBSERVER, Role.COMMANDER]))
_serial = itertools.count(1)


def test_no_path_returns_what_the_policy_denies(centre: Centre, client: TestClient) -> None:
    centre.nations.add("JOR", "Jordan")
    people: dict[tuple[str, Level, Role], tuple[ApiClient, Actor]] = {}
    published: dict[str, Marking] = {}  # stix id → marking, across examples

    def login(nation: str, clearance: Level, role: Role) -> tuple[ApiClient, Actor]:
        key = (nation, clearance, role)
        if key not in people:
            person_id, username = person(centre, nation, (role,), clearance=clearance)
            view = centre.people.get(person_id)
            actor = Actor.at(person_id=person_id, username=username, display_name=view.display_name, nation=nation,
                             clearance=clearance, appointments=view.appointments, now=centre.clock.now())
            people[key] = (sign_in(client, username), actor)
        return people[key]

    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(markings, min_size=1, max_size=5), st.lists(readers, min_size=1, max_size=3))
    def check(generated: list[Marking], who: list[tuple[str, Level, Role]]) -> None:
        shared_value = f"192.0.2.{next(_serial) % 250 + 1}"
        for marking in generated:
            api, _ = login(marking.originator, Level.SECRET, Role.ANALYST)
            obj = indicator(shared_value, name=f"Policy probe {next(_serial)}")
            reply = api.post("/api/intel/objects", json={"objects": [obj], "marking": {
                "level": marking.level.name, "releasable_to": sorted(marking.releasable_to),
                "tlp": marking.tlp.value}})
            assert reply.status_code == 201, reply.text
            published[obj["id"]] = marking
        indexed(centre)  # search and correlation follow the event log: checked once they have caught up
        for nation, clearance, role in who:
            api, actor = login(nation, clearance, role)
            reader = actor.reader
            allowed = {i for i, m in published.items() if can_see(reader, m)}
            _check_paths(api, reader, allowed, published)

    check()


def _check_paths(api: ApiClient, reader: Reader, allowed: set[str], published: dict[str, Marking]) -> None:
    def denied(ids: set[str]) -> set[str]:
        return {i for i in ids if i in published and i not in allowed}

    headers = {"Accept": TAXII}
    taxii = _taxii_ids(api, headers, collection_url("joint") + "objects/")
    assert not denied(taxii) and allowed <= taxii
    for nation in NATIONS:
        feed = _taxii_ids(api, headers, collection_url(nation) + "objects/")
        assert not denied(feed)
        assert {i for i in allowed if published[i].originator == nation} <= feed
    manifest = api.get(collection_url("joint") + "manifest/", headers=headers).json().get("objects", [])
    assert not denied({m["id"] for m in manifest})
    listed = api.get("/api/intel/objects", params={"limit": 500}).json()["items"]
    assert not denied({i["stix_id"] for i in listed}) and allowed <= {i["stix_id"] for i in listed}
    searched = api.get("/api/intel/objects", params={"q": "policy probe", "limit": 500}).json()["items"]
    assert not denied({i["stix_id"] for i in searched}) and allowed <= {i["stix_id"] for i in searched}
    exported = json.loads(api.get("/api/intel/export").text)["objects"]
    exported_ids = {o["id"] for o in exported}
    assert not denied(exported_ids) and allowed <= exported_ids
    for stix_id in list(published)[-6:]:
        single = api.get(collection_url("joint") + f"objects/{stix_id}/", headers=headers)
        assert single.status_code == (200 if stix_id in allowed else 404)
    for item in listed[:5]:
        detail = api.get(f"/api/intel/objects/{item['id']}").json()
        linked = {r["stix_id"] for r in detail["relationships"]} | {c["other"]["stix_id"]
                                                                     for c in detail["correlations"]}
        assert not denied(linked)
    for correlation in api.get("/api/intel/correlations", params={"limit": 500}).json():
        assert not denied({o["stix_id"] for o in correlation["objects"]})
    for event in api.get("/api/events", params={"limit": 1000}).json():
        if event["kind"] == "intel.correlated":
            assert not denied({o["stix_id"] for o in event["payload"]["objects"]})


def _taxii_ids(api: ApiClient, headers: dict[str, str], url: str) -> set[str]:
    found: set[str] = set()
    params: dict[str, Any] = {"limit": 50}
    while True:
        body = api.get(url, headers=headers, params=params).json()
        found |= {o["id"] for o in body.get("objects", [])}
        if not body["more"]:
            return found
        params = {"limit": 50, "next": body["next"]}
