"""The coordination part of the demo scenario: incidents, RFIs (one overdue) and a release awaiting approval.

Everything is fictional: the places are invented names near the Türkiye-Iraq border, the events did
not happen. Past events are entered through the same services with a clock set to the moment they
happened (yesterday and the day before, in UTC), so each carries a consistent history (timeline,
events) as if entered at the time, and yesterday's SITREP, the default, shows them whatever the hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from concord.centre import Centre
from concord.cli.centre import actor_for
from concord.clock import Clock, iso
from concord.services.incidents import IncidentService
from concord.services.releases import ReleaseService
from concord.services.rfis import RfiService


class _At:
    """A clock stopped at one moment in the scenario's past."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def _marking(level: str, to: list[str]) -> dict[str, Any]:
    return {"level": level, "originator": "", "releasable_to": to}


def coordination_scenario(centre: Centre, _people: dict[str, int]) -> None:
    tur_watch, tur_liaison = actor_for(centre, "tur.watch"), actor_for(centre, "tur.liaison")
    tur_commander, irq_liaison = actor_for(centre, "tur.commander"), actor_for(centre, "irq.liaison")

    now = centre.clock.now().astimezone(UTC)
    yesterday = datetime.combine(now.date() - timedelta(days=1), time(0, 0), tzinfo=UTC)

    def at(hours_after_yesterday: float) -> tuple[IncidentService, RfiService, str]:
        clock: Clock = _At(yesterday + timedelta(hours=hours_after_yesterday))
        return IncidentService(centre.db, clock), RfiService(centre.db, clock), iso(clock.now())

    def incident(service: IncidentService, actor: Any, occurred: str, **fields: Any) -> int:
        marking = {**fields.pop("marking"), "originator": actor.nation}
        view = service.report(actor, {"occurred_from": occurred, "marking": marking, **fields})
        assert view.incident.id is not None
        return view.incident.id

    # Two days ago: an explosive device, found, investigated and closed.
    service, _, when = at(-14)
    closed = incident(service, tur_watch, when, category="explosive_device",
                      title="Improvised device found in culvert on patrol road K-7 (fictional)",
                      description="Engineers made it safe. No casualties.",
                      location={"type": "Point", "coordinates": [43.62, 37.24]}, counts={"killed": 0, "injured": 0},
                      marking=_marking("RESTRICTED", ["IRQ"]), partners=["IRQ"])
    service, _, _ = at(-13)
    service.acknowledge(irq_liaison, closed)
    service, _, _ = at(-11)
    service.start_investigation(tur_watch, closed)
    service, _, _ = at(1)
    service.close(tur_watch, closed, "Device of a known pattern; route cleared and patrols resumed.")

    # Yesterday: a border violation, acknowledged and under investigation.
    service, _, when = at(3.2)
    crossing = incident(service, tur_watch, when, category="border_violation",
                        title="Armed group crossed near observation post Kartal-3 (fictional)",
                        description="Six armed persons on foot moved south across the border at 03:10.",
                        location={"type": "Point", "coordinates": [44.05, 37.17]}, counts={"injured": 0},
                        marking=_marking("RESTRICTED", ["IRQ"]), partners=["IRQ"])
    service, _, _ = at(5)
    service.acknowledge(irq_liaison, crossing)
    service.start_investigation(irq_liaison, crossing)
    service.comment(irq_liaison, crossing, "Our border guards found tracks leading to the Zel valley (fictional).")

    # Yesterday: a smuggling area reported by IRQ, still awaiting TUR's acknowledgement.
    service, _, when = at(9.5)
    incident(service, irq_liaison, when, category="smuggling",
             title="Fuel smuggling route across the Hezil river flats (fictional)",
             location={"type": "Polygon", "coordinates": [[[42.35, 37.05], [42.6, 37.05], [42.6, 37.2],
                                                           [42.35, 37.2], [42.35, 37.05]]]},
             counts={"vehicles_damaged": 2}, marking=_marking("CONFIDENTIAL", ["TUR"]), partners=["TUR"])

    # Yesterday: an attack, SECRET: the CONFIDENTIAL analysts do not see it, the commanders do.
    service, _, when = at(13)
    incident(service, tur_watch, when, category="armed_attack",
             title="Mortar fire on border post Yayla-9 (fictional)",
             location={"type": "Point", "coordinates": [44.6, 37.05]}, counts={"killed": 1, "injured": 3},
             marking=_marking("SECRET", ["IRQ"]), partners=["IRQ"])

    # RFIs: one answered, one overdue (its latest time of value passed yesterday), one just asked.
    _, rfis, _ = at(4)
    answered = rfis.submit(tur_liaison, {
        "recipients": ["IRQ"], "subject": "Vehicles at crossing point 7 (fictional) on the night of the crossing",
        "question": "Did your border police record vehicles waiting south of crossing point 7 after 02:00?",
        "priority": "high", "ltiov": iso(yesterday + timedelta(hours=23)), "ceiling": "CONFIDENTIAL",
        "marking": {**_marking("RESTRICTED", ["IRQ"]), "originator": "TUR"}}).rfi
    assert answered.id is not None
    _, rfis, _ = at(4.5)
    rfis.accept(irq_liaison, answered.id)
    _, rfis, _ = at(7)
    rfis.answer(irq_liaison, answered.id, "Two pick-up trucks waited from 02:20 to 03:40, then drove south.",
                {**_marking("RESTRICTED", ["TUR"]), "originator": "IRQ"})
    _, rfis, _ = at(-12)
    rfis.submit(irq_liaison, {
        "recipients": ["TUR"], "subject": "Patrol schedule near the Hezil river flats (fictional)",
        "question": "When will your patrols next cover the flats, so that ours can meet them?",
        "priority": "routine", "ltiov": iso(yesterday + timedelta(hours=12)),
        "marking": {**_marking("RESTRICTED", ["TUR"]), "originator": "IRQ"}})
    centre.rfis.submit(tur_liaison, {
        "recipients": ["IRQ"], "subject": "Casualty figures for the Yayla-9 (fictional) mortar fire",
        "question": "Were any of your personnel or civilians on your side hurt?", "priority": "urgent",
        "ltiov": iso(centre.clock.now() + timedelta(hours=12)),
        "marking": {**_marking("RESTRICTED", ["IRQ"]), "originator": "TUR"}})
    centre.rfis.notify_overdue()

    # A joint statement TUR's commander has approved, awaiting IRQ's commander.
    release = ReleaseService(centre.db, centre.clock).propose(tur_liaison, {
        "concerned": ["IRQ"],
        "texts": {
            "en": {"title": "Joint statement on the Kartal-3 (fictional) border crossing",
                   "body": "The partner nations are investigating the crossing together and will keep the "
                           "public informed. (Exercise text; fictional.)"},
            "tr": {"title": "Kartal-3 (kurgusal) sınır geçişine ilişkin ortak açıklama",
                   "body": "Ortak ülkeler geçişi birlikte soruşturmakta ve kamuoyunu bilgilendirmeye devam "
                           "edecektir. (Tatbikat metni; kurgusal.)"},
            "ar": {"title": "بيان مشترك بشأن عبور الحدود عند كارتال-3 (افتراضي)",
                   "body": "تحقق الدولتان الشريكتان في العبور معاً وستواصلان إطلاع الجمهور. (نص تمريني؛ افتراضي.)"},
        },
        "references": [{"type": "incident", "id": crossing}],
    })
    assert release.id is not None
    centre.releases.approve(tur_commander, release.id, release.content_hash)
