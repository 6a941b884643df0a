"""The start-up rebuild (arrays computed by the database) gives exactly the footprints the engine
loads one by one while following the event log, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import shapely

from concord.centre import Centre
from concord.clock import FixedClock
from concord.domain.activities import ActivitySpec
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.operations import AltitudeBand, OperationPlan, Window
from concord.domain.people import Actor, Role
from concord.domain.sites import SiteKind, SiteSpec
from concord.storage.footprints import footprint_of
from tests.factories import person


def _actor(centre: Centre, username: str) -> Actor:
    view = centre.people.find(username)
    return Actor(view.id, view.username, view.display_name, view.nation, view.clearance, frozenset(view.current_roles))


def test_rebuild_matches_one_by_one(centre: Centre, clock: FixedClock) -> None:
    person(centre, "TUR", (Role.LIAISON_OFFICER,), username="tur.planner")
    actor = _actor(centre, "tur.planner")
    start = clock.now() + timedelta(hours=1, milliseconds=123)
    window = Window(start, start + timedelta(hours=5, milliseconds=456))
    marking = Marking.build(Level.RESTRICTED, "TUR", ["IRQ"])
    banded = OperationPlan("Banded (demo)", "x", "TUR", ("TUR",), marking, shapely.box(43, 36, 43.1, 36.1), window,
                           AltitudeBand(150.5, 3000.0))
    flat = OperationPlan("Flat (demo)", "x", "TUR", ("TUR",), marking, shapely.box(44, 36, 44.1, 36.1), window)
    for plan in (banded, flat):
        op = centre.operations.create(actor, plan).operation
        centre.operations.propose(actor, op.id)
    centre.operations.create(actor, flat)   # a draft: not deconflicted
    centre.sites.add(actor, SiteSpec(SiteKind.SCHOOL, "Demo school", shapely.Point(45, 36), 250.0,
                                     Marking.build(Level.UNCLASSIFIED, "TUR", ["IRQ"], Tlp.CLEAR)))
    centre.sites.add(actor, SiteSpec(SiteKind.HUMANITARIAN_MOVEMENT, "Demo convoy",
                                     shapely.LineString([(45, 37), (45.2, 37)]), 100.0, marking, window))
    centre.activities.notify(actor, ActivitySpec("TUR", "Demo flight", "", marking, shapely.box(46, 36, 46.1, 36.1),
                                                 window, AltitudeBand(0, 500)))
    assert centre.deconfliction.rebuild() == 5
    engine = centre.deconfliction.engine
    keys = sorted(f.key for f in engine.footprints())
    assert keys == ["activity:1", "operation:1", "operation:2", "site:1", "site:2"]
    with centre.db.read() as conn:
        for key in keys:
            rebuilt, loaded = engine.get(key), footprint_of(conn, key, centre.deconfliction.standoff_m)
            assert rebuilt is not None and loaded is not None
            assert rebuilt.geometry.equals(loaded.geometry)
            assert (rebuilt.buffer_m, rebuilt.starts_at, rebuilt.ends_at, rebuilt.altitude) == (
                loaded.buffer_m, loaded.starts_at, loaded.ends_at, loaded.altitude), key
    assert engine.get("operation:1").altitude == (150.5, 3000.0)   # type: ignore[union-attr]
    assert engine.get("site:1").starts_at is None                   # type: ignore[union-attr]
    assert engine.get("site:2").ends_at == window.ends_at           # type: ignore[union-attr]
