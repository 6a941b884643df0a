"""The two checks at a federation boundary agree with each other and with the one visibility rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from concord.domain import federation as rules
from concord.domain.errors import Invalid
from concord.domain.federation import Peer
from concord.domain.markings import Caveat, Level, Marking, Reader, Tlp, can_see
from concord.domain.people import Role

NATIONS = ("TUR", "IRQ", "JOR", "SYR")
AT = datetime(2026, 12, 7, tzinfo=UTC)

markings = st.builds(
    Marking.build,
    level=st.sampled_from(list(Level)),
    originator=st.sampled_from(NATIONS),
    releasable_to=st.frozensets(st.sampled_from(NATIONS)),
    tlp=st.sampled_from(list(Tlp)),
    caveats=st.frozensets(st.just(Caveat.ORCON)),
)


def peer(nation: str, level: Level, peer_id: int = 1) -> Peer:
    return Peer(peer_id, f"{nation.lower()}-node", nation, f"http://{nation.lower()}.example", bytes(32), level, AT)


@given(marking=markings, sender=st.sampled_from(NATIONS), receiver=st.sampled_from(NATIONS),
       level=st.sampled_from(list(Level)))
def test_the_receiver_accepts_exactly_what_the_sender_releases(marking: Marking, sender: str, receiver: str,
                                                               level: Level) -> None:
    """Sender: the receiving node reads as its nation at the agreed level. Receiver: it accepts only
    what the sending node originated and could release to it at that level. For the sender's own
    items the two decisions are the same; nothing of another nation's is ever accepted."""
    if sender == receiver:
        return
    released = can_see(rules.reader_of(peer(receiver, level)), marking) and marking.originator == sender
    accepted = rules.refusal(peer(sender, level), receiver, marking) is None
    assert accepted == released
    if accepted:
        assert can_see(Reader(None, receiver, level), marking)


def test_a_peer_node_reads_as_an_observer_of_its_nation_and_is_no_person() -> None:
    actor = rules.actor_of(peer("IRQ", Level.RESTRICTED, peer_id=7))
    assert (actor.person_id, actor.nation, actor.clearance) == (-7, "IRQ", Level.RESTRICTED)
    assert actor.reader.may_read and actor.roles == {Role.OBSERVER}


def test_keys_ids_and_fingerprints() -> None:
    raw = bytes(range(32))
    assert rules.key_bytes(rules.encode_key(raw)) == raw
    assert rules.key_bytes(rules.encode_key(raw).rstrip("=").replace("+", "-").replace("/", "_")) == raw
    assert len(rules.node_id(raw)) == 32 and rules.node_id(raw) != rules.node_id(bytes(32))
    assert rules.fingerprint(raw).startswith("SHA256:")


@pytest.mark.parametrize(("fields", "field"), [
    (("IRQ node", "IRQ", "http://irq.example", "A" * 43 + "=", "SECRET"), "name"),
    (("irq-node", "iraq", "http://irq.example", "A" * 43 + "=", "SECRET"), "nation"),
    (("irq-node", "IRQ", "ftp://irq.example", "A" * 43 + "=", "SECRET"), "url"),
    (("irq-node", "IRQ", "http://irq.example/?x=1", "A" * 43 + "=", "SECRET"), "url"),
    (("irq-node", "IRQ", "http://irq.example", "AAAA", "SECRET"), "key"),
    (("irq-node", "IRQ", "http://irq.example", "not base64!", "SECRET"), "key"),
    (("irq-node", "IRQ", "http://irq.example", "A" * 43 + "=", "TOP"), "level"),
])
def test_bad_peer_fields_are_named(fields: tuple[str, str, str, str, str], field: str) -> None:
    with pytest.raises(Invalid) as raised:
        rules.new_peer_fields(*fields)
    assert raised.value.field == field
