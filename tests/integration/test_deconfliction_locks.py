"""Conflict-writing checks lock the zone's grid cells, not the centre (PostgreSQL): checks far apart
run side by side; checks whose zones meet still run one after the other; a zone too wide for cells
excludes every check."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from shapely.geometry import Point, box

from concord.clock import FixedClock
from concord.domain.deconfliction import MAX_CELLS, Footprint, zone_cells
from concord.services.deconfliction import DeconflictionService
from concord.storage.db import Database
from tests.conftest import _wipe_postgres

HOLD_SECONDS = 1.5


@pytest.fixture
def service(postgres_database: str) -> Iterator[DeconflictionService]:
    _wipe_postgres(postgres_database)
    db = Database(postgres_database)
    yield DeconflictionService(db, FixedClock(), standoff_m=500, contact="watch")
    db.dispose()


def _hold_check(service: DeconflictionService, footprint: Footprint, checking: threading.Event) -> threading.Thread:
    def run() -> None:
        with service.db.write() as tx:
            service.check_in(tx, footprint)
            checking.set()
            time.sleep(HOLD_SECONDS)
    thread = threading.Thread(target=run)
    thread.start()
    assert checking.wait(10)
    return thread


def _check_seconds(service: DeconflictionService, footprint: Footprint) -> float:
    started = time.monotonic()
    with service.db.write() as tx:
        service.check_in(tx, footprint)
    return time.monotonic() - started


def test_checks_far_apart_do_not_wait_and_checks_that_meet_do(service: DeconflictionService) -> None:
    mosul = Footprint("operation:1", box(43.0, 36.2, 43.3, 36.45), buffer_m=1000)
    checking = threading.Event()
    thread = _hold_check(service, mosul, checking)
    try:
        far = Footprint("operation:2", box(30.0, 39.8, 30.2, 40.0), buffer_m=1000)  # western Türkiye
        assert _check_seconds(service, far) < HOLD_SECONDS / 2
        # Apart by 1.2 km, zones of 1 km each: they meet, so this one waits for the first to commit.
        near = Footprint("operation:3", Point(43.3 + 1200 / 89_600, 36.3), buffer_m=1000)
        assert _check_seconds(service, near) > HOLD_SECONDS / 2
    finally:
        thread.join()


def test_a_zone_too_wide_for_cells_excludes_every_check(service: DeconflictionService) -> None:
    country = Footprint("operation:4", box(26.0, 36.0, 45.0, 42.0))
    assert zone_cells([country]) is None
    checking = threading.Event()
    thread = _hold_check(service, country, checking)
    try:
        far = Footprint("operation:5", Point(10.0, 10.0), buffer_m=10)
        assert _check_seconds(service, far) > HOLD_SECONDS / 2
    finally:
        thread.join()


def test_zones_that_meet_share_a_cell() -> None:
    # Two zones touching across a cell boundary (0.5° grid) at longitude 43.5.
    west = Footprint("a", box(43.2, 36.1, 43.5 - 0.005, 36.2), buffer_m=300)
    east = Footprint("b", box(43.5 + 0.002, 36.1, 43.8, 36.2), buffer_m=300)
    shared = set(zone_cells([west]) or []) & set(zone_cells([east]) or [])
    assert shared
    small = zone_cells([Footprint("c", Point(43.0, 36.0))])
    assert small is not None and len(small) <= 4
    assert zone_cells([None]) == []
    assert MAX_CELLS >= 64
