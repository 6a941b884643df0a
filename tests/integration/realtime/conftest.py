"""A centre with the standard channels and a few people, served by a real server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from concord.centre import Centre
from concord.clock import FixedClock
from concord.domain.people import Role
from tests.conftest import fast_settings
from tests.factories import PASSWORD, person
from tests.integration.realtime.live import Api, live_server, sign_in


@dataclass
class Cast:
    address: str
    centre: Centre
    clock: FixedClock
    centre_channel: int
    tur_channel: int
    irq_channel: int
    ids: dict[str, int]
    tokens: dict[str, str]
    clients: dict[str, Api]

    def api(self, who: str) -> Api:
        if who not in self.clients:
            self.clients[who] = Api(self.address, self.tokens[who])
        return self.clients[who]


def realtime_settings(database_url: str, tmp_path: Path, **extra: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {"escalation_seconds": 0, "feed_poll_seconds": 0.5}
    values.update(extra)
    return fast_settings(database_url, tmp_path / "data", **values)


@pytest.fixture
def rt_options() -> dict[str, object]:
    """Override in a test module to change settings (e.g. a tiny queue)."""
    return {}


@pytest.fixture
def shared_frames() -> bool:
    """Serve WebSockets as `concord serve` does (override with False: plain uvicorn)."""
    return True


@pytest.fixture
def cast(database_url: str, tmp_path: Path, clock: FixedClock, rt_options: dict[str, object],
         shared_frames: bool) -> Iterator[Cast]:
    centre = Centre(realtime_settings(database_url, tmp_path, **rt_options), clock=clock)
    centre.nations.add("TUR", "Türkiye")
    centre.nations.add("IRQ", "Iraq")
    people = {
        "tur_watch": ("TUR", (Role.WATCH_OFFICER,)),
        "tur_commander": ("TUR", (Role.COMMANDER,)),
        "irq_watch": ("IRQ", (Role.WATCH_OFFICER,)),
        "irq_commander": ("IRQ", (Role.COMMANDER,)),
        "irq_analyst": ("IRQ", (Role.ANALYST,)),
    }
    ids = {}
    for name, (nation, roles) in people.items():
        ids[name], _ = person(centre, nation, roles, username=name.replace("_", "."))
    centre.channels.ensure_standard_channels()
    with centre.db.read() as conn:
        from concord.domain.channels import ChannelKind
        from concord.storage import channels as store

        joint = store.find_channel(conn, ChannelKind.CENTRE)
        tur = store.find_channel(conn, ChannelKind.NATION, nation="TUR")
        irq = store.find_channel(conn, ChannelKind.NATION, nation="IRQ")
    assert joint and tur and irq and joint.id and tur.id and irq.id
    with live_server(centre, shared_frames=shared_frames) as address:
        tokens = {name: sign_in(address, name.replace("_", "."), PASSWORD) for name in people}
        the_cast = Cast(address, centre, clock, joint.id, tur.id, irq.id, ids, tokens, {})
        try:
            yield the_cast
        finally:
            for client in the_cast.clients.values():
                client.http.close()
    centre.close()
