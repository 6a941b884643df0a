"""The period a SITREP covers when it is asked for outside a signed-in session (`concord sitrep`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from concord.domain import times
from concord.domain.errors import Invalid
from concord.domain.sitrep import Period


def day_period(value: str | None, now: datetime) -> Period:
    """A UTC day given as YYYY-MM-DD; by default yesterday (the report filed this morning)."""
    if value is None:
        return Period.day((now.astimezone(UTC) - timedelta(days=1)).date())
    try:
        return Period.day(times.check_day(date.fromisoformat(value), "date"))
    except ValueError:
        raise Invalid(f"{value!r} is not a date such as 2026-11-28", field="date") from None
