"""A third nation joins (issue 17, item 6): JOR's node peers with TUR's and IRQ's, which already share.

Three real `concord serve` processes, each with its own database and keys: TUR's on PostgreSQL, IRQ's
and JOR's on SQLite. What JOR's people would notice: their node receives exactly what each peer
releases to JOR, including what was released to JOR before it joined (backfill); nothing released
only to the other two; no nation's items relayed by another nation's node; what JOR releases reaches
only the nations it names; a release narrowed afterwards leaves JOR and stays with IRQ.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from concord.centre import Centre
from concord.domain.people import Role
from tests.conftest import fast_settings, throwaway_postgres
from tests.factories import person
from tests.integration.realtime.test_processes import wait_ready
from tests.integration.test_federation_nodes import Node, add_peer, indicator, publish, until

pytestmark = [pytest.mark.postgres]

NATIONS = {"TUR": "Türkiye", "IRQ": "Iraq", "JOR": "Jordan"}


def make_node(nation: str, database_url: str, data_dir: Path) -> Node:
    centre = Centre(fast_settings(database_url, data_dir, node_nation=nation))
    centre.migrate()
    for code, name in NATIONS.items():
        centre.nations.add(code, name)
    person(centre, nation, (Role.ADMINISTRATOR,), username=f"{nation.lower()}.admin")
    person(centre, nation, (Role.ANALYST,), username=f"{nation.lower()}.analyst")
    key = centre.federation.public_key()
    centre.close()
    return Node(nation, database_url, data_dir, key)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Node]]:
    root = tmp_path_factory.mktemp("third-nation")
    with throwaway_postgres() as url:
        started = {"TUR": make_node("TUR", url, root / "tur"),
                   "IRQ": make_node("IRQ", f"sqlite:///{root / 'irq.db'}", root / "irq"),
                   "JOR": make_node("JOR", f"sqlite:///{root / 'jor.db'}", root / "jor")}
        for node in started.values():  # all three import at once: start-up is the slow part
            node.start()
        try:
            for node in started.values():
                assert node.proc is not None
                wait_ready(node.proc, node.address)
            yield started
        finally:
            for node in started.values():
                node.stop()


def objects_from(api: httpx.Client, originator: str) -> dict[str, dict[str, Any]]:
    """What a node's analyst sees of `originator`'s intelligence, by STIX id."""
    response = api.get("/api/intel/objects", params={"originator": originator, "include_revoked": "true"})
    assert response.status_code == 200, response.text
    return {o["stix_id"]: o for o in response.json()["items"]}


def links(api: httpx.Client) -> dict[str, dict[str, Any]]:
    response = api.get("/api/peers")
    assert response.status_code == 200, response.text
    return {link["name"]: link for link in response.json()}


def peer_both_ways(admins: dict[str, httpx.Client], nodes: dict[str, Node], a: str, b: str) -> None:
    add_peer(admins[a], f"{b.lower()}-node", nodes[b])
    add_peer(admins[b], f"{a.lower()}-node", nodes[a])


@pytest.fixture
def signed_in(nodes: dict[str, Node]) -> Iterator[tuple[dict[str, httpx.Client], dict[str, httpx.Client]]]:
    """Each node's administrator and analyst, signed in to their own node (closed even when a test fails)."""
    admins = {n: node.api(f"{n.lower()}.admin") for n, node in nodes.items()}
    analysts = {n: node.api(f"{n.lower()}.analyst") for n, node in nodes.items()}
    try:
        yield admins, analysts
    finally:
        for client in (*admins.values(), *analysts.values()):
            client.close()


def test_a_third_nation_joins_and_sees_only_what_is_released_to_it(
        nodes: dict[str, Node], signed_in: tuple[dict[str, httpx.Client], dict[str, httpx.Client]]) -> None:
    admins, analysts = signed_in

    def seen(on: str, originator: str) -> set[str]:
        return set(objects_from(analysts[on], originator))

    # TUR and IRQ already share; each has released items before JOR exists as a peer.
    peer_both_ways(admins, nodes, "TUR", "IRQ")
    tur_all, tur_irq, tur_only, tur_jor = (indicator(n) for n in ("tur-to-all", "tur-to-irq", "tur-only", "tur-to-jor"))
    tur_all_id = publish(analysts["TUR"], tur_all, ["IRQ", "JOR"])
    publish(analysts["TUR"], tur_irq, ["IRQ"])
    publish(analysts["TUR"], tur_only, [])
    publish(analysts["TUR"], tur_jor, ["JOR"])
    irq_all, irq_tur = indicator("irq-to-all"), indicator("irq-to-tur")
    publish(analysts["IRQ"], irq_all, ["TUR", "JOR"])
    publish(analysts["IRQ"], irq_tur, ["TUR"])
    until("TUR and IRQ share what they release to each other",
          lambda: seen("IRQ", "TUR") == {tur_all["id"], tur_irq["id"]}
          and seen("TUR", "IRQ") == {irq_all["id"], irq_tur["id"]},
          state=lambda: (seen("IRQ", "TUR"), seen("TUR", "IRQ")))

    # JOR's administrator adds TUR's node: until TUR's adds JOR's, the link waits for consent.
    add_peer(admins["JOR"], "tur-node", nodes["TUR"])
    until("JOR's node was refused by TUR's", lambda: links(admins["JOR"])["tur-node"]["state"] == "awaiting_consent")
    assert seen("JOR", "TUR") == set()

    # TUR agrees: what TUR released to JOR before JOR joined arrives by backfill, and nothing else.
    add_peer(admins["TUR"], "jor-node", nodes["JOR"])
    until("TUR's releases to JOR reached JOR", lambda: seen("JOR", "TUR") == {tur_all["id"], tur_jor["id"]},
          state=lambda: (seen("JOR", "TUR"), links(admins["JOR"])))
    until("a complete pull after them", lambda: links(admins["JOR"])["tur-node"]["state"] == "up")
    link = links(admins["JOR"])["tur-node"]
    assert (link["received"], link["refused"]) == (2, 0)
    assert link["behind_seconds"] is not None and link["behind_seconds"] < 60
    # TUR's node holds IRQ's item released to JOR, but a node never relays another nation's items.
    assert seen("JOR", "IRQ") == set()
    assert tur_irq["id"] not in seen("JOR", "TUR") and tur_only["id"] not in seen("JOR", "TUR")

    # JOR peers with IRQ as well: IRQ's release to JOR arrives, its TUR-only release does not.
    peer_both_ways(admins, nodes, "JOR", "IRQ")
    until("IRQ's release to JOR reached JOR", lambda: seen("JOR", "IRQ") == {irq_all["id"]},
          state=lambda: (seen("JOR", "IRQ"), links(admins["JOR"])))

    # What JOR releases reaches exactly the nations it names.
    jor_tur = indicator("jor-to-tur")
    publish(analysts["JOR"], jor_tur, ["TUR"])
    until("JOR's release to TUR reached TUR", lambda: seen("TUR", "JOR") == {jor_tur["id"]})

    # Live changes after the join: a new release to both reaches both; a narrowed one leaves JOR only.
    later = indicator("tur-later-to-both")
    publish(analysts["TUR"], later, ["IRQ", "JOR"])
    narrowed = analysts["TUR"].put(f"/api/intel/objects/{tur_all_id}/release",
                                   json={"level": "RESTRICTED", "releasable_to": ["IRQ"], "tlp": "AMBER"})
    assert narrowed.status_code == 204, narrowed.text
    until("the later release reached IRQ", lambda: later["id"] in seen("IRQ", "TUR"))
    until("JOR has the later release and no longer the narrowed one",
          lambda: seen("JOR", "TUR") == {tur_jor["id"], later["id"]}, state=lambda: seen("JOR", "TUR"))
    assert tur_all["id"] in seen("IRQ", "TUR")
    assert seen("IRQ", "JOR") == set()  # JOR released nothing to IRQ
    for name, node in nodes.items():
        assert all(link["refused"] == 0 for link in links(admins[name]).values()), (node.nation, links(admins[name]))
