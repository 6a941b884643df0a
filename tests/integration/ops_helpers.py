"""Shared builders for the operations API tests (fictional places and units)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.clock import iso
from concord.domain.people import Role
from tests.factories import ApiClient, person, sign_in


def box(lon: float, lat: float, width: float = 0.1, height: float = 0.1) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + width, lat], [lon + width, lat + height],
                                                [lon, lat + height], [lon, lat]]]}


def window(start: datetime, hours: float = 48, offset_hours: float = 0) -> dict[str, str]:
    begin = start + timedelta(hours=offset_hours)
    return {"starts_at": iso(begin), "ends_at": iso(begin + timedelta(hours=hours))}


def operation_body(start: datetime, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Operation SILVER FORD",
        "objective": "Joint patrol of a fictional river crossing",
        "participants": ["IRQ", "TUR"],
        "area": box(43.0, 36.0),
        "window": window(start, 48, 24),
        "phases": [{"name": "move", "window": window(start, 12, 24)},
                   {"name": "patrol", "window": window(start, 36, 36), "area": box(43.02, 36.02, 0.05, 0.05)}],
        "forces": [{"nation": "TUR", "name": "1st Demo Patrol Company", "sidc": "SFGPUCI----D---"},
                   {"nation": "IRQ", "name": "Demo Border Guard Unit", "sidc": "10031000141211000000",
                    "phases": ["patrol"]}],
        "tasks": [{"title": "Open the liaison net", "owner_nation": "IRQ", "due_at": iso(start + timedelta(hours=26))}],
    }
    body.update(changes)
    return body


def national_body(start: datetime, **changes: Any) -> dict[str, Any]:
    """A TUR-only operation, marked for TUR eyes only."""
    return operation_body(start, participants=["TUR"], marking={"level": "RESTRICTED", "releasable_to": []},
                          forces=[{"nation": "TUR", "name": "Demo Special Unit", "sidc": "SFGPUCI----D---"}],
                          tasks=[], **changes)


@dataclass
class Staff:
    tur_planner: ApiClient
    tur_general: ApiClient
    irq_planner: ApiClient
    irq_general: ApiClient
    irq_watch: ApiClient


def staff(centre: Centre, client: TestClient) -> Staff:
    for name, nation, role in [("tur.planner", "TUR", Role.LIAISON_OFFICER), ("tur.general", "TUR", Role.COMMANDER),
                               ("irq.planner", "IRQ", Role.LIAISON_OFFICER), ("irq.general", "IRQ", Role.COMMANDER),
                               ("irq.watch", "IRQ", Role.WATCH_OFFICER)]:
        person(centre, nation, (role,), username=name)
    return Staff(*(sign_in(client, n) for n in ("tur.planner", "tur.general", "irq.planner", "irq.general",
                                                "irq.watch")))


def created(api: ApiClient, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/api/operations", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def proposed(api: ApiClient, body: dict[str, Any]) -> dict[str, Any]:
    op = created(api, body)
    response = api.post(f"/api/operations/{op['id']}/propose")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
