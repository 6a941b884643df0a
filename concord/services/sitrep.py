"""The daily situation report for one reader and one period, in one read unit of work.

Incidents and RFIs come from this feature's storage. Operations, conflicts, correlations and message
volume belong to other features: each registers a `SitrepProvider` under its section name
(`centre.sitrep.providers["operations"] = …`); a section with no provider is shown as not recorded
on this centre. Every provider reads through the policy with the reader it is given, and the
assembled report is checked once more (`Sitrep.ensure_visible_to`) before it is rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from concord.clock import Clock
from concord.domain.incidents import Incident
from concord.domain.markings import Reader
from concord.domain.people import Actor
from concord.domain.rfis import Rfi
from concord.domain.sitrep import (
    ConflictRow,
    CorrelationRow,
    IncidentRow,
    MessageVolume,
    OperationRow,
    Period,
    RfiRow,
    Sitrep,
)
from concord.reports.sitrep import render_html, render_pdf
from concord.storage import incidents as incident_store
from concord.storage import nations as nation_store
from concord.storage import rfis as rfi_store
from concord.storage.db import Database

CENTRE_NAME = "Joint Security Coordination Centre"
SECTIONS = ("operations", "conflicts", "correlations", "messages")


@dataclass(frozen=True, slots=True)
class SitrepContribution:
    operations: Sequence[OperationRow] = ()
    conflicts: Sequence[ConflictRow] = ()
    correlations: Sequence[CorrelationRow] = ()
    messages: MessageVolume | None = None


SitrepProvider = Callable[[Connection, Reader, Period], SitrepContribution]


@dataclass
class SitrepService:
    db: Database
    clock: Clock
    centre_name: str = CENTRE_NAME
    providers: dict[str, SitrepProvider] = field(default_factory=dict)

    def build(self, actor: Actor, period: Period) -> tuple[Sitrep, dict[str, str]]:
        """The report and the reader nation's labels for the classification levels."""
        reader = actor.reader
        now = self.clock.now()
        as_of = min(now, period.end)
        with self.db.read() as conn:
            vocab = incident_store.vocabulary(conn)
            incidents = incident_store.incidents_in_period(conn, reader, period.start, period.end)
            rfis = rfi_store.rfis_in_period(conn, reader, period.start, period.end)
            contributions = {name: provider(conn, reader, period) for name, provider in self.providers.items()}
            nation = nation_store.get_nation(conn, actor.nation)
        merged = SitrepContribution(
            operations=[row for c in contributions.values() for row in c.operations],
            conflicts=[row for c in contributions.values() for row in c.conflicts],
            correlations=[row for c in contributions.values() for row in c.correlations],
            messages=next((c.messages for c in contributions.values() if c.messages is not None), None),
        )
        report = Sitrep(
            centre=self.centre_name, reader_name=actor.display_name, reader=reader, period=period,
            generated_at=now,
            incidents=[self._incident_row(i, vocab.label(i.report.category), period) for i in incidents],
            rfis=[self._rfi_row(r, as_of) for r in rfis],
            operations=merged.operations, conflicts=merged.conflicts, correlations=merged.correlations,
            messages=merged.messages or MessageVolume({}),
            sections_unavailable=[s for s in SECTIONS if s not in self.providers],
        )
        report.ensure_visible_to(reader)
        return report, dict(nation.labels) if nation else {}

    def html(self, actor: Actor, period: Period) -> str:
        report, labels = self.build(actor, period)
        return render_html(report, labels=labels)

    def pdf(self, actor: Actor, period: Period) -> bytes:
        report, labels = self.build(actor, period)
        return render_pdf(report, labels=labels)

    @staticmethod
    def _incident_row(incident: Incident, category: str, period: Period) -> IncidentRow:
        assert incident.id is not None
        r = incident.report
        return IncidentRow(incident.id, r.title, category, incident.status.value, incident.reporter, r.partners,
                           r.occurred_from, r.location, r.counts, r.marking,
                           is_new=period.contains(incident.reported_at))

    @staticmethod
    def _rfi_row(rfi: Rfi, as_of: datetime) -> RfiRow:
        assert rfi.id is not None
        return RfiRow(rfi.id, rfi.subject, rfi.requester, rfi.recipients, rfi.priority.value, rfi.status.value,
                      rfi.ltiov, rfi.is_overdue(as_of), rfi.marking)
