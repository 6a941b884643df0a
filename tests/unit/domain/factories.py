"""Small builders for operation plans in unit tests (fictional data)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import shapely

from concord.domain.markings import Marking
from concord.domain.operations import Force, Operation, OperationPlan, OperationStatus, Phase, Task, Window

T0 = datetime(2027, 4, 1, 6, tzinfo=UTC)
NATIONS = frozenset({"TUR", "IRQ", "JOR"})
AREA = shapely.box(43.0, 36.0, 43.2, 36.2)


def window(start_h: float = 0, hours: float = 48) -> Window:
    return Window(T0 + timedelta(hours=start_h), T0 + timedelta(hours=start_h + hours))


def plan(**changes: Any) -> OperationPlan:
    base = OperationPlan(
        name="Operation GREY HERON",
        objective="Joint patrol of a fictional border valley",
        lead_nation="TUR",
        participants=("IRQ", "TUR"),
        marking=Marking.build("RESTRICTED", "TUR", ["IRQ"]),
        area=AREA,
        window=window(),
        phases=(
            Phase("move", window(0, 12)),
            Phase("patrol", window(12, 36), shapely.box(43.05, 36.05, 43.1, 36.1)),
        ),
        forces=(
            Force("TUR", "1st Patrol Company", "SFGPUCI----D---"),
            Force("IRQ", "Border Guard Unit 7", "10031000141211000000", ("patrol",)),
        ),
        tasks=(
            Task("Open the liaison net", "IRQ", T0 + timedelta(hours=2)),
            Task("Sweep the north road", "TUR", T0 + timedelta(hours=20), phase="patrol"),
        ),
    )
    return replace(base, **changes)


def operation(
    status: OperationStatus = OperationStatus.PROPOSED, version: int = 1, op_id: int = 1, **changes: Any
) -> Operation:
    return Operation(op_id, plan(**changes), status, version)
