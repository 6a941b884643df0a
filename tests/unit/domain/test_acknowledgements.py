from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from concord.domain.acknowledgements import (
    AckPolicy,
    NationAck,
    acknowledge,
    acknowledging_nation,
    due_escalations,
    next_check,
    owing_nations,
    record_escalation,
    requirements,
    status,
)
from concord.domain.channels import Participant, new_channel
from concord.domain.errors import Forbidden, Invalid, StateConflict
from concord.domain.markings import Level, Marking
from concord.domain.messages import Precedence, compose, retract

T0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
JOINT = Marking.build("SECRET", "TUR", ["IRQ", "JOR"], "AMBER")
CENTRE = replace(new_channel("centre", "Joint watch", JOINT), id=1)
POLICY = AckPolicy()

sender = Participant(1, "TUR", Level.SECRET, frozenset({"watch_officer"}))
irq_watch = Participant(2, "IRQ", Level.SECRET, frozenset({"watch_officer"}))
irq_analyst = Participant(3, "IRQ", Level.SECRET, frozenset({"analyst"}))
irq_commander = Participant(4, "IRQ", Level.SECRET, frozenset({"commander"}))
jor_watch = Participant(5, "JOR", Level.SECRET, frozenset({"watch_officer"}))
tur_colleague = Participant(6, "TUR", Level.SECRET, frozenset({"watch_officer"}))
COMMANDERS = {"IRQ": [4], "JOR": [7, 8]}


def flash(precedence: str = "FLASH", channel=CENTRE):  # type: ignore[no-untyped-def]
    message = compose(
        channel, sender, None, body="Contact at border post 7", precedence=precedence, marking=JOINT, now=T0
    )
    return replace(message, id=100)


def test_default_deadlines_follow_the_brief_and_are_configurable() -> None:
    assert POLICY.deadline(flash()) == T0 + 10 * MIN
    assert POLICY.deadline(flash("IMMEDIATE")) == T0 + 30 * MIN
    assert POLICY.deadline(flash("PRIORITY")) is None and not POLICY.needs_ack(Precedence.ROUTINE)
    custom = AckPolicy(deadlines={Precedence.FLASH: 2 * MIN}, renotify_every={Precedence.FLASH: MIN})
    assert custom.deadline(flash()) == T0 + 2 * MIN and custom.deadline(flash("IMMEDIATE")) is None
    with pytest.raises(Invalid):
        AckPolicy(deadlines={Precedence.FLASH: -MIN}, renotify_every={Precedence.FLASH: MIN})
    with pytest.raises(Invalid) as err:
        AckPolicy(deadlines={Precedence.FLASH: MIN}, renotify_every={})
    assert err.value.field == "renotify_every"


def test_every_other_recipient_nation_owes_one_acknowledgement() -> None:
    message = flash()
    assert owing_nations(message, CENTRE, ["TUR", "IRQ", "JOR"]) == {"IRQ", "JOR"}
    # inside one nation, that nation owes it
    assert owing_nations(message, CENTRE, ["TUR"]) == {"TUR"}
    owed = requirements(POLICY, message, {"IRQ", "JOR"})
    assert [(a.nation, a.acknowledged) for a in owed] == [("IRQ", False), ("JOR", False)]
    assert requirements(POLICY, flash("ROUTINE"), {"IRQ"}) == []


def test_the_on_duty_watch_officer_or_a_named_role_acknowledges_for_the_nation() -> None:
    message = flash()
    owed = requirements(POLICY, message, {"IRQ", "JOR"})
    assert acknowledging_nation(POLICY, message, CENTRE, irq_watch, on_duty=True, owed=owed) == "IRQ"
    assert acknowledging_nation(POLICY, message, CENTRE, irq_commander, on_duty=False, owed=owed) == "IRQ"
    with pytest.raises(Forbidden):  # a watch officer who is not on shift
        acknowledging_nation(POLICY, message, CENTRE, irq_watch, on_duty=False, owed=owed)
    with pytest.raises(Forbidden):
        acknowledging_nation(POLICY, message, CENTRE, irq_analyst, on_duty=False, owed=owed)
    analysts_too = AckPolicy(ack_roles=frozenset({"analyst"}))
    assert acknowledging_nation(analysts_too, message, CENTRE, irq_analyst, on_duty=False, owed=owed) == "IRQ"
    with pytest.raises(Forbidden):  # TUR owes nothing: it sent the message
        acknowledging_nation(POLICY, message, CENTRE, tur_colleague, on_duty=True, owed=owed)
    with pytest.raises(Forbidden):
        acknowledging_nation(POLICY, message, CENTRE, sender, on_duty=True, owed=owed)
    with pytest.raises(StateConflict):
        acknowledging_nation(POLICY, flash("PRIORITY"), CENTRE, irq_watch, on_duty=True, owed=owed)
    done = [acknowledge(owed[0], 2, T0 + MIN), owed[1]]
    with pytest.raises(StateConflict):
        acknowledging_nation(POLICY, message, CENTRE, irq_commander, on_duty=False, owed=done)
    with pytest.raises(StateConflict):
        acknowledge(done[0], 4, T0 + 2 * MIN)
    gone, _ = retract(message, 1, T0 + MIN)
    with pytest.raises(StateConflict):
        acknowledging_nation(POLICY, gone, CENTRE, irq_watch, on_duty=True, owed=owed)


def test_in_a_direct_conversation_the_other_person_acknowledges_whatever_their_role() -> None:
    direct = replace(new_channel("direct", "1-3", JOINT, members=[1, 3]), id=2)
    message = flash(channel=direct)
    owed = requirements(POLICY, message, owing_nations(message, direct, ["IRQ"]))
    assert acknowledging_nation(POLICY, message, direct, irq_analyst, on_duty=False, owed=owed) == "IRQ"


def test_overdue_acknowledgement_escalates_then_renotifies_until_acknowledged() -> None:
    message = flash()
    owed = requirements(POLICY, message, {"IRQ", "JOR"})
    assert due_escalations(POLICY, message, owed, T0 + 10 * MIN - timedelta(seconds=1), COMMANDERS) == []
    assert next_check(POLICY, message, owed) == T0 + 10 * MIN
    assert {status(POLICY, message, e, T0 + 9 * MIN) for e in owed} == {"pending"}

    first = due_escalations(POLICY, message, owed, T0 + 10 * MIN, COMMANDERS)
    assert [(e.nation, e.level, e.due_at, e.notify) for e in first] == [
        ("IRQ", 1, T0 + 10 * MIN, frozenset({4, 1})),
        ("JOR", 1, T0 + 10 * MIN, frozenset({7, 8, 1})),
    ]
    owed = [record_escalation(e, x, T0 + 10 * MIN) for e, x in zip(owed, first, strict=True)]
    assert {status(POLICY, message, e, T0 + 10 * MIN) for e in owed} == {"overdue"}
    # the same level is not raised twice
    assert due_escalations(POLICY, message, owed, T0 + 14 * MIN, COMMANDERS) == []
    assert next_check(POLICY, message, owed) == T0 + 15 * MIN
    # IRQ acknowledges; JOR keeps being re-notified every 5 minutes
    owed = [acknowledge(owed[0], 2, T0 + 12 * MIN), owed[1]]
    second = due_escalations(POLICY, message, owed, T0 + 15 * MIN, COMMANDERS)
    assert [(e.nation, e.level) for e in second] == [("JOR", 2)]
    owed = [owed[0], record_escalation(owed[1], second[0], T0 + 15 * MIN)]
    # a loop that was down for an hour raises one escalation, at the current level
    late = due_escalations(POLICY, message, owed, T0 + 70 * MIN, COMMANDERS)
    assert [(e.nation, e.level, e.due_at) for e in late] == [("JOR", 13, T0 + 70 * MIN)]
    owed = [owed[0], acknowledge(owed[1], 5, T0 + 71 * MIN)]
    assert due_escalations(POLICY, message, owed, T0 + 200 * MIN, COMMANDERS) == []
    assert next_check(POLICY, message, owed) is None


def test_a_retracted_or_routine_message_never_escalates() -> None:
    message = flash()
    owed = requirements(POLICY, message, {"IRQ"})
    gone, _ = retract(message, 1, T0 + MIN)
    assert due_escalations(POLICY, gone, owed, T0 + 60 * MIN, COMMANDERS) == []
    assert next_check(POLICY, gone, owed) is None
    routine = flash("ROUTINE")
    assert due_escalations(POLICY, routine, [NationAck(100, "IRQ")], T0 + 600 * MIN, COMMANDERS) == []


def test_a_nation_without_commanders_still_escalates_to_the_sender() -> None:
    message = flash("IMMEDIATE")
    owed = requirements(POLICY, message, {"IRQ"})
    [escalation] = due_escalations(POLICY, message, owed, T0 + 30 * MIN, {})
    assert escalation.notify == {1}
