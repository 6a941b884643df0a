from __future__ import annotations

import pytest

from concord.domain.channels import (
    ChannelKind,
    Membership,
    Participant,
    check_marking_within,
    check_may_post,
    may_read_channel,
    new_channel,
    receives,
)
from concord.domain.errors import Forbidden, Invalid, NotFound
from concord.domain.markings import Level, Marking

JOINT_SECRET = Marking.build("SECRET", "TUR", ["IRQ"], "AMBER")
TUR_ONLY = Marking.build("SECRET", "TUR", [], "AMBER+STRICT")

tur_officer = Participant(1, "TUR", Level.SECRET, frozenset({"liaison"}))
irq_officer = Participant(2, "IRQ", Level.SECRET, frozenset({"liaison"}))
irq_low = Participant(3, "IRQ", Level.RESTRICTED, frozenset({"analyst"}))
observer = Participant(4, "JOR", Level.SECRET, frozenset({"observer"}))
disabled = Participant(5, "TUR", Level.SECRET, frozenset({"liaison"}), may_read=False)


def stored(channel):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(channel, id=10)


def test_centre_channel_is_open_to_every_reader_but_each_message_still_obeys_the_policy() -> None:
    centre = stored(new_channel("centre", " Joint watch ", JOINT_SECRET))
    assert centre.name == "Joint watch"
    assert may_read_channel(centre, irq_low, None)
    assert not may_read_channel(centre, disabled, None)
    assert receives(centre, irq_officer, None, JOINT_SECRET)
    assert not receives(centre, irq_low, None, JOINT_SECRET)  # clearance too low
    restricted = Marking.build("RESTRICTED", "TUR", ["IRQ"], "GREEN")
    assert receives(centre, irq_low, None, restricted)


def test_a_nation_channel_is_internal_to_that_nation() -> None:
    tur = stored(new_channel(ChannelKind.NATION, "TUR internal", TUR_ONLY, nation="TUR"))
    assert may_read_channel(tur, tur_officer, None)
    assert not may_read_channel(tur, irq_officer, None)
    with pytest.raises(NotFound):
        check_may_post(tur, irq_officer, None)
    with pytest.raises(Invalid) as err:
        new_channel(ChannelKind.NATION, "leaky", JOINT_SECRET, nation="TUR")
    assert err.value.field == "max_marking"
    with pytest.raises(Invalid) as err:
        new_channel(ChannelKind.NATION, "x", TUR_ONLY)
    assert err.value.field == "nation"
    with pytest.raises(Invalid) as err:
        new_channel(ChannelKind.NATION, "x", TUR_ONLY, nation="tur")
    assert err.value.field == "nation"


def test_direct_conversations_are_between_exactly_two_people() -> None:
    direct = stored(new_channel("direct", "1-2", JOINT_SECRET, members=[1, 2]))
    assert may_read_channel(direct, tur_officer, None)
    assert not may_read_channel(direct, irq_low, None)
    for members in ([1], [1, 1], [1, 2, 3]):
        with pytest.raises(Invalid) as err:
            new_channel("direct", "x", JOINT_SECRET, members=members)
        assert err.value.field == "members"


def test_operation_and_incident_channels_need_their_subject_and_listed_members() -> None:
    op = stored(new_channel("operation", "OP NORTHERN LANTERN", JOINT_SECRET, subject_id="op-1"))
    assert not may_read_channel(op, tur_officer, None)
    assert may_read_channel(op, tur_officer, Membership(1))
    assert not may_read_channel(op, tur_officer, Membership(2))  # someone else's membership
    with pytest.raises(Forbidden):
        check_may_post(op, tur_officer, Membership(1, may_post=False))
    check_may_post(op, tur_officer, Membership(1))
    with pytest.raises(Invalid) as err:
        new_channel("incident", "x", JOINT_SECRET)
    assert err.value.field == "subject_id"
    with pytest.raises(Invalid) as err:
        new_channel("centre", "x", JOINT_SECRET, subject_id="op-1")
    assert err.value.field == "subject_id"


@pytest.mark.parametrize(
    ("kind", "name", "field"),
    [
        ("chatroom", "x", "kind"),
        ("centre", "   ", "name"),
        ("centre", "x" * 81, "name"),
        ("centre", "a\u202eb", "name"),
    ],
)
def test_bad_channel_fields_are_named(kind: str, name: str, field: str) -> None:
    with pytest.raises(Invalid) as err:
        new_channel(kind, name, JOINT_SECRET)
    assert err.value.field == field


def test_observers_read_but_do_not_post() -> None:
    centre = stored(new_channel("centre", "Joint", Marking.build("SECRET", "TUR", ["IRQ", "JOR"], "AMBER")))
    assert may_read_channel(centre, observer, None)
    with pytest.raises(Forbidden):
        check_may_post(centre, observer, None)


def test_a_message_marking_must_lie_within_the_channel_maximum() -> None:
    centre = stored(new_channel("centre", "Joint", Marking.build("CONFIDENTIAL", "TUR", ["IRQ"], "AMBER")))
    check_marking_within(centre, Marking.build("RESTRICTED", "IRQ", ["TUR"], "GREEN"), "IRQ")
    check_marking_within(centre, Marking.build("CONFIDENTIAL", "TUR", [], "RED"), "TUR")
    cases = [
        (Marking.build("SECRET", "TUR", ["IRQ"]), "TUR", "marking.level"),
        (Marking.build("RESTRICTED", "TUR", ["IRQ", "JOR"]), "TUR", "marking.releasable_to"),
        (Marking.build("RESTRICTED", "TUR", ["IRQ"]), "IRQ", "marking.originator"),
    ]
    for marking, author_nation, field in cases:
        with pytest.raises(Invalid) as err:
            check_marking_within(centre, marking, author_nation)
        assert err.value.field == field
