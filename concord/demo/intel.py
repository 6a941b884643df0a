"""The intelligence part of the demo scenario: fictional reports and indicators from both nations.

Every name, group, address and domain here is invented; addresses come from the documentation
ranges (RFC 5737) and domains from `.example` (RFC 2606). One value is reported by both nations,
so the demo shows a correlation.
"""

from __future__ import annotations

import uuid
from typing import Any

from concord.centre import Centre
from concord.domain.markings import Level, Marking, Tlp

_NS = uuid.UUID("0b6f9a52-1d3e-4c8e-9e61-5a0d2c7b4f10")
T = "2026-11-20T09:00:00.000Z"


def _id(kind: str, name: str) -> str:
    return f"{kind}--{uuid.uuid5(_NS, name)}"


def _indicator(name: str, pattern: str, description: str) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": _id("indicator", name),
        "created": T,
        "modified": T,
        "name": name,
        "description": description,
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": T,
    }


def _report(name: str, description: str, refs: list[str]) -> dict[str, Any]:
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": _id("report", name),
        "created": T,
        "modified": T,
        "name": name,
        "description": description,
        "report_types": ["threat-actor"],
        "published": T,
        "object_refs": refs,
    }




def intel_scenario(centre: Centre, people: dict[str, int]) -> None:
    tur, irq = centre.people.actor_named("tur.analyst"), centre.people.actor_named("irq.analyst")
    group: dict[str, Any] = {
        "type": "threat-actor",
        "spec_version": "2.1",
        "id": _id("threat-actor", "Grey Heron"),
        "created": T,
        "modified": T,
        "name": "Grey Heron (fictional)",
        "threat_actor_types": ["criminal"],
        "description": "An invented smuggling network used in the Concord demo.",
    }
    relay = _indicator(
        "Grey Heron relay server",
        "[ipv4-addr:value = '198.51.100.23']",
        "Command relay seen in border-crossing smuggling coordination (fictional).",
    )
    domain = _indicator(
        "Grey Heron booking site",
        "[domain-name:value = 'heron-cargo.example']",
        "Fictional domain used to arrange crossings.",
    )
    uses: dict[str, Any] = {
        "type": "relationship",
        "spec_version": "2.1",
        "id": _id("relationship", "heron-uses-relay"),
        "created": T,
        "modified": T,
        "relationship_type": "indicates",
        "source_ref": relay["id"],
        "target_ref": group["id"],
    }
    centre.intel.publish(
        tur,
        [
            _report(
                "Grey Heron: smuggling network overview (demo)",
                "Fictional TUR assessment shared with IRQ.",
                [group["id"], relay["id"], domain["id"], uses["id"]],
            ),
            group,
            relay,
            domain,
            uses,
        ],
        Marking.build(Level.RESTRICTED, "TUR", ["IRQ"], Tlp.AMBER),
    )
    centre.intel.publish(
        tur,
        [
            _indicator(
                "Internal watch-list entry (demo)", "[ipv4-addr:value = '203.0.113.50']", "Fictional TUR-only lead."
            )
        ],
        Marking.build(Level.CONFIDENTIAL, "TUR", [], Tlp.AMBER),
    )
    sighting = _indicator(
        "Relay contacted from a border-area handset (demo)",
        "[ipv4-addr:value = '198.51.100.23']",
        "Fictional IRQ observation of the same relay: correlates with TUR's report.",
    )
    centre.intel.publish(
        irq,
        [
            _report("Cross-border relay activity (demo)", "Fictional IRQ report shared with TUR.", [sighting["id"]]),
            sighting,
        ],
        Marking.build(Level.RESTRICTED, "IRQ", ["TUR"], Tlp.GREEN),
    )
    # Search and correlation follow the event log (services/intel_index.py): a served centre's
    # indexer takes this up at once; the demo brings the index up to date before it serves, so its
    # search and the correlation above are there from the first page (`concord demo` prints the state).
    centre.intel_index.catch_up()
