"""Choose the event bus from `CONCORD_BUS_URL`.

| URL | bus |
|---|---|
| empty, `memory://` | in-process (one server process) |
| `postgresql://…`, `postgresql+psycopg://…`, `postgres://…` | PostgreSQL LISTEN/NOTIFY |
| `redis://…`, `rediss://…`, `unix://…` | Redis pub/sub |
| `nats://…`, `tls://…` | NATS |

A `channel` query parameter names the topic the centre's processes share, so several centres or
test runs may use one server: `redis://127.0.0.1:6379/0?channel=centre-a`.
"""

from __future__ import annotations

from concord.bus.base import EventBus
from concord.bus.inprocess import InProcessBus
from concord.domain.errors import Invalid

_SCHEMES = {
    "memory": "memory",
    "postgresql": "postgres",
    "postgres": "postgres",
    "postgresql+psycopg": "postgres",
    "redis": "redis",
    "rediss": "redis",
    "unix": "redis",
    "nats": "nats",
    "tls": "nats",
}


def create_bus(url: str | None) -> EventBus:
    """The bus for `url` (not started: the app starts it in its lifespan)."""
    url = (url or "").strip()
    if not url:
        return InProcessBus()
    scheme, sep, _ = url.partition("://")
    kind = _SCHEMES.get(scheme.lower()) if sep else None
    if kind is None:
        known = ", ".join(sorted(f"{s}://" for s in _SCHEMES))
        raise Invalid(f"bus URL {url.split('://')[0]!r}: unknown scheme; use one of {known}", field="bus_url")
    try:
        if kind == "memory":
            return InProcessBus()
        if kind == "postgres":
            from concord.bus.postgres import PostgresBus

            return PostgresBus(url)
        if kind == "redis":
            from concord.bus.redis import RedisBus

            return RedisBus(url)
        from concord.bus.nats import NatsBus

        return NatsBus(url)
    except ValueError as exc:
        raise Invalid(f"bus URL: {exc}", field="bus_url") from exc


#: The name the centre uses.
make_bus = create_bus
