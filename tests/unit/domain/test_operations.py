"""A plan's rules: every bad field is refused by name."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import shapely

from concord.domain.errors import Invalid
from concord.domain.markings import Marking
from concord.domain.operations import (
    AltitudeBand,
    Force,
    Link,
    LinkKind,
    Phase,
    Task,
    Window,
    check_plan,
)
from tests.unit.domain.factories import NATIONS, T0, plan, window


def refused(**changes: object) -> Invalid:
    with pytest.raises(Invalid) as caught:
        check_plan(plan(**changes), NATIONS)
    return caught.value


def test_a_good_plan_is_normalised() -> None:
    checked = check_plan(plan(participants=("IRQ",)), NATIONS)
    assert checked.participants == ("IRQ", "TUR")  # the lead always takes part
    assert [p.name for p in checked.phases] == ["move", "patrol"]
    assert checked.forces[0].sidc == "SFGPUCI----D---"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"objective": ""}, "objective"),
        ({"lead_nation": "XXX"}, "lead_nation"),
        ({"participants": ("IRQ", "ZZZ")}, "participants[1]"),
        ({"participants": ("IRQ", "IRQ")}, "participants[1]"),
        ({"window": Window(T0, T0)}, "window.ends_at"),
        ({"window": Window(T0, T0 - timedelta(hours=1))}, "window.ends_at"),
        (
            {"window": Window(T0.replace(tzinfo=None), T0.replace(tzinfo=None) + timedelta(hours=1))},
            "window.starts_at",
        ),
        ({"altitude": AltitudeBand(1000, 500)}, "altitude.high_m"),
        ({"altitude": AltitudeBand(-1000, 500)}, "altitude.low_m"),
        ({"phases": (Phase("early", window(-5, 10)),)}, "phases[0].window"),
        ({"phases": (Phase("a", window(0, 5)), Phase("a", window(5, 5)))}, "phases[1].name"),
        ({"phases": (Phase("a", window(0, 5), shapely.box(44, 36, 44.1, 36.1)),)}, "phases[0].area"),
        (
            {"phases": (Phase("a", window(2, 1)), Phase("b", Window(T0 + timedelta(hours=3), T0)))},
            "phases[1].window.ends_at",
        ),
        ({"forces": (Force("JOR", "Unit", "SFGPUCI----D---"),)}, "forces[0].nation"),
        ({"forces": (Force("TUR", "Unit", "not-a-sidc"),)}, "forces[0].sidc"),
        ({"forces": (Force("TUR", "Unit", "10031000141211000000", ("nope",)),)}, "forces[0].phases[0]"),
        ({"tasks": (Task("t", "JOR", T0),)}, "tasks[0].owner_nation"),
        ({"tasks": (Task("t", "TUR", T0, phase="nope"),)}, "tasks[0].phase"),
        ({"tasks": (Task("", "TUR", T0),)}, "tasks[0].title"),
        ({"links": (Link(LinkKind.INTEL, "indicator--nope"),)}, "links[0].ref"),
        ({"links": (Link(LinkKind.INCIDENT, "a b"),)}, "links[0].ref"),
        ({"marking": Marking.build("RESTRICTED", "TUR", [])}, "marking.releasable_to"),
        ({"marking": Marking.build("RESTRICTED", "TUR", ["IRQ"], tlp="RED")}, "marking.releasable_to"),
        ({"marking": Marking.build("RESTRICTED", "IRQ", ["TUR"])}, "marking.originator"),
    ],
)
def test_bad_fields_are_named(changes: dict[str, object], field: str) -> None:
    assert refused(**changes).field == field


def test_links_are_deduplicated_and_sidc_both_editions() -> None:
    ref = "report--0b4e0a6c-7c60-4b8e-9d43-0e2b4c9f8f11"
    checked = check_plan(
        plan(links=(Link(LinkKind.INTEL, ref), Link(LinkKind.INTEL, ref), Link(LinkKind.INCIDENT, "42"))),
        NATIONS,
    )
    assert len(checked.links) == 2


def test_material_part_is_where_when_who() -> None:
    p = plan()
    assert p.material() == replace(p, objective="changed", tasks=()).material()
    assert p.material() != replace(p, area=shapely.box(43.0, 36.0, 43.3, 36.2)).material()
    assert p.material() != replace(p, window=window(0, 49)).material()
    assert p.material() != replace(p, participants=("IRQ", "JOR", "TUR")).material()
    assert p.material() != replace(p, phases=p.phases[:1]).material()
    assert p.material() != replace(p, altitude=AltitudeBand(0, 100)).material()
    # The order nations are listed in is not a change.
    assert p.material() == replace(p, participants=("TUR", "IRQ")).material()
