"""Validation of incoming STIX 2.1 objects: every kind accepted, each mistake rejected with its field."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from concord.domain.errors import Invalid
from concord.domain.stix import Category, parse_many, parse_object, reject, split_objects, timestamp_key

T0 = "2024-03-01T10:00:00.000Z"
T1 = "2024-03-02T10:00:00.000Z"


def uid(n: int) -> str:
    return f"{n:08x}-1111-4111-8111-111111111111"


def indicator(**extra: object) -> dict[str, object]:
    obj: dict[str, object] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uid(1)}",
        "created": T0,
        "modified": T1,
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": T0,
    }
    obj.update(extra)
    return obj


EVERY_KIND = [
    (indicator(), Category.SDO),
    (
        {
            "type": "report",
            "spec_version": "2.1",
            "id": f"report--{uid(2)}",
            "created": T0,
            "modified": T0,
            "name": "Fictional report",
            "published": T0,
            "object_refs": [f"indicator--{uid(1)}"],
        },
        Category.SDO,
    ),
    (
        {
            "type": "threat-actor",
            "spec_version": "2.1",
            "id": f"threat-actor--{uid(3)}",
            "created": T0,
            "modified": T0,
            "name": "Example Group",
        },
        Category.SDO,
    ),
    (
        {
            "type": "relationship",
            "spec_version": "2.1",
            "id": f"relationship--{uid(4)}",
            "created": T0,
            "modified": T0,
            "relationship_type": "indicates",
            "source_ref": f"indicator--{uid(1)}",
            "target_ref": f"threat-actor--{uid(3)}",
        },
        Category.SRO,
    ),
    (
        {
            "type": "sighting",
            "spec_version": "2.1",
            "id": f"sighting--{uid(5)}",
            "created": T0,
            "modified": T0,
            "sighting_of_ref": f"indicator--{uid(1)}",
        },
        Category.SRO,
    ),
    (
        {"type": "ipv4-addr", "spec_version": "2.1", "id": f"ipv4-addr--{uid(6)}", "value": "198.51.100.7"},
        Category.SCO,
    ),
    ({"type": "domain-name", "id": f"domain-name--{uid(7)}", "value": "evil.example"}, Category.SCO),
    (
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": f"marking-definition--{uid(8)}",
            "created": T0,
            "definition_type": "statement",
            "definition": {"statement": "Copyright Example"},
        },
        Category.MARKING_DEFINITION,
    ),
    (
        {
            "type": "language-content",
            "spec_version": "2.1",
            "id": f"language-content--{uid(9)}",
            "created": T0,
            "modified": T0,
            "object_ref": f"indicator--{uid(1)}",
            "object_modified": T1,
            "contents": {"tr": {"name": "Örnek"}},
        },
        Category.LANGUAGE_CONTENT,
    ),
    (
        {
            "type": "extension-definition",
            "spec_version": "2.1",
            "id": f"extension-definition--{uid(10)}",
            "created_by_ref": f"identity--{uid(11)}",
            "created": T0,
            "modified": T0,
            "name": "ext",
            "schema": "plain text",
            "version": "1.0",
            "extension_types": ["new-sdo"],
        },
        Category.EXTENSION_DEFINITION,
    ),
    (
        {
            "type": "x-example-widget",
            "spec_version": "2.1",
            "id": f"x-example-widget--{uid(12)}",
            "created": T0,
            "modified": T0,
            "extensions": {f"extension-definition--{uid(10)}": {"extension_type": "new-sdo"}},
        },
        Category.SDO,
    ),
]


@pytest.mark.parametrize(("obj", "category"), EVERY_KIND, ids=[o["type"] for o, _ in EVERY_KIND])
def test_valid_objects_of_every_kind_are_accepted(obj: dict[str, object], category: Category) -> None:
    parsed = parse_object(obj)
    assert parsed.id == obj["id"]
    assert parsed.category is category
    assert parsed.version == (obj.get("modified") or obj.get("created"))


BAD = [
    (indicator(id="indicator--123"), "id"),
    (indicator(id=f"malware--{uid(1)}"), "id"),
    (indicator(created="2024-03-01 10:00:00"), "created"),
    (indicator(modified="2024-02-01T00:00:00Z"), "modified"),  # earlier than created
    ({k: v for k, v in indicator().items() if k != "created"}, "created"),
    ({k: v for k, v in indicator().items() if k != "valid_from"}, "valid_from"),
    (indicator(pattern="[ipv4-addr:value = '1.2.3.4'"), "pattern"),
    (indicator(pattern="[file:hashes.'SHA-256' = 'not-a-hash']"), "pattern"),
    (indicator(spec_version="2.0"), "spec_version"),
    ({k: v for k, v in indicator().items() if k != "modified"}, "modified"),
    (indicator(confidence=500), "confidence"),
    (indicator(object_marking_refs=["tlp-red"]), "object_marking_refs"),
    (
        {
            "type": "x-old-custom",
            "spec_version": "2.1",
            "id": f"x-old-custom--{uid(1)}",
            "created": T0,
            "modified": T0,
        },
        "type",
    ),
    ({"type": "Bad_Type", "id": f"Bad_Type--{uid(1)}"}, "type"),
    ({"type": "bundle", "id": f"bundle--{uid(1)}", "objects": []}, "type"),
    ({"type": "ipv4-addr", "value": "198.51.100.7"}, "id"),
]


@pytest.mark.parametrize(("obj", "field"), BAD)
def test_invalid_objects_are_rejected_naming_the_field(obj: dict[str, object], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_object(obj)
    assert caught.value.details.get("field") == field, caught.value.message


def test_custom_properties_are_allowed_as_the_spec_permits() -> None:
    parsed = parse_object(indicator(x_opencti_score=80))
    assert parsed.data["x_opencti_score"] == 80


def test_objects_are_kept_exactly_as_sent() -> None:
    text = (
        '{"more": false,\n "objects": [ {"type":"domain-name", "id": "domain-name--' + uid(7) + '",'
        '  "value" : "Evil.Example"} ,\n' + json.dumps(indicator(), indent=2) + "]}"
    )
    members, items = split_objects(text)
    assert members == {"more": False}
    assert (
        items[0].text
        == '{"type":"domain-name", "id": "domain-name--' + uid(7) + '",  "value" : "Evil.Example"}'
    )
    assert items[1].text == json.dumps(indicator(), indent=2)
    parsed = [parse_object(item) for item in items]
    assert [p.raw for p in parsed] == [items[0].text, items[1].text]


@pytest.mark.parametrize("body", ["", "[]", '{"objects": {}}', '{"objects": [1,]}', '{"a": 1} x', b"\xff"])
def test_bodies_that_are_not_an_envelope_are_invalid(body: str | bytes) -> None:
    with pytest.raises(Invalid):
        split_objects(body)


def test_one_bad_object_does_not_stop_the_others() -> None:
    _, items = split_objects(json.dumps({"objects": [indicator(), indicator(id="indicator--x"), 42]}))
    results = list(parse_many(items))
    assert results[0].id == f"indicator--{uid(1)}"  # type: ignore[union-attr]
    failures = [r for r in results[1:]]
    assert getattr(failures[0], "message", "").startswith("'id'")
    assert getattr(failures[1], "id", "?") is None


def test_rejection_quotes_id_and_version() -> None:
    bad = indicator(pattern="nonsense")
    rejection = reject(bad, Invalid("bad", field="pattern"))
    assert (rejection.id, rejection.version, rejection.message) == (bad["id"], T1, "pattern: bad")


def test_revoked_and_granular_markings_are_read() -> None:
    ref = f"marking-definition--{uid(20)}"
    parsed = parse_object(
        indicator(revoked=True, granular_markings=[{"marking_ref": ref, "selectors": ["name"]}], name="x")
    )
    assert parsed.revoked is True
    assert parsed.marking_refs == (ref,)


def test_timestamp_keys_compare_as_instants() -> None:
    assert timestamp_key("2024-03-01T10:00:00Z") == timestamp_key("2024-03-01T10:00:00.000Z")
    assert timestamp_key("2024-03-01T10:00:00.5Z") > timestamp_key("2024-03-01T10:00:00.499999Z")
    with pytest.raises(ValueError):
        timestamp_key("2024-03-01T10:00:00+01:00")


_BLANK = st.text(alphabet=" \t\n\r", max_size=3)


@given(st.lists(st.tuples(_BLANK, _BLANK), min_size=1, max_size=4), st.lists(_BLANK, min_size=6, max_size=6))
def test_any_whitespace_between_tokens_leaves_each_text_exact(gaps: list[tuple[str, str]], blank: list[str]) -> None:
    texts = [json.dumps(indicator(id=f"indicator--{uid(i)}"), indent=i or None) for i in range(len(gaps))]
    inner = ",".join(a + t + b for t, (a, b) in zip(texts, gaps, strict=True))
    body = f'{blank[0]}{{{blank[1]}"objects"{blank[2]}:{blank[3]}[{inner}]{blank[4]}}}{blank[5]}'
    members, items = split_objects(body)
    assert members == {}
    assert [item.text for item in items] == texts
