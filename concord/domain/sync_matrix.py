"""The synchronisation matrix: an operation's phases x participating nations over time.

Each cell lists the nation's forces taking part in the phase (a force with no phases listed takes
part in all) and its tasks for the phase (a task names its phase, or falls in the first phase whose
window holds its due time). Tasks outside every phase get a row of their own.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from concord.domain.operations import OperationPlan, Task

WHOLE_OPERATION = "(whole operation)"
OUTSIDE_PHASES = "(outside any phase)"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def sync_matrix(plan: OperationPlan) -> dict[str, Any]:
    phases = list(plan.phases) or []
    rows: list[tuple[str, datetime, datetime]] = [
        (p.name, p.window.starts_at, p.window.ends_at) for p in phases
    ]
    if not rows:
        rows = [(WHOLE_OPERATION, plan.window.starts_at, plan.window.ends_at)]
    tasks_by_row: dict[str, list[Task]] = {name: [] for name, _, _ in rows}
    outside: list[Task] = []
    for task in sorted(plan.tasks, key=lambda t: t.due_at):
        row = task.phase or next((name for name, start, end in rows if start <= task.due_at < end), None)
        if row is None or row not in tasks_by_row:
            outside.append(task)
        else:
            tasks_by_row[row].append(task)

    def cell(nation: str, row: str, tasks: list[Task]) -> dict[str, Any]:
        forces = [f for f in plan.forces if f.nation == nation and (not f.phases or row in f.phases)]
        return {
            "forces": [{"name": f.name, "sidc": f.sidc} for f in forces],
            "tasks": [
                {"title": t.title, "due_at": _iso(t.due_at), "status": t.status.value}
                for t in tasks
                if t.owner_nation == nation
            ],
        }

    out_rows: list[dict[str, Any]] = [
        {
            "phase": name,
            "starts_at": _iso(start),
            "ends_at": _iso(end),
            "cells": {n: cell(n, name, tasks_by_row[name]) for n in plan.participants},
        }
        for name, start, end in rows
    ]
    if outside:
        out_rows.append(
            {
                "phase": OUTSIDE_PHASES,
                "starts_at": None,
                "ends_at": None,
                "cells": {
                    n: {
                        "forces": [],
                        "tasks": [
                            {"title": t.title, "due_at": _iso(t.due_at), "status": t.status.value}
                            for t in outside
                            if t.owner_nation == n
                        ],
                    }
                    for n in plan.participants
                },
            }
        )
    return {
        "nations": list(plan.participants),
        "window": {"starts_at": _iso(plan.window.starts_at), "ends_at": _iso(plan.window.ends_at)},
        "rows": out_rows,
    }


def sync_matrix_csv(matrix: dict[str, Any]) -> str:
    """One line per phase and nation: phase, window, nation, forces, tasks (`title @ due [status]`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["phase", "starts_at", "ends_at", "nation", "forces", "tasks"])
    for row in matrix["rows"]:
        for nation in matrix["nations"]:
            cell = row["cells"][nation]
            writer.writerow(
                [
                    _safe(row["phase"]),
                    row["starts_at"] or "",
                    row["ends_at"] or "",
                    nation,
                    "; ".join(_safe(f["name"]) for f in cell["forces"]),
                    "; ".join(f"{_safe(t['title'])} @ {t['due_at']} [{t['status']}]" for t in cell["tasks"]),
                ]
            )
    return buffer.getvalue()


def _safe(value: str) -> str:
    # A cell starting with = + - @ is run as a formula by spreadsheet programs (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
