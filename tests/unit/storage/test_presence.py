"""Presence (`storage.presence`): connections counted per person; a row not refreshed goes stale."""

from __future__ import annotations

from datetime import timedelta

from concord.centre import Centre
from concord.clock import FixedClock
from concord.storage import presence
from tests.factories import person


def test_online_counts_fresh_connections_only(centre: Centre, clock: FixedClock) -> None:
    tur, _ = person(centre, "TUR")
    irq, _ = person(centre, "IRQ")
    now = clock.now()
    with centre.db.write() as tx:
        presence.connected(tx.conn, "tur-1", tur, now - timedelta(minutes=10))
        presence.connected(tx.conn, "tur-2", tur, now - timedelta(minutes=5))
        presence.connected(tx.conn, "irq-1", irq, now - timedelta(minutes=10))  # its process died
        presence.seen(tx.conn, ["tur-1", "tur-2"], now)
    since = now - timedelta(seconds=90)
    with centre.db.read() as conn:
        (online,) = presence.online(conn, since)
        assert (online.person_id, online.connections, online.since) == (tur, 2, now - timedelta(minutes=10))
        assert presence.online_nations(conn, since) == {tur: "TUR"}
        assert presence.online(conn, since, [irq]) == []
    with centre.db.write() as tx:
        presence.disconnected(tx.conn, ["tur-1"])
    with centre.db.read() as conn:
        assert [o.connections for o in presence.online(conn, since)] == [1]
