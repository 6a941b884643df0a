"""Channels (`storage.channels`): who takes part in which channel is decided in SQL, with the kind
rules of `domain.channels.may_read_channel`."""

from __future__ import annotations

from concord.centre import Centre
from concord.domain.channels import Channel, ChannelKind
from concord.domain.markings import Level, Marking, Reader
from concord.storage import channels
from tests.factories import person


def test_readers_see_the_centre_their_nation_and_their_own_conversations(centre: Centre) -> None:
    tur, _ = person(centre, "TUR")
    irq, _ = person(centre, "IRQ")
    other_irq, _ = person(centre, "IRQ")
    made = centre.channels.ensure_standard_channels()
    joint = Marking.build(Level.RESTRICTED, "TUR", ["IRQ"])
    with centre.db.write() as tx:
        direct = channels.add_channel(tx.conn, Channel(None, ChannelKind.DIRECT, "pair", joint,
                                                       members=frozenset({tur, irq})), at=centre.clock.now(),
                                      created_by=tur)
    with centre.db.read() as conn:
        assert channels.find_direct(conn, frozenset({irq, tur})) == direct  # one conversation per pair
        names = {p: {(c.kind, c.nation) for c in channels.channels_for(conn, Reader(p, "IRQ", Level.SECRET))}
                 for p in (irq, other_irq)}
        standard = {(c.kind, c.nation) for c in made}
        assert names[irq] == {k for k in standard if k[1] != "TUR"} | {(ChannelKind.DIRECT, None)}
        assert names[other_irq] == {k for k in standard if k[1] != "TUR"}
        found = channels.get_channel(conn, direct)
        assert found is not None and found.members == {tur, irq}
        assert channels.channels_for(conn, Reader(irq, "IRQ", Level.SECRET, may_read=False)) == []
