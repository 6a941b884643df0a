"""STIX marking definitions ⇄ Concord markings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from concord.domain.errors import Invalid
from concord.domain.intel_markings import (
    CONCORD_EXTENSION_ID,
    TLP1_MARKING_IDS,
    TLP2_MARKING_IDS,
    builtin_definitions,
    concord_extension_definition,
    from_stix,
    releasability_marking_definition,
    to_stix,
    unresolved_refs,
)
from concord.domain.markings import Caveat, Level, Marking, Reader, Tlp, can_see
from concord.domain.stix import parse_object

PARTNERS = frozenset({"TUR", "IRQ", "JOR"})
KNOWN = builtin_definitions()


def test_tlp1_ids_are_the_stix2_librarys() -> None:
    """Written out so reading a marking need not import the library; they must stay its ids."""
    from stix2.v21 import TLP_AMBER, TLP_GREEN, TLP_RED, TLP_WHITE

    assert {TLP_WHITE.id: Tlp.CLEAR, TLP_GREEN.id: Tlp.GREEN, TLP_AMBER.id: Tlp.AMBER,
                                TLP_RED.id: Tlp.RED} == TLP1_MARKING_IDS


def test_tlp2_ids_are_the_published_ones() -> None:
    assert TLP2_MARKING_IDS[Tlp.CLEAR] == "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
    assert TLP2_MARKING_IDS[Tlp.RED] == "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
    tlp_amber_strict = KNOWN["marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"]
    assert tlp_amber_strict["name"] == "TLP:AMBER+STRICT"
    assert tlp_amber_strict["extensions"]["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"] == {
        "extension_type": "property-extension",
        "tlp_2_0": "amber+strict",
    }


def test_builtin_objects_are_valid_stix() -> None:
    for obj in KNOWN.values():
        parse_object(obj)
    parse_object(releasability_marking_definition(Level.SECRET, ["TUR", "IRQ"], [Caveat.ORCON]))
    assert concord_extension_definition()["extension_types"] == ["property-extension"]


def test_no_marking_means_originator_only() -> None:
    marking = from_stix([], "TUR", PARTNERS, KNOWN)
    assert marking.audience == {"TUR"}
    assert not can_see(Reader(1, "IRQ", Level.SECRET), marking)


@pytest.mark.parametrize(
    ("tlp", "audience"),
    [
        (Tlp.CLEAR, PARTNERS),
        (Tlp.GREEN, PARTNERS),
        (Tlp.AMBER, {"TUR"}),
        (Tlp.AMBER_STRICT, {"TUR"}),
        (Tlp.RED, {"TUR"}),
    ],
)
def test_tlp_alone(tlp: Tlp, audience: frozenset[str]) -> None:
    marking = from_stix([TLP2_MARKING_IDS[tlp]], "TUR", PARTNERS, KNOWN)
    assert marking.tlp is tlp
    assert marking.audience == audience


def test_tlp1_white_reads_as_clear() -> None:
    marking = from_stix(["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"], "TUR", PARTNERS, KNOWN)
    assert marking.tlp is Tlp.CLEAR


def test_several_markings_all_apply() -> None:
    wide = releasability_marking_definition(Level.RESTRICTED, ["TUR", "IRQ", "JOR"])
    narrow = releasability_marking_definition(Level.SECRET, ["TUR", "IRQ"], [Caveat.ORCON])
    defs = {**KNOWN, wide["id"]: wide, narrow["id"]: narrow}
    refs = [wide["id"], narrow["id"], TLP2_MARKING_IDS[Tlp.GREEN], TLP2_MARKING_IDS[Tlp.AMBER]]
    marking = from_stix(refs, "TUR", PARTNERS, defs)
    assert marking == Marking.build(Level.SECRET, "TUR", ["IRQ"], Tlp.AMBER, [Caveat.ORCON])


def test_an_unresolved_reference_keeps_the_object_with_its_originator() -> None:
    wide = releasability_marking_definition(Level.UNCLASSIFIED, ["TUR", "IRQ"])
    unknown = "marking-definition--00000000-0000-4000-8000-000000000000"
    marking = from_stix([wide["id"], unknown], "TUR", PARTNERS, {wide["id"]: wide})
    assert marking.audience == {"TUR"}
    assert unresolved_refs([wide["id"], unknown], {wide["id"]: wide}) == [unknown]


def test_statement_markings_do_not_restrict() -> None:
    statement = {
        "type": "marking-definition",
        "id": "marking-definition--11111111-0000-4000-8000-000000000000",
        "definition_type": "statement",
        "definition": {"statement": "Copyright"},
    }
    rel = releasability_marking_definition(Level.UNCLASSIFIED, ["TUR", "IRQ"])
    marking = from_stix(
        [statement["id"], rel["id"]], "TUR", PARTNERS, {statement["id"]: statement, rel["id"]: rel}
    )
    assert marking.audience == {"TUR", "IRQ"}


def test_malformed_concord_marking_is_invalid() -> None:
    bad = releasability_marking_definition(Level.SECRET, ["IRQ"])
    bad["extensions"][CONCORD_EXTENSION_ID]["classification"] = "COSMIC"
    with pytest.raises(Invalid) as caught:
        from_stix([bad["id"]], "TUR", PARTNERS, {bad["id"]: bad})
    assert caught.value.details["field"].endswith(".classification")


def test_same_content_same_id() -> None:
    a = releasability_marking_definition(Level.SECRET, ["TUR", "IRQ"])
    b = releasability_marking_definition(Level.SECRET, ["IRQ", "TUR", "IRQ"])
    c = releasability_marking_definition(Level.SECRET, ["IRQ"])
    assert a["id"] == b["id"] != c["id"]


_markings = st.builds(
    Marking.build,
    level=st.sampled_from(list(Level)),
    originator=st.sampled_from(sorted(PARTNERS)),
    releasable_to=st.frozensets(st.sampled_from(sorted(PARTNERS))),
    tlp=st.sampled_from(list(Tlp)),
    caveats=st.frozensets(st.sampled_from(list(Caveat))),
)


@given(_markings)
def test_round_trip(marking: Marking) -> None:
    refs, definitions = to_stix(marking)
    assert from_stix(refs, marking.originator, PARTNERS, {d["id"]: d for d in definitions}) == marking
