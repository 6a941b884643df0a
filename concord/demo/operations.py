"""The demo scenario's joint operations (issue 5). Every place, unit and operation is fictional.

Shows: an operation awaiting both commanders' approval, in conflict with an Iraqi operation and with a
protected clinic; a humanitarian convoy notified across the area; and a Turkish national activity
Iraq may not see, of which Iraq is warned without learning anything more.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import shapely

from concord.domain.activities import ActivitySpec
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.operations import Force, OperationPlan, Phase, Task, Window
from concord.domain.sites import SiteKind, SiteSpec

if TYPE_CHECKING:
    from concord.centre import Centre



def load_operations(centre: Centre, people: dict[str, int]) -> None:
    tur_liaison = centre.people.actor(people["tur.liaison"])
    irq_liaison = centre.people.actor(people["irq.liaison"])
    start = centre.clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)

    def window(hours_from: float, hours: float) -> Window:
        return Window(start + timedelta(hours=hours_from), start + timedelta(hours=hours_from + hours))

    every = ["TUR", "IRQ"]
    clinic = SiteSpec(SiteKind.HOSPITAL, "Demo Valley Clinic (fictional)", shapely.Point(43.16, 36.62), 500.0,
                      Marking.build(Level.UNCLASSIFIED, "IRQ", every, Tlp.CLEAR))
    centre.sites.add(irq_liaison, clinic)
    convoy = SiteSpec(SiteKind.HUMANITARIAN_MOVEMENT, "Demo aid convoy (fictional NGO)",
                      shapely.LineString([(42.95, 36.50), (43.40, 36.55)]), 300.0,
                      Marking.build(Level.UNCLASSIFIED, "IRQ", every, Tlp.CLEAR), window(60, 6))
    centre.sites.add(irq_liaison, convoy)

    area = shapely.box(43.05, 36.55, 43.25, 36.70)
    plan = OperationPlan(
        name="Operation AMBER KESTREL (demo)",
        objective="Joint security patrol of a fictional border valley and its river crossings",
        lead_nation="TUR", participants=("IRQ", "TUR"),
        marking=Marking.build(Level.RESTRICTED, "TUR", every), area=area, window=window(0, 72),
        phases=(Phase("Move to positions", window(0, 12)),
                Phase("Patrol", window(12, 48), shapely.box(43.08, 36.58, 43.22, 36.68)),
                Phase("Withdraw", window(60, 12))),
        forces=(Force("TUR", "Demo 3rd Border Patrol Company", "SFGPUCI----D---"),
                Force("IRQ", "Demo 12th Border Guard Battalion", "10031000161211000000", ("Patrol",))),
        tasks=(Task("Open the joint liaison net", "IRQ", start + timedelta(hours=2)),
               Task("Clear the north ford", "TUR", start + timedelta(hours=20), phase="Patrol")),
    )
    operation = centre.operations.create(tur_liaison, plan).operation
    centre.operations.propose(tur_liaison, operation.id)

    iraqi: dict[str, Any] = {
        "name": "Operation DESERT LANTERN (demo)", "objective": "Fictional Iraqi-led checkpoint exercise",
        "lead_nation": "IRQ", "participants": ("IRQ", "TUR"), "marking": Marking.build(Level.RESTRICTED, "IRQ", every),
        "area": shapely.box(43.20, 36.65, 43.35, 36.75), "window": window(24, 48),
    }
    other = centre.operations.create(irq_liaison, OperationPlan(**iraqi)).operation
    centre.operations.propose(irq_liaison, other.id)

    secret = ActivitySpec("TUR", "Demo national reconnaissance flight", "Fictional, for TUR eyes only",
                          Marking.build(Level.CONFIDENTIAL, "TUR", ["TUR"]), shapely.box(43.30, 36.70, 43.45, 36.80),
                          window(30, 6))
    centre.activities.notify(tur_liaison, secret)
