"""Choose the event bus from `CONCORD_BUS_URL`."""

from __future__ import annotations

from concord.bus.base import EventBus
from concord.bus.inprocess import InProcessBus
from concord.domain.errors import Invalid


def make_bus(url: str) -> EventBus:
    scheme = url.split("://", 1)[0] if "://" in url else url
    if scheme in ("", "memory"):
        return InProcessBus()
    raise Invalid(f"unsupported event bus URL scheme {scheme!r}", field="CONCORD_BUS_URL")
