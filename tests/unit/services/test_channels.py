"""The channel service (`services.channels`): who may open which channel (the ownership rule), one
conversation per pair, and events addressed to the members of channels with listed members."""

from __future__ import annotations

import pytest

from concord.centre import Centre
from concord.domain.errors import Forbidden, Invalid
from concord.domain.markings import Level, Marking, Reader, Tlp
from concord.domain.people import Role
from concord.storage.events import events_after
from tests.factories import person


def test_only_a_nations_administrator_opens_its_channels(centre: Centre) -> None:
    tur_admin = centre.people.actor(person(centre, "TUR", (Role.ADMINISTRATOR,))[0])
    irq_admin = centre.people.actor(person(centre, "IRQ", (Role.ADMINISTRATOR,))[0])
    tur_watch = centre.people.actor(person(centre, "TUR", (Role.WATCH_OFFICER,))[0])
    tur_only = Marking.build(Level.RESTRICTED, "TUR", ["TUR"], Tlp.AMBER_STRICT)
    with pytest.raises(Forbidden) as other_nation:
        centre.channels.create_channel(irq_admin, kind="nation", name="TUR desk", nation="TUR", max_marking=tur_only)
    assert other_nation.value.details == {"field": "originator", "owner": "TUR"}
    with pytest.raises(Forbidden):
        centre.channels.create_channel(tur_watch, kind="nation", name="TUR desk", nation="TUR", max_marking=tur_only)
    with pytest.raises(Invalid):  # a ceiling originated by another nation is refused, whoever asks
        centre.channels.create_channel(tur_admin, kind="centre", name="x",
                                       max_marking=Marking.build(Level.RESTRICTED, "IRQ", ["TUR"]))
    made = centre.channels.create_channel(tur_admin, kind="nation", name="TUR desk", nation="TUR", max_marking=tur_only)
    assert (made.kind.value, made.nation) == ("nation", "TUR")


def test_a_pair_has_one_conversation_and_its_events_reach_its_members_only(centre: Centre) -> None:
    tur_id, _ = person(centre, "TUR")
    irq_id, _ = person(centre, "IRQ")
    other_id, _ = person(centre, "IRQ")
    tur, irq = centre.people.actor(tur_id), centre.people.actor(irq_id)
    joint = Marking.build(Level.RESTRICTED, "TUR", ["IRQ"])
    opened = centre.channels.create_channel(tur, kind="direct", name="pair", max_marking=joint,
                                            members=[tur_id, irq_id])
    again = centre.channels.create_channel(irq, kind="direct", name="again", members=[irq_id, tur_id],
                                           max_marking=Marking.build(Level.RESTRICTED, "IRQ", ["TUR"]))
    assert again.id == opened.id
    with pytest.raises(Forbidden):  # nobody opens a conversation between two others
        centre.channels.create_channel(tur, kind="direct", name="x", max_marking=joint, members=[irq_id, other_id])
    with centre.db.read() as conn:
        def created(person_id: int) -> list[int]:
            reader = Reader(person_id, centre.people.actor(person_id).nation, Level.SECRET)
            return [e.item_id for e in events_after(conn, reader, 0) if e.kind == "channel.created"]

        assert created(tur_id) == created(irq_id) == [str(opened.id)]
        assert created(other_id) == []
