"""What crosses to the validation worker and back rebuilds exactly what validating here gives."""

from __future__ import annotations

import json
from typing import Any

from concord.domain.intel_prepare import from_wire, prepare, prepare_texts, to_wire
from concord.domain.markings import Level, Tlp
from concord.domain.stix import RawItem, split_objects
from tests.intel_factories import indicator, shared_with, stix_id


def _mixed() -> list[dict[str, Any]]:
    refs, definitions = shared_with("TUR", "IRQ", level=Level.CONFIDENTIAL, tlp=Tlp.GREEN)
    target = indicator("203.0.113.9", refs=refs)
    return [
        *definitions,
        target,
        {"type": "ipv4-addr", "spec_version": "2.1", "id": stix_id("ipv4-addr"), "value": "198.51.100.20"},
        {"type": "domain-name", "spec_version": "2.1", "id": stix_id("domain-name"), "value": "Relay.Example."},
        {"type": "relationship", "spec_version": "2.1", "id": stix_id("relationship"),
         "created": "2026-11-01T10:00:00Z", "modified": "2026-11-01T10:00:00Z", "relationship_type": "indicates",
         "source_ref": target["id"], "target_ref": stix_id("malware")},
        indicator("198.51.100.7", name="Fictional revoked indicator", revoked=True),
        {"type": "indicator", "id": "indicator--not-a-uuid", "spec_version": "2.1"},
        {**indicator(), "modified": "yesterday"},
        {"type": "x-unknown-thing", "spec_version": "2.1", "id": stix_id("x-unknown-thing")},
        indicator(pattern="[ipv4-addr:value = '198.51.100.7'"),
        [1, 2, 3],
    ]


def _items() -> list[RawItem]:
    return split_objects(json.dumps({"objects": _mixed()}, indent=1))[1]


def test_an_outcome_survives_the_round_trip() -> None:
    items = _items()
    local = prepare(items)
    assert [from_wire(to_wire(outcome), item) for outcome, item in zip(local, items, strict=True)] == local


def test_the_worker_function_agrees_with_validating_here() -> None:
    items = _items()
    wires = prepare_texts([item.text for item in items])
    assert [from_wire(w, item) for w, item in zip(wires, items, strict=True)] == prepare(items)


def test_derived_fields_are_those_of_the_object() -> None:
    outcomes = prepare(_items())
    relationship = next(o for o in outcomes if getattr(o, "obj", None) and o.obj.type == "relationship")
    assert relationship.source_ref.startswith("indicator--") and relationship.target_ref.startswith("malware--")
    domain = next(o for o in outcomes if getattr(o, "obj", None) and o.obj.type == "domain-name")
    assert domain.obj.id.startswith("domain-name--")  # values are the indexer's (services/intel_index.py)
    rejected = [o for o in outcomes if not hasattr(o, "obj")]
    assert len(rejected) == 5 and all(r.message for r in rejected)
