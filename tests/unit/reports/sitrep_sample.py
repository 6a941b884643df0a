"""A SITREP with enough rows to run over several pages, for the rendering tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from concord.domain.incident_facts import Counts, Location
from concord.domain.markings import Level, Marking, Reader
from concord.domain.sitrep import IncidentRow, MessageVolume, Period, RfiRow, Sitrep

RESTRICTED = Marking.build("RESTRICTED", "TUR", ["IRQ"])
SECRET = Marking.build("SECRET", "IRQ", ["TUR"])
POINTS = [(44.05, 37.17), (42.4, 37.3), (43.0, 37.05), (44.8, 37.1), (43.9, 37.33)]


def sample_sitrep(incidents: int = 30, *, secret: bool = True,
                  title: str = "Shots fired at a border post") -> Sitrep:
    start = datetime(2026, 11, 28, tzinfo=UTC)
    rows = []
    for i in range(incidents):
        lon, lat = POINTS[i % len(POINTS)]
        marking = SECRET if secret and i == 3 else RESTRICTED
        rows.append(IncidentRow(
            i + 1, f"{title} ({i + 1})", "Armed attack", "reported", marking.originator,
            frozenset({"TUR", "IRQ"} - {marking.originator}), start + timedelta(minutes=40 * i),
            Location.parse({"type": "Point", "coordinates": [lon + i * 0.01, lat]}),
            Counts({"killed": i % 2, "injured": 1}), marking, i % 3 != 0))
    rows.append(IncidentRow(
        99, "Smuggling convoy intercepted", "Smuggling", "acknowledged", "TUR", frozenset({"IRQ"}),
        start + timedelta(hours=14),
        Location.parse({"type": "Polygon", "coordinates": [
            [[43.2, 37.0], [43.6, 37.0], [43.6, 37.25], [43.2, 37.25], [43.2, 37.0]]]}),
        Counts({}), RESTRICTED, True))
    rfi = RfiRow(7, "Movement near the crossing", "TUR", frozenset({"IRQ"}), "high", "accepted",
                 start + timedelta(hours=20), True, RESTRICTED)
    return Sitrep("Joint Security Coordination Centre (fictional)", "Col. Deniz Örnek (fictional)",
                  Reader(1, "TUR", Level.SECRET), Period.day(date(2026, 11, 28)),
                  datetime(2026, 11, 29, 5, 0, tzinfo=UTC), rows, [rfi],
                  messages=MessageVolume({"FLASH": 2, "IMMEDIATE": 5, "ROUTINE": 40}, RESTRICTED))
