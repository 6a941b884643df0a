"""Joint operations: what a plan contains and the rules a plan must satisfy.

The lifecycle (who may propose, approve, override) is in `operation_lifecycle`; deconfliction in
`deconfliction`. Geometry is GeoJSON checked by `geo.parse_geometry`; times are aware UTC datetimes
(the API parses ISO 8601); nations are ISO 3166-1 alpha-3 codes known to the centre.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from shapely.geometry.base import BaseGeometry

from concord.domain.coordination_fields import text
from concord.domain.deconfliction import Footprint
from concord.domain.errors import Invalid
from concord.domain.geo import AREA_TYPES, parse_geometry
from concord.domain.markings import Marking

MAX_PHASES = 50
MAX_FORCES = 500
MAX_TASKS = 1_000
MAX_LINKS = 500
#: Altitude bands are metres above mean sea level, from below the Dead Sea to the edge of space.
ALTITUDE_RANGE_M = (-500.0, 100_000.0)
STIX_ID = re.compile(r"^[a-z0-9-]+--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
INCIDENT_REF = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
# MIL-STD-2525C (15 characters: coding scheme, affiliation, dimension, status, function, modifiers,
# country, order of battle; '-' fills unused positions) and 2525D/E (20 digits: version, standard
# identity, symbol set, status, HQ/TF/dummy, amplifier, entity, modifiers).
SIDC_2525C = re.compile(r"^[SGWIOE][PUAFNSHGWMDLJK\-][PAGSUFXTVLOBCE\-][AP\-][A-Z0-9\-]{6}[A-Z0-9\-*]{5}$")
SIDC_2525D = re.compile(
    r"^1[0-3][0-2][0-6](01|02|05|06|10|11|15|20|25|27|30|35|36|40|45|46|47|50|51|52|53|54|60)"
    r"[0-5]\d{13}$"
)


class OperationStatus(StrEnum):
    DRAFT = "draft"
    PROPOSED = "proposed"
    APPROVED = "approved"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


#: Operations other plans are deconflicted against (a draft is private to its planners).
DECONFLICTED = frozenset({OperationStatus.PROPOSED, OperationStatus.APPROVED, OperationStatus.ACTIVE})


class TaskStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class LinkKind(StrEnum):
    INTEL = "intel"  # a STIX object id
    INCIDENT = "incident"  # an incident id


@dataclass(frozen=True, slots=True)
class Window:
    starts_at: datetime
    ends_at: datetime

    def overlaps(self, other: Window) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at

    def contains(self, other: Window) -> bool:
        return self.starts_at <= other.starts_at and other.ends_at <= self.ends_at


@dataclass(frozen=True, slots=True)
class AltitudeBand:
    low_m: float
    high_m: float


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    window: Window
    area: BaseGeometry | None = None


@dataclass(frozen=True, slots=True)
class Force:
    nation: str
    name: str
    sidc: str
    phases: tuple[str, ...] = ()  # names of the phases it takes part in; none: all


@dataclass(frozen=True, slots=True)
class Task:
    title: str
    owner_nation: str
    due_at: datetime
    status: TaskStatus = TaskStatus.OPEN
    phase: str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    kind: LinkKind
    ref: str


@dataclass(frozen=True, slots=True)
class OperationPlan:
    """Everything a planner writes. The *material* part (where, when, who) is versioned."""

    name: str
    objective: str
    lead_nation: str
    participants: tuple[str, ...]
    marking: Marking
    area: BaseGeometry
    window: Window
    altitude: AltitudeBand | None = None
    phases: tuple[Phase, ...] = ()
    forces: tuple[Force, ...] = ()
    tasks: tuple[Task, ...] = ()
    links: tuple[Link, ...] = ()

    def material(self) -> tuple[Any, ...]:
        """What an approval is given for: a change to any of it needs approving again."""
        phases = tuple((p.name, p.window, p.area.wkb if p.area is not None else None) for p in self.phases)
        return (self.area.wkb, self.window, self.altitude, phases, frozenset(self.participants))

    def footprint(self, key: str, standoff_m: float) -> Footprint:
        band = (self.altitude.low_m, self.altitude.high_m) if self.altitude else None
        return Footprint(key, self.area, standoff_m, self.window.starts_at, self.window.ends_at, band)


@dataclass(frozen=True, slots=True)
class Operation:
    id: int
    plan: OperationPlan
    status: OperationStatus
    version: int
    created_by: int | None = None
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def key(self) -> str:
        return operation_key(self.id)


def operation_key(operation_id: int) -> str:
    return f"operation:{operation_id}"


# --------------------------------------------------------------------------- checks


def check_window(window: Window, field: str) -> Window:
    for name, moment in (("starts_at", window.starts_at), ("ends_at", window.ends_at)):
        if moment.tzinfo is None:
            raise Invalid("a time carries its UTC offset", field=f"{field}.{name}")
    if window.ends_at <= window.starts_at:
        raise Invalid("a window ends after it starts", field=f"{field}.ends_at")
    return Window(window.starts_at.astimezone(UTC), window.ends_at.astimezone(UTC))


def check_altitude(band: AltitudeBand | None, field: str) -> AltitudeBand | None:
    if band is None:
        return None
    low, high = ALTITUDE_RANGE_M
    for name, value in (("low_m", band.low_m), ("high_m", band.high_m)):
        if not low <= value <= high:
            raise Invalid(f"an altitude is between {low:g} and {high:g} metres", field=f"{field}.{name}")
    if band.high_m <= band.low_m:
        raise Invalid("an altitude band's top is above its bottom", field=f"{field}.high_m")
    return band


def check_nation(code: str, known: Collection[str], field: str) -> str:
    if code not in known:
        raise Invalid(f"unknown nation {code!r}", field=field)
    return code


def check_sidc(sidc: str, field: str) -> str:
    code = (sidc or "").strip().upper()
    if not (SIDC_2525C.match(code) or SIDC_2525D.match(code)):
        raise Invalid(
            "a symbol code is a MIL-STD-2525C (15 characters) or 2525D/E (20 digits) SIDC", field=field
        )
    return code


def area_from_geojson(value: Any, field: str) -> BaseGeometry:
    return parse_geometry(value, field, AREA_TYPES)


def check_plan(plan: OperationPlan, known_nations: Collection[str]) -> OperationPlan:
    """Check every rule of a plan; return it normalised (lead among participants, sorted nations)."""
    name = text(plan.name, "name", max_length=200)
    objective = text(plan.objective, "objective", max_length=4000)
    check_nation(plan.lead_nation, known_nations, "lead_nation")
    participants = _participants(plan, known_nations)
    missing = [n for n in participants if n not in plan.marking.audience]
    if missing:
        raise Invalid(
            f"every participating nation may see the operation; the marking leaves out {', '.join(missing)}",
            field="marking.releasable_to",
        )
    if plan.marking.originator != plan.lead_nation:
        raise Invalid("the lead nation originates the operation's marking", field="marking.originator")
    window = check_window(plan.window, "window")
    altitude = check_altitude(plan.altitude, "altitude")
    phases = _phases(plan, window)
    phase_names = {p.name for p in phases}
    forces = _forces(plan.forces, participants, phase_names)
    tasks = _tasks(plan.tasks, participants, phase_names)
    links = _links(plan.links)
    return OperationPlan(
        name,
        objective,
        plan.lead_nation,
        participants,
        plan.marking,
        plan.area,
        window,
        altitude,
        phases,
        forces,
        tasks,
        links,
    )


def _participants(plan: OperationPlan, known: Collection[str]) -> tuple[str, ...]:
    seen: list[str] = []
    for i, nation in enumerate(plan.participants):
        check_nation(nation, known, f"participants[{i}]")
        if nation in seen:
            raise Invalid(f"{nation} is listed twice", field=f"participants[{i}]")
        seen.append(nation)
    if plan.lead_nation not in seen:
        seen.append(plan.lead_nation)
    return tuple(sorted(seen))


def _phases(plan: OperationPlan, window: Window) -> tuple[Phase, ...]:
    if len(plan.phases) > MAX_PHASES:
        raise Invalid(f"an operation has at most {MAX_PHASES} phases", field="phases")
    out: list[Phase] = []
    for i, phase in enumerate(plan.phases):
        path = f"phases[{i}]"
        name = text(phase.name, f"{path}.name", max_length=120)
        if any(p.name == name for p in out):
            raise Invalid("phase names are unique within an operation", field=f"{path}.name")
        phase_window = check_window(phase.window, f"{path}.window")
        if not window.contains(phase_window):
            raise Invalid("a phase's window lies within the operation's window", field=f"{path}.window")
        # Deconfliction uses the operation's area and window, so a phase must stay inside them.
        if phase.area is not None and not plan.area.buffer(1e-9).covers(phase.area):
            raise Invalid("a phase's area lies within the operation's area", field=f"{path}.area")
        out.append(Phase(name, phase_window, phase.area))
    return tuple(sorted(out, key=lambda p: (p.window.starts_at, p.name)))


def _forces(forces: Iterable[Force], participants: tuple[str, ...], phases: set[str]) -> tuple[Force, ...]:
    out = []
    for i, force in enumerate(forces):
        path = f"forces[{i}]"
        if i >= MAX_FORCES:
            raise Invalid(f"an operation has at most {MAX_FORCES} forces", field="forces")
        if force.nation not in participants:
            raise Invalid("a force belongs to a participating nation", field=f"{path}.nation")
        for j, phase in enumerate(force.phases):
            if phase not in phases:
                raise Invalid(f"no phase named {phase!r}", field=f"{path}.phases[{j}]")
        out.append(
            Force(
                force.nation,
                text(force.name, f"{path}.name", max_length=200),
                check_sidc(force.sidc, f"{path}.sidc"),
                tuple(force.phases),
            )
        )
    return tuple(out)


def _tasks(tasks: Iterable[Task], participants: tuple[str, ...], phases: set[str]) -> tuple[Task, ...]:
    out = []
    for i, task in enumerate(tasks):
        path = f"tasks[{i}]"
        if i >= MAX_TASKS:
            raise Invalid(f"an operation has at most {MAX_TASKS} tasks", field="tasks")
        if task.owner_nation not in participants:
            raise Invalid("a task is owned by a participating nation", field=f"{path}.owner_nation")
        if task.due_at.tzinfo is None:
            raise Invalid("a time carries its UTC offset", field=f"{path}.due_at")
        if task.phase is not None and task.phase not in phases:
            raise Invalid(f"no phase named {task.phase!r}", field=f"{path}.phase")
        out.append(
            Task(
                text(task.title, f"{path}.title", max_length=300),
                task.owner_nation,
                task.due_at.astimezone(UTC),
                TaskStatus(task.status),
                task.phase,
            )
        )
    return tuple(out)


def _links(links: Iterable[Link]) -> tuple[Link, ...]:
    out: list[Link] = []
    for i, link in enumerate(links):
        path = f"links[{i}]"
        if i >= MAX_LINKS:
            raise Invalid(f"an operation has at most {MAX_LINKS} links", field="links")
        ref = (link.ref or "").strip()
        if link.kind == LinkKind.INTEL and not STIX_ID.match(ref):
            raise Invalid("an intelligence link is a STIX id (type--uuid)", field=f"{path}.ref")
        if link.kind == LinkKind.INCIDENT and not INCIDENT_REF.match(ref):
            raise Invalid("an incident link is an incident id", field=f"{path}.ref")
        if Link(link.kind, ref) not in out:
            out.append(Link(link.kind, ref))
    return tuple(out)
