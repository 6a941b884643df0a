"""Who a SITREP is for when it is asked for outside a signed-in session (the `concord sitrep` command)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from concord.centre import Centre
from concord.domain import times
from concord.domain.errors import Forbidden, Invalid
from concord.domain.people import Actor
from concord.domain.sitrep import Period


def actor_for(centre: Centre, username: str) -> Actor:
    """The person as they would be signed in now: their nation, clearance and current roles."""
    person = centre.people.find(username)
    if person.disabled:
        raise Forbidden(f"{username} is disabled", field="as")
    if not person.current_roles:
        raise Forbidden(f"{username} holds no current appointment and may read nothing", field="as")
    return centre.people.actor(person.id)


def day_period(value: str | None, now: datetime) -> Period:
    """A UTC day given as YYYY-MM-DD; by default yesterday (the report filed this morning)."""
    if value is None:
        return Period.day((now.astimezone(UTC) - timedelta(days=1)).date())
    try:
        return Period.day(times.check_day(date.fromisoformat(value), "date"))
    except ValueError:
        raise Invalid(f"{value!r} is not a date such as 2026-11-28", field="date") from None
