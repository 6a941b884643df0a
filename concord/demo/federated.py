"""The federated demo's scenario: one node per nation, its own people and intelligence, its peers.

Every person, group, address and domain here is fictional (addresses from RFC 5737, domains `.example`).
Each node holds only its own nation's accounts and items; what it shares with the others travels over
the federation link, so a user signed in to one node watches the others' releases arrive.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from concord.centre import Centre
from concord.domain.federation import encode_key
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.people import Role
from concord.private_files import write_private

#: The nations of the federated demo: two partners and a third that joins them (docs/federation.md).
NATIONS: dict[str, str] = {"TUR": "Türkiye", "IRQ": "Iraq", "JOR": "Jordan"}
LANGUAGE = {"TUR": "tr", "IRQ": "ar", "JOR": "ar"}
#: (username suffix, role, clearance): the same three accounts on every node, for that node's nation.
ACCOUNTS: list[tuple[str, Role, Level]] = [
    ("admin", Role.ADMINISTRATOR, Level.SECRET),
    ("analyst", Role.ANALYST, Level.SECRET),
    ("watch", Role.WATCH_OFFICER, Level.SECRET),
]
_NS = uuid.UUID("5d0f3c1e-7a2b-4e6d-9c8f-1b2a3c4d5e6f")
T = "2026-11-20T09:00:00.000Z"


@dataclass(frozen=True, slots=True)
class DemoNode:
    """One node of the federated demo, as the command line starts it."""

    nation: str
    url: str
    key: str
    accounts: list[dict[str, Any]]

    @property
    def peer_name(self) -> str:
        return f"{self.nation.lower()}-node"


def _indicator(name: str, address: str) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid5(_NS, name)}",
            "created": T, "modified": T, "name": name, "indicator_types": ["malicious-activity"],
            "pattern": f"[ipv4-addr:value = '{address}']", "pattern_type": "stix", "valid_from": T}


def _releases(nation: str) -> list[tuple[dict[str, Any], tuple[str, ...]]]:
    """What each node publishes before it peers: one item per audience, so each node shows which of
    the others' items reach it and which do not."""
    others = tuple(n for n in NATIONS if n != nation)
    octet = 10 + list(NATIONS).index(nation) * 10
    items: list[tuple[dict[str, Any], tuple[str, ...]]] = [
        (_indicator(f"{nation} border relay, shared with all partners (demo)", f"198.51.100.{octet}"), others),
        (_indicator(f"{nation} national watch-list entry (demo)", f"203.0.113.{octet}"), ()),
    ]
    items += [(_indicator(f"{nation} lead released to {other} only (demo)", f"192.0.2.{octet + i}"), (other,))
              for i, other in enumerate(others, start=1)]
    return items


def load_node(centre: Centre) -> list[dict[str, Any]]:
    """Load one node's part of the scenario into an empty centre (or return the accounts of one loaded).
    The node's nation is `centre.settings.node_nation`."""
    nation = centre.settings.node_nation
    if nation is None:
        raise ValueError("a federated demo node has a nation (CONCORD_NODE_NATION)")
    path = centre.settings.data_dir / "demo-accounts.json"
    if centre.nations.codes():
        return list(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else []
    fixed = os.environ.get("CONCORD_DEMO_PASSWORD")  # tests and screenshots fix the password
    accounts: list[dict[str, Any]] = []
    with centre.db.write() as tx:
        for code, name in NATIONS.items():
            centre.nations.add_in(tx, code, name)
        for suffix, role, clearance in ACCOUNTS:
            username, password = f"{nation.lower()}.{suffix}", fixed or secrets.token_urlsafe(9)
            display = f"{nation} {role.value.replace('_', ' ')} (demo)"
            person_id = centre.people.create_in(tx, None, username=username, display_name=display, nation=nation,
                                                clearance=clearance, password=password, language=LANGUAGE[nation])
            centre.people.appoint_in(tx, None, person_id=person_id, role=role, starts_at=centre.clock.now())
            accounts.append({"nation": nation, "username": username, "role": role.value, "password": password})
    analyst = centre.people.actor_named(f"{nation.lower()}.analyst")
    for obj, audience in _releases(nation):
        centre.intel.publish(analyst, [obj], Marking.build(Level.RESTRICTED, nation, audience, Tlp.AMBER))
    centre.intel_index.catch_up()
    write_private(path, json.dumps(accounts, ensure_ascii=False, indent=2).encode("utf-8"))
    return accounts


def peer_with(centre: Centre, others: list[DemoNode]) -> None:
    """This node's administrator adds each other node (the demo stands in for the key exchange by
    phone). A peer already held at another address is replaced, so a restart on new ports
    (or after a node's data directory was wiped) works."""
    nation = centre.settings.node_nation
    admin = centre.people.actor_named(f"{(nation or '').lower()}.admin")
    held = {v.peer.name: v.peer for v in centre.federation.peers(admin)}
    for other in others:
        peer = held.get(other.peer_name)
        if peer is not None and peer.url == other.url and encode_key(peer.key) == other.key:
            continue
        if peer is not None:
            centre.federation.remove_peer(admin, other.peer_name)
        centre.federation.add_peer(admin, name=other.peer_name, nation=other.nation, url=other.url, key=other.key,
                                   level=Level.SECRET.name)
