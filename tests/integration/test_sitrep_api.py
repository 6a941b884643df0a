"""The SITREP through the HTTP API and the service, on SQLite and PostgreSQL.

The property test: for generated incidents and RFIs with generated markings, the SITREP built for
each reader holds exactly the items of the period the policy lets that reader see, and its rendered
HTML contains no text of any item the policy denies them.
"""

from __future__ import annotations

import itertools
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from concord.centre import Centre
from concord.clock import FixedClock, iso
from concord.domain.markings import Level, Marking, Reader, Tlp, can_see
from concord.domain.people import Actor, Role
from concord.domain.sitrep import Period
from concord.reports.sitrep import render_html
from tests.factories import person, sign_in

NATIONS = ("TUR", "IRQ", "SYR")
_serial = itertools.count(1)

# Markings an incident or RFI can carry: released to at least one partner, TLP that allows sharing.
item_markings = st.builds(
    lambda level, originator, partners, tlp: (Marking.build(level, originator, partners, tlp), partners),
    st.sampled_from(list(Level)),
    st.sampled_from(NATIONS),
    st.frozensets(st.sampled_from(NATIONS), min_size=1),
    st.sampled_from([Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER]),
).filter(lambda mp: bool(mp[1] - {mp[0].originator}))


def actor(nation: str, clearance: Level = Level.SECRET, roles: tuple[Role, ...] = (Role.LIAISON_OFFICER,)) -> Actor:
    # A real person is not needed to write through the services: the actor carries nation and clearance.
    return Actor(next(_serial), f"{nation.lower()}.gen", f"Generated {nation}", nation, clearance, frozenset(roles))


def marking_json(marking: Marking) -> dict[str, Any]:
    return {"level": marking.level.name, "originator": marking.originator,
            "releasable_to": sorted(marking.releasable_to), "tlp": marking.tlp.value}


def test_the_sitrep_holds_exactly_what_the_policy_lets_each_reader_see(centre: Centre, clock: FixedClock) -> None:
    centre.nations.add("SYR", "Syria (exercise)")
    period = Period.day(clock.now().date())
    created: list[tuple[str, str, Marking]] = []  # (kind, unique text, marking)

    @given(st.lists(st.tuples(st.sampled_from(["incident", "rfi"]), item_markings), min_size=1, max_size=4))
    @settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(items: list[tuple[str, tuple[Marking, frozenset[str]]]]) -> None:
        for kind, (marking, nations) in items:
            token = f"ITEM{next(_serial):05d}"
            partners = sorted(nations - {marking.originator})
            author = actor(marking.originator)
            if kind == "incident":
                centre.incidents.report(author, {
                    "category": "other", "title": f"{token} incident",
                    "location": {"type": "Point", "coordinates": [44.0, 37.1]},
                    "occurred_from": iso(clock.now() - timedelta(hours=1)), "marking": marking_json(marking),
                    "partners": partners})
            else:
                centre.rfis.submit(author, {
                    "recipients": partners, "subject": f"{token} question", "question": f"{token} text",
                    "ltiov": iso(clock.now() + timedelta(days=1)), "marking": marking_json(marking)})
            created.append((kind, token, marking))
        for nation, clearance in itertools.product(NATIONS, list(Level)):
            reader_actor = actor(nation, clearance, (Role.OBSERVER,))
            reader = Reader(reader_actor.person_id, nation, clearance)
            report, _ = centre.sitrep.build(reader_actor, period)
            shown = {r.title.split()[0] for r in report.incidents} | {r.subject.split()[0] for r in report.rfis}
            expected = {token for _, token, m in created if can_see(reader, m)}
            assert shown == expected, (nation, clearance.name)
            html = render_html(report)
            for _, token, marking in created:
                if not can_see(reader, marking):
                    assert token not in html, (nation, clearance.name, token)
            assert report.classification.level == max((m.level for _, t, m in created if t in expected),
                                                       default=Level.UNCLASSIFIED)

    check()


def _report_incident(api: Any, **changes: Any) -> int:
    body = {"category": "armed_attack", "title": "Mortar fire on border post Yayla-9 (exercise)",
            "location": {"type": "Point", "coordinates": [44.6, 37.05]}, "occurred_from": "2026-11-29T05:00:00Z",
            "counts": {"killed": 1, "injured": 3}, "marking": {"level": "SECRET", "releasable_to": ["IRQ"]},
            "partners": ["IRQ"], **changes}
    response = api.post("/api/incidents", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_sitrep_json_html_and_pdf_for_the_signed_in_reader(centre: Centre, client: TestClient, tmp_path: Path) -> None:
    person(centre, "TUR", (Role.WATCH_OFFICER,), username="tur.watch")
    person(centre, "IRQ", (Role.ANALYST,), username="irq.analyst", clearance=Level.CONFIDENTIAL)
    tur, irq = sign_in(client, "tur.watch"), sign_in(client, "irq.analyst")
    _report_incident(tur)
    _report_incident(tur, title="Smuggling convoy seen (exercise)", category="smuggling",
                     marking={"level": "RESTRICTED", "releasable_to": ["IRQ"]}, counts={})
    day = {"date": "2026-11-29"}
    summary = tur.get("/api/sitrep", params=day).json()
    assert summary["figures"]["new_incidents"] == 2 and summary["classification"].startswith("SECRET")
    low = irq.get("/api/sitrep", params=day).json()
    assert [i["title"] for i in low["incidents"]] == ["Smuggling convoy seen (exercise)"]
    assert low["classification"].startswith("RESTRICTED")
    html = irq.get("/api/sitrep.html", params=day)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Mortar fire" not in html.text and "Smuggling convoy seen" in html.text
    pdf = tur.get("/api/sitrep.pdf", params=day)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    path = tmp_path / "sitrep.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "SECRET (GİZLİ) // REL TO IRQ, TUR // TLP:AMBER" in text
    assert "Mortar fire" in text
    # A period instead of a day, and bad periods.
    span = tur.get("/api/sitrep", params={"from": "2026-11-28T12:00:00Z", "until": "2026-11-29T12:00:00Z"})
    assert span.status_code == 200 and span.json()["figures"]["new_incidents"] == 2
    for params, field in [({"from": "2026-11-29T00:00:00Z"}, "until"),
                          ({"from": "2026-11-29T00:00:00Z", "until": "2026-11-28T00:00:00Z"}, "until"),
                          ({"from": "2026-10-01T00:00:00Z", "until": "2026-11-28T00:00:00Z"}, "until"),
                          ({"date": "2026-11-29", "from": "2026-11-29T00:00:00Z", "until": "2026-11-30T00:00:00Z"},
                           "date")]:
        bad = tur.get("/api/sitrep", params=params)
        assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == field, params
    assert client.get("/api/sitrep.pdf", params=day).status_code == 401


def test_default_period_is_yesterday(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    person(centre, "TUR", (Role.WATCH_OFFICER,), username="tur.watch2")
    tur = sign_in(client, "tur.watch2")
    summary = tur.get("/api/sitrep").json()
    yesterday = clock.now().date() - timedelta(days=1)
    assert summary["period_start"].startswith(date.isoformat(yesterday))
