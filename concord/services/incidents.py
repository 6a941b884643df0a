"""Incident use cases: one unit of work each, the change, its timeline entry and its event together."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from concord.clock import Clock
from concord.domain import incidents as rules
from concord.domain.channels import MAX_NAME_CHARS, ChannelKind, new_channel
from concord.domain.errors import Forbidden, Invalid
from concord.domain.incident_facts import CategoryVocabulary
from concord.domain.incidents import Incident, TimelineEntry
from concord.domain.markings import Level, Marking, Reader, Tlp, can_see
from concord.domain.ownership import Kind, require_owner
from concord.domain.people import Actor, Role
from concord.services.channels import ChannelService
from concord.storage import federation as federation_store
from concord.storage import incidents as store
from concord.storage import nations as nation_store
from concord.storage import people as people_store
from concord.storage.db import Database, Tx
from concord.storage.events import append_event, narrow_history

#: Who works on incidents. Observers read; administrators manage accounts only.
INCIDENT_ROLES = (Role.COMMANDER, Role.LIAISON_OFFICER, Role.WATCH_OFFICER, Role.ANALYST)


@dataclass(frozen=True, slots=True)
class IncidentView:
    incident: Incident
    timeline: list[TimelineEntry]
    category_label: str
    channel_id: int | None = None  # the incident's own channel, where messaging is on this centre


Change = Callable[[Incident, CategoryVocabulary], tuple[Incident, TimelineEntry]]


def channel_subject(incident_id: int) -> str:
    return f"incident:{incident_id}"


class IncidentService:
    def __init__(self, db: Database, clock: Clock, channels: ChannelService | None = None) -> None:
        self.db = db
        self.clock = clock
        self.channels = channels

    # --- reads ----------------------------------------------------------------------------------
    def get(self, actor: Actor, incident_id: int) -> IncidentView:
        with self.db.read() as conn:
            incident = store.get_incident(conn, actor.reader, incident_id)
            entries = store.timeline(conn, actor.reader, incident_id)
            vocab = store.vocabulary(conn)
            channel_id = (self.channels.subject_channel_in(conn, ChannelKind.INCIDENT, channel_subject(incident_id))
                          if self.channels else None)
        return IncidentView(incident, entries, vocab.label(incident.report.category), channel_id)

    def visible(self, actor: Actor, *, status: str | None = None, open_only: bool = False,
                since: datetime | None = None, limit: int = 500) -> list[Incident]:
        with self.db.read() as conn:
            return store.list_incidents(conn, actor.reader, status=status, open_only=open_only,
                                        changed_since=since, limit=limit)

    def vocabulary(self) -> CategoryVocabulary:
        with self.db.read() as conn:
            return store.vocabulary(conn)

    # --- changes --------------------------------------------------------------------------------
    def report(self, actor: Actor, raw: Mapping[str, Any]) -> IncidentView:
        actor.require(*INCIDENT_ROLES, action="reporting an incident")
        now = self.clock.now()
        with self.db.write() as tx:
            vocab = store.vocabulary(tx.conn)
            report = rules.parse_report(raw, actor.nation, vocab, now)
            self._check_partners_known(tx, report.partners)
            if not can_see(actor.reader, report.marking):
                raise Invalid("you may not mark an item above your own clearance", field="marking.level")
            incident, entry = rules.report_incident(report, actor.nation, actor.person_id, now)
            incident_id = store.add_incident(tx.conn, incident)
            store.add_timeline_entry(tx.conn, incident_id, entry)
            self._event(tx, actor, "incident.reported", incident_id, report.marking,
                        {"title": report.title, "category": report.category, "reporter": actor.nation,
                         "partners": sorted(report.partners), "status": incident.status.value})
            self._open_channel(tx, actor, incident_id, incident)
        return self.get(actor, incident_id)

    def _open_channel(self, tx: Tx, actor: Actor, incident_id: int, incident: Incident) -> None:
        """The incident's own channel, in the report's unit of work: its ceiling is the incident's marking
        released to the concerned nations only; its members are the reporter and the concerned nations'
        people on incident duty (as appointed now) who are cleared for that ceiling."""
        if self.channels is None:
            return
        marking = incident.report.marking
        concerned = incident.report.partners | {incident.reporter}
        ceiling = Marking(marking.level, marking.originator, marking.releasable_to & concerned, marking.tlp,
                          marking.caveats)
        now = self.clock.now()
        members: set[int] = set()
        for nation in sorted(concerned):
            for role in INCIDENT_ROLES:
                members.update(people_store.holders_of(tx.conn, nation, role, now))
        if people_store.get_person(tx.conn, actor.person_id) is not None:
            members.add(actor.person_id)
        cleared = set()
        for person_id in members:
            person = people_store.get_person(tx.conn, person_id)
            if person is not None and can_see(Reader(person.id, person.nation, person.clearance), ceiling):
                cleared.add(person_id)
        # Channel names refuse control and format characters (a title may hold bidi marks): drop them.
        title = "".join(ch for ch in incident.report.title if unicodedata.category(ch) not in ("Cc", "Cf"))
        name = " ".join(f"Incident {incident_id}: {title}".split())
        if len(name) > MAX_NAME_CHARS:
            name = name[:MAX_NAME_CHARS - 1].rstrip() + "…"
        channel = new_channel(ChannelKind.INCIDENT, name, ceiling, subject_id=channel_subject(incident_id),
                              members=cleared)
        self.channels.store_channel_in(tx, channel, actor=actor)

    def edit(self, actor: Actor, incident_id: int, changes: Mapping[str, Any]) -> IncidentView:
        def change(incident: Incident, vocab: CategoryVocabulary) -> tuple[Incident, TimelineEntry]:
            require_owner(actor, incident.reporter, Kind.INCIDENT, action="edit its report")
            return rules.edit(incident, changes, actor.nation, actor.person_id, vocab, self.clock.now())
        return self._change(actor, incident_id, change, "incident.edited", "editing an incident",
                            check_partners=True)

    def acknowledge(self, actor: Actor, incident_id: int) -> IncidentView:
        return self._change(actor, incident_id,
                            lambda i, _v: rules.acknowledge(i, actor.nation, actor.person_id, self.clock.now()),
                            "incident.acknowledged", "acknowledging an incident")

    def start_investigation(self, actor: Actor, incident_id: int) -> IncidentView:
        return self._change(
            actor, incident_id,
            lambda i, _v: rules.start_investigation(i, actor.nation, actor.person_id, self.clock.now()),
            "incident.investigation_started", "starting an investigation")

    def close(self, actor: Actor, incident_id: int, note: Any) -> IncidentView:
        return self._change(actor, incident_id,
                            lambda i, _v: rules.close(i, actor.nation, actor.person_id, note, self.clock.now()),
                            "incident.closed", "closing an incident")

    def comment(self, actor: Actor, incident_id: int, text: Any) -> IncidentView:
        return self._change(actor, incident_id,
                            lambda i, _v: rules.comment(i, actor.nation, actor.person_id, text, self.clock.now()),
                            "incident.commented", "commenting on an incident")

    def assign(self, actor: Actor, incident_id: int, nation: str, assignee_id: Any) -> IncidentView:
        def change(incident: Incident, _vocab: CategoryVocabulary) -> tuple[Incident, TimelineEntry]:
            return rules.assign(incident, nation, assignee_id, actor.nation, actor.person_id, self.clock.now())

        def check(tx: Tx, incident: Incident) -> None:
            person = people_store.get_person(tx.conn, int(assignee_id))
            if person is None or person.nation != nation:
                raise Invalid(f"no person {assignee_id} of {nation}", field="person_id")
            if not can_see(Reader(person.id, person.nation, person.clearance), incident.report.marking):
                raise Invalid("the assignee's clearance does not allow them to see this incident",
                              field="person_id")
        return self._change(actor, incident_id, change, "incident.assigned", "assigning an incident",
                            extra_check=check)

    def add_category(self, actor: Actor, code: str, names: Mapping[str, str]) -> CategoryVocabulary:
        """A commander extends the centre's incident vocabulary (every nation sees the new category)."""
        actor.require(Role.COMMANDER, action="adding an incident category")
        now = self.clock.now()
        with self.db.write() as tx:
            wider = store.vocabulary(tx.conn).with_category(code, names)
            if not store.add_category(tx.conn, code, wider.labels[code], actor.nation, now):
                raise Invalid(f"category {code!r} already exists", field="code")  # added concurrently
            nations = [n.code for n in nation_store.list_nations(tx.conn)]
            self._event(tx, actor, "incident_category.added", code,
                        Marking.build(Level.UNCLASSIFIED, actor.nation, nations, Tlp.GREEN),
                        {"code": code, "names": dict(wider.labels[code])})
        return wider

    # --- helpers --------------------------------------------------------------------------------
    def _change(self, actor: Actor, incident_id: int, change: Change, kind: str, action: str, *,
                check_partners: bool = False, extra_check: Callable[[Tx, Incident], None] | None = None,
                ) -> IncidentView:
        actor.require(*INCIDENT_ROLES, action=action)
        with self.db.write() as tx:
            before = store.get_incident(tx.conn, actor.reader, incident_id)
            if federation_store.origin_node(tx.conn, "incident", incident_id) is not None:
                # A copy received from a peer node changes only on its originator's node (docs/federation.md).
                raise Forbidden(f"this incident came from {before.reporter}'s node: {action} there",
                                field="incident_id")
            after, entry = change(before, store.vocabulary(tx.conn))
            if check_partners:
                self._check_partners_known(tx, after.report.partners)
            if not can_see(actor.reader, after.report.marking):
                raise Invalid("you may not mark an item above your own clearance", field="marking.level")
            if extra_check is not None:
                extra_check(tx, after)
            store.save_incident(tx.conn, after, before.version)
            store.add_timeline_entry(tx.conn, incident_id, entry)
            # The event carries the marking after the change (an edit may narrow or widen it).
            self._event(tx, actor, kind, incident_id, after.report.marking,
                        {"status": after.status.value, "version": after.version, "text": entry.text,
                         **{k: v for k, v in entry.details.items() if isinstance(v, int | str | list)}})
            if after.report.marking != before.report.marking:
                narrow_history(tx.conn, after.report.marking, item_type="incident", item_id=incident_id)
        return self.get(actor, incident_id)

    @staticmethod
    def _check_partners_known(tx: Tx, partners: frozenset[str]) -> None:
        known = {n.code for n in nation_store.list_nations(tx.conn)}
        unknown = sorted(partners - known)
        if unknown:
            raise Invalid(f"{', '.join(unknown)} is not a partner nation of this centre", field="partners")

    def _event(self, tx: Tx, actor: Actor, kind: str, item_id: int | str, marking: Marking,
               payload: dict[str, Any]) -> None:
        append_event(tx, at=self.clock.now(), kind=kind, item_type="incident" if kind.startswith("incident.")
                     else "incident_category", item_id=item_id, marking=marking, payload=payload,
                     actor_id=actor.person_id, actor_nation=actor.nation)
