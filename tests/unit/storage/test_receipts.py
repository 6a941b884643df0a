"""Read receipts (`storage.receipts`): markers only move forward, and reading implies delivery."""

from __future__ import annotations

from datetime import timedelta

from concord.centre import Centre
from concord.clock import FixedClock
from concord.storage import receipts
from tests.factories import person


def test_markers_move_forward_only_and_reading_delivers(centre: Centre, clock: FixedClock) -> None:
    reader, _ = person(centre, "IRQ")
    (channel, *_) = centre.channels.ensure_standard_channels()
    assert channel.id is not None
    first, later = clock.now(), clock.now() + timedelta(minutes=5)
    with centre.db.write() as tx:
        assert receipts.get_marker(tx.conn, reader, channel.id) is None
        receipts.advance_marker(tx.conn, reader, channel.id, read=7, at=first)
        receipts.advance_marker(tx.conn, reader, channel.id, delivered=3, read=5, at=later)  # behind: no change
        receipts.advance_marker(tx.conn, reader, channel.id, delivered=9, at=later)
    with centre.db.read() as conn:
        marker = receipts.get_marker(conn, reader, channel.id)
        assert marker is not None
        assert (marker["delivered_through"], marker["read_through"]) == (9, 7)
        assert receipts.markers_for_channel(conn, channel.id).keys() == {reader}
