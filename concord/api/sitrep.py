"""The daily situation report over HTTP: JSON summary, HTML page and PDF, for the signed-in reader."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import Day
from concord.api.read_audit import api_router
from concord.clock import iso
from concord.domain import coordination_fields as f
from concord.domain.errors import Invalid
from concord.domain.sitrep import Period, dtg

router = api_router(prefix="/api", tags=["sitrep"])

DateQuery = Annotated[Day | None, Query(description="the UTC day (YYYY-MM-DD); default: yesterday")]
FromQuery = Annotated[str | None, Query(alias="from", description="or a period: start, ISO 8601")]
UntilQuery = Annotated[str | None, Query(description="… and end (exclusive), ISO 8601")]


def period_of(day: date | None, start: str | None, until: str | None, now: datetime) -> Period:
    """A day, or an explicit [from, until) period; by default yesterday (the report filed this morning)."""
    if start is not None or until is not None:
        if day is not None:
            raise Invalid("give either date or from/until, not both", field="date")
        if start is None or until is None:
            raise Invalid("a period needs both from and until", field="from" if start is None else "until")
        return Period(f.utc_time(start, "from"), f.utc_time(until, "until"))
    return Period.day(day or (now.astimezone(UTC) - timedelta(days=1)).date())


class SitrepOut(BaseModel):
    period_start: str
    period_end: str
    dtg: str
    classification: str
    figures: dict[str, int]
    incidents: list[dict[str, Any]]
    rfis: list[dict[str, Any]]
    operations: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    correlations: list[dict[str, Any]]
    messages: dict[str, int]
    sections_unavailable: list[str]


@router.get("/sitrep", response_model=SitrepOut, summary="The SITREP for the caller as data")
def sitrep_json(actor: ActorDep, centre: CentreDep, day: Annotated[DateQuery, Query(alias="date")] = None,
                start: FromQuery = None, until: UntilQuery = None) -> SitrepOut:
    report, labels = centre.sitrep.build(actor, period_of(day, start, until, centre.clock.now()))
    return SitrepOut(
        period_start=iso(report.period.start), period_end=iso(report.period.end), dtg=dtg(report.generated_at),
        classification=report.classification.banner(labels), figures=report.key_figures(),
        incidents=[{"id": i.id, "title": i.title, "category": i.category, "status": i.status,
                    "reporter": i.reporter, "occurred_from": iso(i.occurred_from), "new": i.is_new,
                    "marking": i.marking.to_dict()} for i in report.incidents],
        rfis=[{"id": r.id, "subject": r.subject, "requester": r.requester, "recipients": sorted(r.recipients),
               "status": r.status, "overdue": r.overdue, "ltiov": iso(r.ltiov), "marking": r.marking.to_dict()}
              for r in report.rfis],
        operations=[{"id": o.id, "name": o.name, "state": o.state, "lead": o.lead,
                     "starts": iso(o.starts) if o.starts else None, "ends": iso(o.ends) if o.ends else None,
                     "marking": o.marking.to_dict()} for o in report.operations],
        conflicts=[{"id": c.id, "summary": c.summary, "status": c.status, "marking": c.marking.to_dict()}
                   for c in report.conflicts],
        correlations=[{"value": c.value, "nations": sorted(c.nations), "sightings": c.sightings,
                       "marking": c.marking.to_dict()} for c in report.correlations],
        messages=dict(report.messages.by_precedence),
        sections_unavailable=list(report.sections_unavailable),
    )


# No response_class on these two: errors stay documented (and sent) as JSON; the 200 body is declared.
@router.get("/sitrep.html", summary="The SITREP as an HTML page",
            responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}})
def sitrep_html(actor: ActorDep, centre: CentreDep, day: Annotated[DateQuery, Query(alias="date")] = None,
                start: FromQuery = None, until: UntilQuery = None) -> HTMLResponse:
    html = centre.sitrep.html(actor, period_of(day, start, until, centre.clock.now()))
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/sitrep.pdf", summary="The SITREP as a PDF (classification banner on every page)",
            responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
def sitrep_pdf(actor: ActorDep, centre: CentreDep, day: Annotated[DateQuery, Query(alias="date")] = None,
               start: FromQuery = None, until: UntilQuery = None) -> Response:
    period = period_of(day, start, until, centre.clock.now())
    pdf = centre.sitrep.pdf(actor, period)
    name = f"sitrep-{period.start:%Y%m%d}.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
