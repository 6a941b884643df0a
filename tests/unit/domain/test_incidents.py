from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from concord.domain import incidents as inc
from concord.domain.errors import Forbidden, Invalid, StateConflict
from concord.domain.incident_facts import DEFAULT_CATEGORIES, CategoryVocabulary, Counts, Location
from concord.domain.incidents import IncidentStatus, TimelineKind

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
VOCAB = CategoryVocabulary()


def raw_report(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "category": "border_violation",
        "title": "Armed group crossed near border post 14",
        "description": "Six people on foot, seen by a patrol.",
        "location": {"type": "Point", "coordinates": [44.05, 37.17]},
        "occurred_from": "2026-11-29T03:10:00Z",
        "counts": {"killed": 0, "injured": 2},
        "marking": {"level": "RESTRICTED", "originator": "TUR", "releasable_to": ["IRQ", "SYR"]},
        "partners": ["IRQ"],
    }
    raw.update(changes)
    return raw


def reported(**changes: Any) -> inc.Incident:
    report = inc.parse_report(raw_report(**changes), "TUR", VOCAB, NOW)
    incident, _ = inc.report_incident(report, "TUR", 1, NOW)
    return incident


def test_a_valid_report_is_parsed_in_utc_with_its_facts() -> None:
    report = inc.parse_report(raw_report(occurred_from="2026-11-29T06:10:00+03:00"), "TUR", VOCAB, NOW)
    assert report.occurred_from == datetime(2026, 11, 29, 3, 10, tzinfo=UTC)
    assert report.counts.get("injured") == 2 and report.counts.get("missing") is None
    assert report.location.anchor == (44.05, 37.17)
    assert report.partners == {"IRQ"}


@pytest.mark.parametrize(("changes", "field"), [
    ({"category": "alien_landing"}, "category"),
    ({"title": "  "}, "title"),
    ({"title": "two\nlines"}, "title"),
    ({"occurred_from": "2026-11-29 03:10"}, "occurred_from"),  # no time zone
    ({"occurred_from": "2026-12-01T00:00:00Z"}, "occurred_from"),  # future
    ({"occurred_until": "2026-11-29T01:00:00Z"}, "occurred_until"),  # before start
    ({"counts": {"killed": -1}}, "counts.killed"),
    ({"counts": {"killed": True}}, "counts.killed"),
    ({"counts": {"goats": 3}}, "counts.goats"),
    ({"location": {"type": "Point", "coordinates": [200, 37]}}, "location"),
    ({"location": {"type": "LineString", "coordinates": [[44, 37], [45, 38]]}}, "location"),
    ({"location": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}},
     "location"),  # a bow tie
    ({"partners": []}, "partners"),
    ({"partners": ["TUR"]}, "partners"),
    ({"partners": ["IRN"]}, "partners"),  # the marking does not release it to IRN
    ({"partners": ["iraq"]}, "partners[0]"),
    ({"marking": {"level": "RESTRICTED", "originator": "IRQ", "releasable_to": ["TUR"]}},
     "marking.originator"),
    ({"marking": {"level": "SECRET", "originator": "TUR", "releasable_to": ["IRQ"], "tlp": "RED"}},
     "partners"),
    ({"links": {"intel": ["not-a-stix-id"]}}, "links.intel[0]"),
    ({"links": {"operations": [0]}}, "links.operations[0]"),
    ({"colour": "red"}, "colour"),
])
def test_bad_reports_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as err:
        inc.parse_report(raw_report(**changes), "TUR", VOCAB, NOW)
    assert err.value.field == field


def test_an_area_location_is_accepted_and_anchored_inside_it() -> None:
    area = {"type": "Polygon", "coordinates": [[[43.2, 37.0], [43.6, 37.0], [43.6, 37.25], [43.2, 37.0]]]}
    location = Location.parse(area)
    assert location.is_area
    anchor = Location.parse({"type": "Point", "coordinates": list(location.anchor)})
    assert location.geometry.contains(anchor.geometry)


def test_the_vocabulary_is_controlled_but_extensible() -> None:
    assert set(DEFAULT_CATEGORIES) >= {"border_violation", "armed_attack", "explosive_device",
                                       "smuggling", "kidnapping", "civilian_displacement",
                                       "infrastructure_damage", "other"}
    wider = VOCAB.with_category("drone_overflight", {"en": "Drone overflight", "tr": "İHA uçuşu"})
    assert wider.check("drone_overflight") == "drone_overflight"
    assert wider.label("drone_overflight", "tr") == "İHA uçuşu"
    assert wider.label("drone_overflight", "ar") == "Drone overflight"  # falls back to English
    with pytest.raises(Invalid):
        VOCAB.check("drone_overflight")  # the original is unchanged
    with pytest.raises(Invalid):
        wider.with_category("drone_overflight", {"en": "again"})
    with pytest.raises(Invalid):
        VOCAB.with_category("Bad Code", {"en": "x"})


def test_lifecycle_reported_acknowledged_investigated_closed() -> None:
    incident = reported(partners=["IRQ", "SYR"])
    assert incident.status is IncidentStatus.REPORTED
    incident, entry = inc.acknowledge(incident, "IRQ", 7, NOW)
    assert incident.status is IncidentStatus.REPORTED  # SYR has not acknowledged yet
    assert entry.kind is TimelineKind.ACKNOWLEDGED and entry.nation == "IRQ"
    with pytest.raises(StateConflict):
        inc.start_investigation(incident, "TUR", 1, NOW)
    incident, _ = inc.acknowledge(incident, "SYR", 9, NOW)
    assert incident.status is IncidentStatus.ACKNOWLEDGED
    incident, _ = inc.start_investigation(incident, "IRQ", 7, NOW)
    assert incident.status is IncidentStatus.UNDER_INVESTIGATION
    incident, entry = inc.close(incident, "TUR", 1, "Group went back; no further action.", NOW)
    assert incident.status is IncidentStatus.CLOSED and entry.kind is TimelineKind.CLOSED
    assert incident.version == 5


def test_acknowledgement_is_by_concerned_partners_only_and_once() -> None:
    incident = reported()
    with pytest.raises(Forbidden):
        inc.acknowledge(incident, "TUR", 1, NOW)  # the reporter
    with pytest.raises(Forbidden):
        inc.acknowledge(incident, "IRN", 5, NOW)  # not concerned
    incident, _ = inc.acknowledge(incident, "IRQ", 7, NOW)
    with pytest.raises(StateConflict):
        inc.acknowledge(incident, "IRQ", 7, NOW)


def test_closing_needs_an_investigation_and_a_note() -> None:
    incident, _ = inc.acknowledge(reported(), "IRQ", 7, NOW)
    with pytest.raises(StateConflict):
        inc.close(incident, "TUR", 1, "done", NOW)
    incident, _ = inc.start_investigation(incident, "TUR", 1, NOW)
    with pytest.raises(Invalid) as err:
        inc.close(incident, "TUR", 1, " ", NOW)
    assert err.value.field == "note"
    with pytest.raises(Forbidden):
        inc.close(incident, "IRN", 5, "done", NOW)


def closed() -> inc.Incident:
    incident, _ = inc.acknowledge(reported(), "IRQ", 7, NOW)
    incident, _ = inc.start_investigation(incident, "TUR", 1, NOW)
    incident, _ = inc.close(incident, "TUR", 1, "done", NOW)
    return incident


def test_a_closed_incident_refuses_every_change() -> None:
    incident = closed()
    with pytest.raises(StateConflict):
        inc.edit(incident, {"title": "New title"}, "TUR", 1, VOCAB, NOW)
    with pytest.raises(StateConflict):
        inc.comment(incident, "IRQ", 7, "late remark", NOW)
    with pytest.raises(StateConflict):
        inc.assign(incident, "IRQ", 7, "IRQ", 7, NOW)
    with pytest.raises(StateConflict):
        inc.acknowledge(incident, "IRQ", 7, NOW)


def test_the_reporter_edits_and_every_rule_is_checked_again() -> None:
    incident = reported()
    edited, entry = inc.edit(incident, {"title": "Armed group of six crossed", "counts": {"injured": 3}},
                             "TUR", 1, VOCAB, NOW)
    assert edited.report.title == "Armed group of six crossed"
    assert edited.report.counts == Counts({"injured": 3})
    assert entry.kind is TimelineKind.EDITED and entry.details["fields"] == ["counts", "title"]
    with pytest.raises(Forbidden):
        inc.edit(incident, {"title": "IRQ's version"}, "IRQ", 7, VOCAB, NOW)
    with pytest.raises(Invalid) as err:
        inc.edit(incident, {"category": "unknown"}, "TUR", 1, VOCAB, NOW)
    assert err.value.field == "category"
    with pytest.raises(Invalid):
        inc.edit(incident, {"title": incident.report.title}, "TUR", 1, VOCAB, NOW)


def test_adding_a_partner_after_acknowledgement_waits_for_the_newcomer() -> None:
    incident, _ = inc.acknowledge(reported(), "IRQ", 7, NOW)
    assert incident.status is IncidentStatus.ACKNOWLEDGED
    widened, _ = inc.edit(incident, {"partners": ["IRQ", "SYR"]}, "TUR", 1, VOCAB, NOW)
    assert widened.status is IncidentStatus.REPORTED
    assert widened.awaiting_acknowledgement == {"SYR"}


def test_each_nation_assigns_only_its_own_assignee() -> None:
    incident = reported()
    incident, entry = inc.assign(incident, "IRQ", 42, "IRQ", 7, NOW)
    incident, _ = inc.assign(incident, "TUR", 11, "TUR", 1, NOW)
    assert incident.assignees == {"IRQ": 42, "TUR": 11}
    assert entry.details == {"assignee_id": 42}
    with pytest.raises(Forbidden):
        inc.assign(incident, "IRQ", 12, "TUR", 1, NOW)
    with pytest.raises(Forbidden):
        inc.assign(incident, "IRN", 12, "IRN", 5, NOW)
    with pytest.raises(Invalid):
        inc.assign(incident, "IRQ", -3, "IRQ", 7, NOW)


def test_comments_go_on_the_timeline_from_involved_nations() -> None:
    incident = reported()
    later = NOW + timedelta(minutes=5)
    changed, entry = inc.comment(incident, "IRQ", 7, "Our patrol confirms the crossing.", later)
    assert entry.kind is TimelineKind.COMMENT and entry.text == "Our patrol confirms the crossing."
    assert changed.updated_at == later
    with pytest.raises(Forbidden):
        inc.comment(incident, "IRN", 5, "hello", NOW)
