"""The fast schema check accepts only objects the OASIS library accepts."""

from __future__ import annotations

import stix2
from hypothesis import given, settings
from hypothesis import strategies as st
from stix2.exceptions import STIXError

from concord.domain.stix_schema import accepts

UUIDS = [
    "1f0e6d3a-2b1c-4d5e-8f60-718293a4b5c6",
    "1f0e6d3a-2b1c-4d5e-7f60-718293a4b5c6",
    "1f0e6d3a-2b1c-1d5e-af60-718293a4b5c6",
]
timestamps = st.sampled_from(
    [
        "2026-11-01T10:00:00Z",
        "2026-11-01T10:00:00.123Z",
        "2026-11-01T10:00:00.123456Z",
        "2026-02-30T10:00:00Z",
        "2026-11-01T25:00:00Z",
        "2026-11-01 10:00:00",
        "2026-11-01T10:00:00.1234567Z",
        "yesterday",
        5,
    ]
)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    st.text(max_size=5),
    st.lists(st.text(max_size=3), max_size=2),
    timestamps,
)
refs = st.sampled_from(
    [
        f"identity--{UUIDS[0]}",
        f"identity--{UUIDS[1]}",
        f"marking-definition--{UUIDS[0]}",
        f"marking-definition--{UUIDS[2]}",
        "identity--x",
    ]
)
optional = st.fixed_dictionaries(
    {},
    optional={
        "name": values,
        "description": values,
        "indicator_types": values,
        "labels": values,
        "lang": values,
        "confidence": values,
        "revoked": values,
        "pattern_version": values,
        "valid_until": timestamps,
        "created_by_ref": refs,
        "object_marking_refs": st.lists(refs, max_size=2),
        "x_custom": values,
        "spec_version": st.sampled_from(["2.1", "2.0", 2.1]),
    },
)


@st.composite
def indicators(draw: st.DrawFn) -> dict[str, object]:
    created = draw(timestamps)
    obj: dict[str, object] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{UUIDS[0]}",
        "created": created,
        "modified": created,
        "pattern": "[ipv4-addr:value = '198.51.100.1']",
        "pattern_type": draw(st.sampled_from(["stix", "sigma", 3])),
        "valid_from": draw(timestamps),
    }
    obj.update(draw(optional))
    for name in draw(st.sets(st.sampled_from(["pattern", "valid_from", "created", "spec_version"]), max_size=1)):
        obj.pop(name, None)
    return obj


@st.composite
def scos(draw: st.DrawFn) -> dict[str, object]:
    kind = draw(st.sampled_from(["ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr"]))
    obj: dict[str, object] = {"type": kind, "id": f"{kind}--{UUIDS[0]}", "value": draw(values)}
    obj.update(
        draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "defanged": values,
                    "display_name": values,
                    "spec_version": st.sampled_from(["2.1", "2.0"]),
                    "object_marking_refs": st.lists(refs, max_size=2),
                },
            )
        )
    )
    return obj


def _library_accepts(obj: dict[str, object]) -> bool:
    try:
        stix2.parse(obj, allow_custom=True, version="2.1")
    except (STIXError, ValueError, TypeError, KeyError):
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(st.one_of(indicators(), scos()))
def test_fast_check_accepts_a_subset_of_the_library(obj: dict[str, object]) -> None:
    if accepts(obj):
        assert _library_accepts(obj), obj


def test_plain_indicators_and_scos_take_the_fast_path() -> None:
    assert accepts(
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{UUIDS[0]}",
            "created": "2026-11-01T10:00:00.000Z",
            "modified": "2026-11-01T10:00:00.000Z",
            "name": "n",
            "pattern": "[ipv4-addr:value = '198.51.100.1']",
            "pattern_type": "stix",
            "valid_from": "2026-11-01T10:00:00Z",
        }
    )
    assert accepts({"type": "domain-name", "id": f"domain-name--{UUIDS[0]}", "value": "evil.example"})
    assert not accepts({"type": "report", "id": f"report--{UUIDS[0]}"})  # not covered: the library decides
