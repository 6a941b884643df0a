"""The SITREP's operations, conflicts, correlations and message sections through the HTTP API, on SQLite
and PostgreSQL: each reader is shown what the policy lets them see, and nothing of the rest."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.clock import FixedClock
from concord.domain.conflicts import RESTRICTED_OTHER_SIDE
from concord.domain.markings import Level
from concord.domain.people import Role
from tests.factories import ApiClient, person, sign_in
from tests.integration.ops_helpers import box, national_body, operation_body, proposed, staff, window
from tests.integration.test_intel_api import REL_IRQ, TUR_ONLY, publish
from tests.intel_factories import indexed, indicator


def _sitrep(api: ApiClient, clock: FixedClock) -> tuple[dict[str, object], str]:
    day = {"date": clock.now().date().isoformat()}
    data = api.get("/api/sitrep", params=day)
    assert data.status_code == 200, data.text
    html = api.get("/api/sitrep.html", params=day)
    assert html.status_code == 200, html.text
    return data.json(), html.text


def test_operations_and_conflicts_follow_the_policy(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    s = staff(centre, client)
    joint = proposed(s.tur_planner, operation_body(clock.now()))
    secret = proposed(s.tur_planner, national_body(clock.now(), name="Operation NIGHT HERON",
                                                   objective="Fictional covert crossing"))
    activity = s.irq_planner.post("/api/activities", json={
        "name": "Iraqi border sweep (demo)", "description": "Fictional national activity",
        "area": box(43.05, 36.05), "window": window(clock.now(), 12, 30)})
    assert activity.status_code == 201, activity.text

    tur, tur_html = _sitrep(s.tur_general, clock)
    assert {(o["name"], o["state"]) for o in tur["operations"]} == {  # type: ignore[union-attr]
        ("Operation SILVER FORD", "proposed"), ("Operation NIGHT HERON", "proposed")}
    assert "NIGHT HERON" in tur_html and "not recorded on this centre" not in tur_html
    assert tur["sections_unavailable"] == []

    irq, irq_html = _sitrep(s.irq_watch, clock)
    assert [o["id"] for o in irq["operations"]] == [joint["id"]]  # type: ignore[union-attr]
    summaries = [c["summary"] for c in irq["conflicts"]]  # type: ignore[union-attr]
    assert summaries, "Iraq is told of the conflicts on its own items"
    assert any(x.startswith("Iraqi border sweep (demo) ↔ ") for x in summaries)
    # A side Iraq may not see is never named: only the restricted wording stands for it.
    assert any(RESTRICTED_OTHER_SIDE in x for x in summaries)
    for text in (json.dumps(irq), irq_html):
        assert "NIGHT HERON" not in text and "covert" not in text
    assert str(secret["id"]) not in {str(o["id"]) for o in irq["operations"]}  # type: ignore[union-attr]
    # Turkey in turn sees its own operation against Iraq's activity only as a restricted side.
    assert "border sweep" not in json.dumps(tur) and "border sweep" not in tur_html


def test_correlations_and_message_volume_follow_the_policy(centre: Centre, client: TestClient,
                                                            clock: FixedClock) -> None:
    centre.nations.add("JOR", "Jordan")
    centre.channels.ensure_standard_channels()
    tur = sign_in(client, person(centre, "TUR", (Role.LIAISON_OFFICER,))[1])
    irq = sign_in(client, person(centre, "IRQ", (Role.LIAISON_OFFICER,))[1])
    jor = sign_in(client, person(centre, "JOR", (Role.LIAISON_OFFICER,))[1])
    irq_low = sign_in(client, person(centre, "IRQ", (Role.LIAISON_OFFICER,), clearance=Level.UNCLASSIFIED)[1])

    value = "192.0.2.77"
    publish(tur, [indicator(value, name="TUR sighting of the relay")], REL_IRQ)
    publish(irq, [indicator(value, name="IRQ report of the relay")], {**REL_IRQ, "releasable_to": ["TUR"]})
    indexed(centre)

    [joint_watch] = [c for c in tur.get("/api/channels").json() if c["kind"] == "centre"]
    posts = [("FLASH", {"level": "RESTRICTED", "releasable_to": ["IRQ"]}),
             ("ROUTINE", {"level": "RESTRICTED", "releasable_to": ["IRQ"]}),
             ("ROUTINE", {"level": "RESTRICTED", "releasable_to": []})]  # TUR only
    for precedence, marking in posts:
        sent = tur.post(f"/api/channels/{joint_watch['id']}/messages",
                        json={"body": "Fictional traffic", "precedence": precedence, "marking": marking})
        assert sent.status_code == 201, sent.text

    tur_report, _ = _sitrep(tur, clock)
    assert tur_report["messages"] == {"FLASH": 1, "ROUTINE": 2}
    assert [(c["value"], c["nations"], c["sightings"]) for c in tur_report["correlations"]] == [  # type: ignore[union-attr]
        (f"ipv4: {value}", ["IRQ", "TUR"], 2)]
    irq_report, irq_html = _sitrep(irq, clock)
    assert irq_report["messages"] == {"FLASH": 1, "ROUTINE": 1}
    assert value in irq_html
    assert str(irq_report["classification"]).startswith("RESTRICTED")
    # Jordan sees neither object nor any message; the uncleared Iraqi sees no restricted message.
    jor_report, jor_html = _sitrep(jor, clock)
    assert jor_report["correlations"] == [] and jor_report["messages"] == {} and value not in jor_html
    assert str(jor_report["classification"]).startswith("UNCLASSIFIED")
    low_report, _ = _sitrep(irq_low, clock)
    assert low_report["messages"] == {} and low_report["correlations"] == []
    publish(jor, [indicator(value, name="JOR private note")], {**TUR_ONLY})  # JOR only: correlates with none it sees
    indexed(centre)
    assert _sitrep(jor, clock)[0]["correlations"] == []
