"""The demo scenario. Every person, unit and place-name here is fictional.

Each feature adds its part of the scenario through `SCENARIO_STEPS`, so `concord demo` shows every
capability working. Steps run once: the scenario records that it was loaded.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from concord.centre import Centre
from concord.demo.coordination import coordination_scenario
from concord.demo.intel import intel_scenario
from concord.demo.map_sample import map_sample_scenario
from concord.demo.operations import load_operations
from concord.domain.markings import Level
from concord.domain.people import Role
from concord.private_files import write_private

# (username, display name, nation, clearance, roles) — fictional officers of the demo centre.
DEMO_PEOPLE: list[tuple[str, str, str, Level, list[Role]]] = [
    ("tur.commander", "Tuğgeneral Deniz Kurgu (demo)", "TUR", Level.SECRET, [Role.COMMANDER]),
    ("tur.liaison", "Binbaşı Ece Örnek (demo)", "TUR", Level.SECRET, [Role.LIAISON_OFFICER]),
    ("tur.analyst", "Yüzbaşı Can Taslak (demo)", "TUR", Level.CONFIDENTIAL, [Role.ANALYST]),
    ("tur.watch", "Üsteğmen Arda Deneme (demo)", "TUR", Level.SECRET, [Role.WATCH_OFFICER]),
    ("tur.admin", "TUR administrator (demo)", "TUR", Level.SECRET, [Role.ADMINISTRATOR]),
    ("irq.commander", "Brigadier General Sami Al-Khayali (demo)", "IRQ", Level.SECRET, [Role.COMMANDER]),
    ("irq.liaison", "Colonel Layla Al-Mithali (demo)", "IRQ", Level.SECRET, [Role.LIAISON_OFFICER]),
    ("irq.analyst", "Captain Omar Al-Tajribi (demo)", "IRQ", Level.CONFIDENTIAL, [Role.ANALYST]),
    ("irq.watch", "Lieutenant Huda Al-Namudhaji (demo)", "IRQ", Level.SECRET, [Role.WATCH_OFFICER]),
    ("irq.admin", "IRQ administrator (demo)", "IRQ", Level.SECRET, [Role.ADMINISTRATOR]),
]

#: Features append `step(centre, people)` functions; `people` maps username → person id.
ScenarioStep = Callable[[Centre, dict[str, int]], None]
SCENARIO_STEPS: list[ScenarioStep] = []
SCENARIO_STEPS.append(coordination_scenario)
SCENARIO_STEPS.append(intel_scenario)
SCENARIO_STEPS.append(load_operations)
SCENARIO_STEPS.append(map_sample_scenario)


def _accounts_file(centre: Centre) -> Path:
    return centre.settings.data_dir / "demo-accounts.json"


def witness_demo_audit_log(centre: Centre) -> None:
    """Both nations' witnesses cosign the first checkpoint, as they would at the start of a shift.

    In the demo their keys sit under the data directory's `witnesses/`; a real nation keeps its
    witness key on its own machine and runs `concord audit witness --nation X --key FILE --url …`.
    """
    from concord.cli.audit import LocalCentre, run_witness

    centre.audit.issue_checkpoint()
    for nation in centre.nations.codes():
        key = centre.settings.data_dir / "witnesses" / f"{nation}.skey"
        run_witness(LocalCentre(centre, nation), nation, key, None, None, register=True)


def load_scenario(centre: Centre) -> list[dict[str, Any]]:
    """Load the scenario into an empty centre (or return the accounts of one already loaded)."""
    path = _accounts_file(centre)
    if centre.nations.codes():
        if path.exists():
            return list(json.loads(path.read_text(encoding="utf-8")))
        return []
    # Tests and screenshots may fix the demo password; otherwise each account gets a fresh one.
    fixed = os.environ.get("CONCORD_DEMO_PASSWORD")
    accounts: list[dict[str, Any]] = []
    people: dict[str, int] = {}
    with centre.db.write() as tx:
        centre.nations.add_in(tx, "TUR", "Türkiye")
        centre.nations.add_in(tx, "IRQ", "Iraq")
        for username, name, nation, clearance, roles in DEMO_PEOPLE:
            password = fixed or secrets.token_urlsafe(9)
            person_id = centre.people.create_in(tx, None, username=username, display_name=name, nation=nation,
                                                clearance=clearance, password=password,
                                                language="tr" if nation == "TUR" else "ar")
            for role in roles:
                centre.people.appoint_in(tx, None, person_id=person_id, role=role, starts_at=centre.clock.now())
            people[username] = person_id
            accounts.append({"username": username, "display_name": name, "nation": nation,
                             "roles": [r.value for r in roles], "password": password})
    for step in SCENARIO_STEPS:
        step(centre, people)
    witness_demo_audit_log(centre)
    write_private(path, json.dumps(accounts, ensure_ascii=False, indent=2).encode("utf-8"))
    return accounts


# --- TAK gateway: fictional field units and their tracks ---------------------------------------------

#: (username, display name, nation, callsign, CoT type, lat, lon, TAK group) — fictional field units.
DEMO_FIELD_UNITS: list[tuple[str, str, str, str, str, float, float, str]] = [
    ("tur.field1", "TUR field unit Alpha (demo)", "TUR", "DEMO-TUR-ALPHA", "a-f-G-U-C-I", 37.18, 42.61, "Cyan"),
    ("tur.field2", "TUR field unit Bravo (demo)", "TUR", "DEMO-TUR-BRAVO", "a-f-G-U-C-R", 37.22, 42.75, "Red"),
    ("irq.field1", "IRQ field unit Charlie (demo)", "IRQ", "DEMO-IRQ-CHARLIE", "a-f-G-U-C-I", 37.05, 42.70, "Cyan"),
]


def _field_units(centre: Centre, people: dict[str, int]) -> None:
    from datetime import timedelta

    from lxml.etree import Element, SubElement

    from concord.cot.render import inbound
    from concord.domain.cot import CotEvent

    now = centre.clock.now()
    with centre.db.write() as tx:
        for username, name, nation, *_ in DEMO_FIELD_UNITS:
            person_id = centre.people.create_in(tx, None, username=username, display_name=name, nation=nation,
                                                clearance=Level.RESTRICTED, password=secrets.token_urlsafe(12))
            centre.people.appoint_in(tx, None, person_id=person_id, role=Role.FIELD_UNIT, starts_at=now)
            people[username] = person_id
    for username, _, _, callsign, cot_type, lat, lon, group in DEMO_FIELD_UNITS:
        who = centre.tracks.identify(username)
        reports = []
        for step in range(3):  # a short trail so the history shows movement
            detail = Element("detail")
            SubElement(detail, "contact", {"callsign": callsign})
            SubElement(detail, "__group", {"name": group, "role": "Team Member"})
            SubElement(detail, "track", {"speed": "4.0", "course": "45.0"})
            at = now - timedelta(minutes=10 * (2 - step))
            reports.append(inbound(CotEvent(
                uid=f"demo-{username}", type=cot_type, how="m-g", time=at, start=at, stale=now + timedelta(hours=12),
                lat=lat + 0.004 * step, lon=lon + 0.004 * step, hae=600.0, detail=detail)))
        centre.tracks.ingest(who, "demo", reports)
    spot = Element("detail")
    SubElement(spot, "contact", {"callsign": "DEMO spot: unidentified vehicle"})
    SubElement(spot, "remarks").text = "Fictional demo spot report: a vehicle moving north on the valley road."
    SubElement(spot, "archive")
    centre.tracks.ingest(centre.tracks.identify("irq.field1"), "demo", [inbound(CotEvent(
        uid="demo-spot-1", type="b-m-p-s-m", how="h-g-i-g-o", time=now, start=now,
        stale=now + timedelta(hours=12), lat=37.10, lon=42.68, detail=spot))])


SCENARIO_STEPS.append(_field_units)
def _realtime_scenario(centre: Centre, people: dict[str, int]) -> None:
    """Channels, a day's chat in both languages, watch shifts, and a FLASH still awaiting IRQ's
    acknowledgement (issue 4). All fictional."""
    from datetime import timedelta

    from concord.domain.attachments import Upload
    from concord.domain.markings import Marking
    from concord.domain.people import Actor

    def actor(username: str) -> Actor:
        return centre.people.actor(people[username])

    centre.channels.ensure_standard_channels()
    channels = {(c.kind.value, c.nation): c.id or 0 for c in centre.channels.channels(actor("tur.watch"))}
    irq_channels = {(c.kind.value, c.nation): c.id or 0 for c in centre.channels.channels(actor("irq.watch"))}
    joint, tur_only, irq_only = channels[("centre", None)], channels[("nation", "TUR")], irq_channels[("nation", "IRQ")]
    now = centre.clock.now()
    for watch in ("tur.watch", "irq.watch"):
        centre.duty.add_shift(None, person_id=people[watch], starts_at=now - timedelta(hours=2),
                                          ends_at=now + timedelta(hours=6))
    both = Marking.build(Level.RESTRICTED, "TUR", ["IRQ"], "AMBER")
    both_irq = Marking.build(Level.RESTRICTED, "IRQ", ["TUR"], "AMBER")
    say = centre.messaging.post
    say(actor("tur.liaison"), joint, body="Günaydın. Daily coordination call at 0900Z on the usual line.",
        precedence="ROUTINE", marking=both)
    say(actor("irq.liaison"), joint, body="صباح الخير — confirmed, IRQ liaison cell will join at 0900Z.",
        precedence="ROUTINE", marking=both_irq)
    say(actor("irq.watch"), joint, body="Patrol ECHO-3 delayed at checkpoint LIMA by road works (exercise data).",
        precedence="PRIORITY", marking=both_irq)
    say(actor("tur.analyst"), tur_only, body="İç not: vardiya değişimi 1800Z.", precedence="ROUTINE",
        marking=Marking.build(Level.RESTRICTED, "TUR", [], "AMBER+STRICT"))
    say(actor("irq.analyst"), irq_only, body="ملاحظة داخلية: تقرير الطقس جاهز.", precedence="ROUTINE",
        marking=Marking.build(Level.RESTRICTED, "IRQ", [], "AMBER+STRICT"))
    dm = centre.channels.create_channel(actor("tur.liaison"), kind="direct", name="Liaison desk TUR–IRQ",
                                         max_marking=both, members=[people["tur.liaison"], people["irq.liaison"]])
    assert dm.id is not None
    say(actor("tur.liaison"), dm.id, body="Can we move tomorrow's site visit to 1100Z?", precedence="ROUTINE",
        marking=both)
    route_card = "\n".join([
        "EXERCISE — FICTIONAL DATA — NOT A REAL PLAN",
        "Route card: joint site visit, checkpoint LIMA to border post KESTREL-7",
        "1100Z  depart checkpoint LIMA (TUR liaison cell, IRQ liaison cell)",
        "1145Z  halt at water point ORCHID (5 min)",
        "1230Z  arrive border post KESTREL-7; brief by the post commander",
        "Every name and place on this card is invented for the demo.",
    ]) + "\n"
    say(actor("irq.liaison"), dm.id, body="Route card for the site visit attached (exercise).", precedence="ROUTINE",
        marking=both_irq, uploads=[Upload("route-card-EXERCISE.txt", "text/plain", route_card.encode())])
    say(actor("tur.watch"), joint, precedence="FLASH", marking=both,
        body="FLASH — unidentified drone sighted over border post KESTREL-7 (fictional). Acknowledge.")


SCENARIO_STEPS.append(_realtime_scenario)


# --- Account security: the two-person rule -------------------------------------------------------

def _two_person_request(centre: Centre, people: dict[str, int]) -> None:
    """TUR's administrator asks to make the TUR analyst a deputy administrator; the request waits for
    a second person of TUR (the commander or another administrator): GET /api/privileged-requests,
    then POST /api/privileged-requests/{id}/confirm or …/refuse."""
    admin = centre.people.actor(people["tur.admin"])
    centre.privileged.request_appointment(admin, person_id=people["tur.analyst"], role=Role.ADMINISTRATOR,
                                          starts_at=None, ends_at=None)


SCENARIO_STEPS.append(_two_person_request)
