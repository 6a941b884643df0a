"""Operation plans to and from JSON-able dicts (GeoJSON geometry, ISO 8601 UTC times).

One shape serves storage (the plan column and the version history) and the API's responses, so
what is approved and what is shown can never drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import shapely

from concord.domain.geo import to_geojson
from concord.domain.markings import Marking
from concord.domain.operations import (
    AltitudeBand,
    Force,
    Link,
    LinkKind,
    OperationPlan,
    Phase,
    Task,
    TaskStatus,
    Window,
)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def when(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def window_dict(window: Window) -> dict[str, str]:
    return {"starts_at": iso(window.starts_at), "ends_at": iso(window.ends_at)}


def plan_to_dict(plan: OperationPlan) -> dict[str, Any]:
    """Everything but the marking (stored in the marking columns and rendered by the API)."""
    return {
        "name": plan.name,
        "objective": plan.objective,
        "lead_nation": plan.lead_nation,
        "participants": list(plan.participants),
        "area": to_geojson(plan.area),
        "window": window_dict(plan.window),
        "altitude": {"low_m": plan.altitude.low_m, "high_m": plan.altitude.high_m} if plan.altitude else None,
        "phases": [
            {
                "name": p.name,
                "window": window_dict(p.window),
                "area": to_geojson(p.area) if p.area is not None else None,
            }
            for p in plan.phases
        ],
        "forces": [{"nation": f.nation, "name": f.name, "sidc": f.sidc, "phases": list(f.phases)} for f in plan.forces],
        "tasks": [
            {
                "title": t.title,
                "owner_nation": t.owner_nation,
                "due_at": iso(t.due_at),
                "status": t.status.value,
                "phase": t.phase,
            }
            for t in plan.tasks
        ],
        "links": [{"kind": link.kind.value, "ref": link.ref} for link in plan.links],
    }


def plan_from_dict(data: dict[str, Any], marking: Marking) -> OperationPlan:
    """The inverse of `plan_to_dict` for stored (already checked) plans."""
    altitude = data.get("altitude")
    return OperationPlan(
        name=data["name"],
        objective=data["objective"],
        lead_nation=data["lead_nation"],
        participants=tuple(data["participants"]),
        marking=marking,
        area=shapely.geometry.shape(data["area"]),
        window=Window(when(data["window"]["starts_at"]), when(data["window"]["ends_at"])),
        altitude=AltitudeBand(altitude["low_m"], altitude["high_m"]) if altitude else None,
        phases=tuple(
            Phase(
                p["name"],
                Window(when(p["window"]["starts_at"]), when(p["window"]["ends_at"])),
                shapely.geometry.shape(p["area"]) if p.get("area") else None,
            )
            for p in data.get("phases", [])
        ),
        forces=tuple(
            Force(f["nation"], f["name"], f["sidc"], tuple(f.get("phases", []))) for f in data.get("forces", [])
        ),
        tasks=tuple(
            Task(t["title"], t["owner_nation"], when(t["due_at"]), TaskStatus(t["status"]), t.get("phase"))
            for t in data.get("tasks", [])
        ),
        links=tuple(Link(LinkKind(link["kind"]), link["ref"]) for link in data.get("links", [])),
    )
