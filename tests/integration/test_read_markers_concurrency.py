"""Read markers under concurrent writes (PostgreSQL, where writers no longer take turns): two writes
for one person and channel at once neither collide nor move the marker back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from concord.centre import Centre
from concord.clock import FixedClock
from concord.storage.receipts import advance_marker, get_marker
from tests.conftest import _wipe_postgres, fast_settings
from tests.factories import person

AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def centre(postgres_database: str, tmp_path: Path) -> Iterator[Centre]:
    _wipe_postgres(postgres_database)
    the_centre = Centre(fast_settings(postgres_database, tmp_path / "data"), clock=FixedClock())
    the_centre.nations.add("TUR", "Türkiye")
    yield the_centre
    the_centre.close()


def test_concurrent_first_markers_and_updates_keep_the_highest(centre: Centre) -> None:
    [channel, *_] = centre.channels.ensure_standard_channels()
    errors: list[BaseException] = []
    for round_ in range(8):
        person_id, _ = person(centre, "TUR")
        barrier = threading.Barrier(2)

        def advance(delivered: int, read: int | None, person_id: int = person_id,
                    barrier: threading.Barrier = barrier) -> None:
            try:
                with centre.db.write() as tx:
                    barrier.wait(10)
                    advance_marker(tx.conn, person_id, channel.id, delivered=delivered, read=read, at=AT)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=advance, args=(10 + round_, None)),
                   threading.Thread(target=advance, args=(5, 3))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == []
        with centre.db.read() as conn:
            marker = get_marker(conn, person_id, channel.id)
        assert marker is not None
        assert (marker["delivered_through"], marker["read_through"]) == (10 + round_, 3)
