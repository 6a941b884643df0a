"""What nations owe on a FLASH message (`storage.acknowledgements`): the escalation loop finds a
message once its next check is due, and never once nothing is left to do."""

from __future__ import annotations

from datetime import timedelta

from concord.centre import Centre
from concord.clock import FixedClock
from concord.domain.markings import Level, Marking
from concord.domain.people import Role
from concord.storage import acknowledgements
from tests.factories import person


def test_a_message_is_due_when_its_next_check_comes(centre: Centre, clock: FixedClock) -> None:
    tur = centre.people.actor(person(centre, "TUR", (Role.WATCH_OFFICER,))[0])
    person(centre, "IRQ", (Role.WATCH_OFFICER,))
    joint = next(c for c in centre.channels.ensure_standard_channels() if c.kind.value == "centre")
    assert joint.id is not None
    flash = centre.messaging.post(tur, joint.id, body="FLASH: demo", precedence="FLASH",
                                  marking=Marking.build(Level.RESTRICTED, "TUR", ["IRQ"]))
    assert flash.id is not None
    with centre.db.read() as conn:
        assert [(a.nation, a.acknowledged) for a in acknowledgements.acks_of(conn, flash.id)] == [("IRQ", False)]
        assert acknowledgements.messages_due(conn, clock.now()) == []
        assert [m.id for m in acknowledgements.messages_due(conn, clock.now() + timedelta(hours=1))] == [flash.id]
    with centre.db.write() as tx:
        acknowledgements.set_next_check(tx.conn, flash.id, None)
    with centre.db.read() as conn:
        assert acknowledgements.messages_due(conn, clock.now() + timedelta(days=1)) == []
