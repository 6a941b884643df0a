"""Audit entries: validation and the canonical (RFC 8785) leaf encoding."""

from __future__ import annotations

import hashlib

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from concord.domain.audit import AuditEntry, content_hash, encode_leaf, new_nonce
from concord.domain.errors import Invalid
from concord.domain.markings import Level, Marking
from concord.domain.merkle import leaf_hash


def entry(**changes: object) -> AuditEntry:
    fields: dict[str, object] = {
        "sequence": 3,
        "time": "2026-11-29T12:00:00.123Z",
        "actor_person": 17,
        "actor_nation": "TUR",
        "action": "intel.created",
        "item_type": "intel",
        "item_id": "indicator--0f6b7c1e-2b7a-4a5e-9d3b-6c1d2e3f4a5b",
        "content_hash": "ab" * 32,
        "request_id": "req-1",
        "nonce": "cd" * 16,
    }
    fields.update(changes)
    return AuditEntry(**fields)  # type: ignore[arg-type]


def test_leaf_is_the_rfc_8785_encoding_of_the_entry() -> None:
    e = entry(item_id="örnek-işlem-١٢")
    assert e.leaf() == rfc8785.dumps(e.to_dict())
    assert e.leaf().startswith(b'{"action":"intel.created","actor_nation":"TUR","actor_person":17,')
    assert e.leaf_hash() == hashlib.sha256(b"\x00" + e.leaf()).digest() == leaf_hash(e.leaf())


_json_scalars = st.one_of(
    st.none(), st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1), st.text(max_size=30)
)


# The first draw builds hypothesis' Unicode tables, which is slow once on a cold cache.
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=12), _json_scalars))
def test_fast_encoder_agrees_with_rfc_8785_for_flat_objects(fields: dict[str, str | int | None]) -> None:
    assert encode_leaf(fields) == rfc8785.dumps(fields)


def test_round_trip_and_validation() -> None:
    e = entry()
    assert AuditEntry.from_dict(e.to_dict()) == e
    AuditEntry.from_dict(entry(actor_person=None, actor_nation=None, request_id=None).to_dict())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sequence": -1}, "entry.sequence"),
        ({"sequence": True}, "entry.sequence"),
        ({"time": "2026-11-29 12:00"}, "entry.time"),
        ({"actor_nation": "tur"}, "entry.actor_nation"),
        ({"action": ""}, "entry.action"),
        ({"content_hash": "AB" * 32}, "entry.content_hash"),
        ({"nonce": "short"}, "entry.nonce"),
        ({"actor_person": 1.5}, "entry.actor_person"),
    ],
)
def test_bad_entries_name_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(Invalid) as err:
        AuditEntry.from_dict(entry(**changes).to_dict())
    assert err.value.field == field


def test_unknown_or_missing_fields_are_refused() -> None:
    data = entry().to_dict()
    with pytest.raises(Invalid):
        AuditEntry.from_dict({**data, "extra": 1})
    del data["nonce"]
    with pytest.raises(Invalid):
        AuditEntry.from_dict(data)


def test_content_hash_covers_content_and_marking() -> None:
    marking = Marking.build(Level.SECRET, "TUR", ["IRQ"])
    base = content_hash({"lat": 37.1, "name": "x"}, marking)
    assert base == content_hash({"name": "x", "lat": 37.1}, marking)  # key order does not matter
    assert base != content_hash({"lat": 37.1, "name": "y"}, marking)
    assert base != content_hash({"lat": 37.1, "name": "x"}, Marking.build(Level.SECRET, "TUR"))
    assert len(new_nonce()) == 32 and new_nonce() != new_nonce()
