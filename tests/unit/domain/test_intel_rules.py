"""Collections, publishing rights and the shared marking of a correlation."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import given

from concord.domain.errors import Forbidden
from concord.domain.intel import (
    JOINT,
    collection_id,
    collections,
    find_collection,
    may_write,
    require_originator,
    search_text_of,
    shared_marking,
    title_of,
)
from concord.domain.markings import Level, Marking, Reader, Tlp, can_see
from concord.domain.people import Actor, Role

NATIONS = ["TUR", "IRQ", "JOR"]
markings = st.builds(
    lambda level, origin, rel, tlp: Marking.build(level, origin, rel, tlp),
    st.sampled_from(list(Level)),
    st.sampled_from(NATIONS),
    st.sets(st.sampled_from(NATIONS)),
    st.sampled_from(list(Tlp)),
)
readers = st.builds(lambda n, lvl: Reader(1, n, lvl), st.sampled_from(NATIONS), st.sampled_from(list(Level)))


@given(markings, markings, readers)
def test_shared_marking_admits_exactly_those_who_see_both(a: Marking, b: Marking, reader: Reader) -> None:
    shared = shared_marking(a, b)
    both = can_see(reader, a) and can_see(reader, b)
    assert (shared is not None and can_see(reader, shared)) == both


def actor(nation: str, *roles: Role) -> Actor:
    return Actor(1, "x", "X", nation, Level.SECRET, frozenset(roles))


def test_collections_and_rights() -> None:
    partners = {"TUR": "Türkiye", "IRQ": "Iraq"}
    keys = [c.key for c in collections(partners)]
    assert keys == [JOINT, "IRQ", "TUR"]
    assert collection_id("TUR") == collection_id("TUR") != collection_id("IRQ")
    tur_feed = find_collection(partners, collection_id("TUR"))
    joint = find_collection(partners, collection_id(JOINT))
    assert tur_feed.originator == "TUR" and joint.originator is None
    assert may_write(actor("TUR", Role.ANALYST), tur_feed) and may_write(actor("IRQ", Role.ANALYST), joint)
    assert not may_write(actor("IRQ", Role.ANALYST), tur_feed)
    assert not may_write(actor("TUR", Role.OBSERVER), tur_feed)
    with pytest.raises(Forbidden):
        require_originator(actor("IRQ", Role.ANALYST), Marking.build(Level.SECRET, "TUR", ["IRQ"]), "revoke it")


def test_titles_and_search_text() -> None:
    obj = {
        "type": "indicator",
        "id": "indicator--1",
        "pattern": "[ipv4-addr:value = '198.51.100.1']",
        "labels": ["beacon"],
        "external_references": [{"source_name": "case", "external_id": "C-17"}],
    }
    assert title_of(obj) == "[ipv4-addr:value = '198.51.100.1']"
    assert title_of({"type": "note", "id": "note--2"}) == "note note--2"
    text = search_text_of({**obj, "name": "Relay", "description": "Fictional"})
    assert all(word in text for word in ("Relay", "Fictional", "beacon", "C-17", "198.51.100.1"))
