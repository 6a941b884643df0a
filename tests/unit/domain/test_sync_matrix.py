"""The synchronisation matrix: phases x nations, as JSON and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from concord.domain.operations import Task
from concord.domain.sync_matrix import OUTSIDE_PHASES, WHOLE_OPERATION, sync_matrix, sync_matrix_csv
from tests.unit.domain.factories import T0, plan


def test_phases_by_nations() -> None:
    matrix = sync_matrix(plan())
    assert matrix["nations"] == ["IRQ", "TUR"]
    assert [r["phase"] for r in matrix["rows"]] == ["move", "patrol"]
    move, patrol = matrix["rows"]
    assert move["starts_at"] == "2027-04-01T06:00:00Z"
    # The Iraqi unit takes part in the patrol only; the Turkish company (no phases listed) in both.
    assert move["cells"]["IRQ"]["forces"] == []
    assert [f["name"] for f in patrol["cells"]["IRQ"]["forces"]] == ["Border Guard Unit 7"]
    assert [f["name"] for f in move["cells"]["TUR"]["forces"]] == ["1st Patrol Company"]
    # A task with no phase falls where its due time does; one with a phase goes there.
    assert [t["title"] for t in move["cells"]["IRQ"]["tasks"]] == ["Open the liaison net"]
    assert [t["title"] for t in patrol["cells"]["TUR"]["tasks"]] == ["Sweep the north road"]


def test_no_phases_and_tasks_outside_them() -> None:
    late = Task("Debrief", "IRQ", T0 + timedelta(days=5))
    matrix = sync_matrix(plan(phases=(), forces=(), tasks=(late,)))
    assert [r["phase"] for r in matrix["rows"]] == [WHOLE_OPERATION, OUTSIDE_PHASES]
    assert matrix["rows"][1]["cells"]["IRQ"]["tasks"][0]["title"] == "Debrief"


def test_csv_has_a_line_per_phase_and_nation_and_defuses_formulas() -> None:
    p = plan(tasks=(Task('=HYPERLINK("x")', "TUR", T0 + timedelta(hours=1)),))
    rows = list(csv.reader(io.StringIO(sync_matrix_csv(sync_matrix(p)))))
    assert rows[0] == ["phase", "starts_at", "ends_at", "nation", "forces", "tasks"]
    assert [(r[0], r[3]) for r in rows[1:]] == [
        ("move", "IRQ"),
        ("move", "TUR"),
        ("patrol", "IRQ"),
        ("patrol", "TUR"),
    ]
    assert rows[2][5].startswith("'=HYPERLINK")
