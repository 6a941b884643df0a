"""GeoChat from the field becomes a message in the matching Concord channel (through the messaging
service's rules), seen over REST by whom the marking admits, and is not sent back out as GeoChat."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from concord.app import create_app
from concord.centre import Centre
from concord.clock import FixedClock
from concord.cot.render import inbound_xml
from concord.domain.markings import Level
from concord.domain.people import Role
from concord.settings import CotSettings, FieldMarkingSettings, MarkingRuleSettings
from tests.conftest import fast_settings
from tests.factories import ApiClient, field_centre, person, sign_in
from tests.integration.test_cot_gateway import NATIONAL_GROUP, connected, with_gateway
from tests.unit.cot.cot_samples import chat_xml, marker_xml, position_xml


@pytest.fixture
def cot_centre(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Centre]:
    cot = CotSettings(markings=FieldMarkingSettings(
        by_group={NATIONAL_GROUP: MarkingRuleSettings(releasable_to=[])}))
    centre = field_centre(Centre(fast_settings(database_url, tmp_path / "data", cot=cot), clock=clock))
    centre.channels.ensure_standard_channels()
    person(centre, "TUR", (Role.OBSERVER,), username="tur.observer")
    person(centre, "TUR", (Role.WATCH_OFFICER,), username="tur.watch")
    person(centre, "IRQ", (Role.WATCH_OFFICER,), username="irq.watch")
    person(centre, "IRQ", (Role.ANALYST,), clearance=Level.UNCLASSIFIED, username="irq.low")
    yield centre
    centre.close()


def bodies(api: ApiClient, channel_name: str) -> list[str]:
    channels: list[dict[str, Any]] = api.get("/api/channels").json()
    channel_id = next(c["id"] for c in channels if c["name"] == channel_name)
    response = api.get(f"/api/channels/{channel_id}/messages")
    assert response.status_code == 200, response.text
    return [m["body"] for m in response.json()["items"]]


def test_field_geochat_is_posted_in_its_channel_and_not_echoed(cot_centre: Centre, clock: FixedClock) -> None:
    now = clock.now()

    async def body(ports: dict[str, int]) -> None:
        observer_port = await cot_centre.cot.start_tcp("127.0.0.1", 0, "tur.observer")
        tur = await connected(cot_centre, ports["TUR"])
        irq = await connected(cot_centre, ports["IRQ"])
        observer = await connected(cot_centre, observer_port)
        await tur.send(position_xml(uid="ANDROID-tur-1", when=now))
        await irq.wait_for(lambda e: e.uid == "ANDROID-tur-1")
        await tur.send(chat_xml(sender="ANDROID-tur-1", text="Checkpoint 4 clear", message_id="j-1", when=now))
        await tur.send(chat_xml(sender="ANDROID-tur-1", text="Red team only", message_id="r-1",
                                group=NATIONAL_GROUP, when=now))
        # Released to IRQ as well: above the ceiling of TUR's internal channel.
        await tur.send(chat_xml(sender="ANDROID-tur-1", room="TUR internal", text="too wide", message_id="w-1",
                                when=now))
        await irq.send(chat_xml(sender="ANDROID-irq-1", room="TUR internal", text="not mine", message_id="n-1",
                                when=now))
        await observer.send(chat_xml(sender="ANDROID-tur-9", text="observers only read", message_id="o-1",
                                     when=now))
        await irq.send(chat_xml(sender="ANDROID-irq-1", room="ALPHA-1", to_uid="ANDROID-tur-1",
                                text="Meet at the bridge", message_id="d-1", when=now))
        await tur.send(marker_xml(uid="sync-1", when=now))       # sent last: everything before is through
        await irq.wait_for(lambda e: e.uid == "sync-1")
        await observer.wait_for(lambda e: e.uid == "sync-1")

        # GeoChat goes to the TAK clients whose person may see it once, as it was sent; the channel
        # message made from it is not sent back out as a second GeoChat (uid "GeoChat.concord-…").
        irq_chats = [e.uid for _, e in irq.events if e.type == "b-t-f"]
        assert irq_chats == ["GeoChat.ANDROID-tur-1.All Chat Rooms.j-1", "GeoChat.ANDROID-tur-1.TUR internal.w-1"]
        await tur.wait_for(lambda e: sum(x.type == "b-t-f" for _, x in tur.events) >= 3)
        await irq.send(marker_xml(uid="sync-2", when=now))
        await tur.wait_for(lambda e: e.uid == "sync-2")
        await observer.wait_for(lambda e: e.uid == "sync-2")
        tur_chats = [e.uid for _, e in tur.events if e.type == "b-t-f"]
        assert sorted(tur_chats) == ["GeoChat.ANDROID-irq-1.ALPHA-1.d-1", "GeoChat.ANDROID-irq-1.TUR internal.n-1",
                                     "GeoChat.ANDROID-tur-9.All Chat Rooms.o-1"]    # none of its own, none twice
        observer_chats = [e.uid for _, e in observer.events if e.type == "b-t-f"]
        assert sorted(observer_chats) == ["GeoChat.ANDROID-irq-1.TUR internal.n-1",
                                          "GeoChat.ANDROID-tur-1.All Chat Rooms.j-1",
                                          "GeoChat.ANDROID-tur-1.All Chat Rooms.r-1",
                                          "GeoChat.ANDROID-tur-1.TUR internal.w-1"]
        assert not any(uid.startswith("GeoChat.concord-") for uid in irq_chats + tur_chats + observer_chats)
        for client in (tur, irq, observer):
            await client.close()

    with_gateway(cot_centre, body)
    assert cot_centre.tracks.chat_posts_dropped == {"marking": 1, "no_channel": 1, "may_not_post": 1}

    with TestClient(create_app(centre=cot_centre)) as http:
        assert bodies(sign_in(http, "irq.watch"), "Joint watch") == ["Checkpoint 4 clear"]
        assert bodies(sign_in(http, "tur.watch"), "Joint watch") == ["Red team only", "Checkpoint 4 clear"]
        assert bodies(sign_in(http, "irq.low"), "Joint watch") == []     # RESTRICTED is above its clearance
        assert bodies(sign_in(http, "tur.watch"), "TUR internal") == []
        irq_field = sign_in(http, "irq.field")
        joint = next(c for c in irq_field.get("/api/channels").json() if c["name"] == "Joint watch")
        message = irq_field.get(f"/api/channels/{joint['id']}/messages").json()["items"][0]
        assert message["precedence"] == "ROUTINE" and message["author_nation"] == "TUR"
        assert message["marking"]["level"] == "RESTRICTED"
        assert message["author_id"] == cot_centre.people.find("tur.field").id
        direct = [c for c in sign_in(http, "tur.field").get("/api/channels").json() if c["kind"] == "direct"]
        assert len(direct) == 1
        assert bodies(sign_in(http, "tur.field"), direct[0]["name"]) == ["Meet at the bridge"]
        assert [c for c in sign_in(http, "tur.watch").get("/api/channels").json() if c["kind"] == "direct"] == []


def test_geochat_of_one_batch_to_several_rooms_each_reaches_its_channel(cot_centre: Centre,
                                                                        clock: FixedClock) -> None:
    """A batch reads the sender's channels once; a direct GeoChat in it (which makes a channel)
    does not keep later ones from theirs."""
    now = clock.now()
    tracks = cot_centre.tracks
    tracks.ingest(tracks.identify("irq.field"), "c-irq", [inbound_xml(position_xml(uid="ANDROID-irq-1", when=now))])
    refused = tracks.ingest(tracks.identify("tur.field"), "c-tur", [inbound_xml(x) for x in (
        chat_xml(text="first", message_id="j-1", when=now),
        chat_xml(room="Nowhere", text="lost", message_id="x-1", when=now),
        chat_xml(room="TUR internal", text="too wide", message_id="w-1", when=now),
        chat_xml(room="ALPHA-1", to_uid="ANDROID-irq-1", text="direct", message_id="d-1", when=now),
        chat_xml(text="second", message_id="j-2", when=now),
        chat_xml(room="TUR internal", text="national", message_id="r-1", group=NATIONAL_GROUP, when=now),
    )])
    assert refused == []
    assert tracks.chat_posts_dropped == {"no_channel": 1, "marking": 1}
    with TestClient(create_app(centre=cot_centre)) as http:
        assert bodies(sign_in(http, "irq.watch"), "Joint watch") == ["second", "first"]
        assert bodies(sign_in(http, "tur.watch"), "TUR internal") == ["national"]
        irq_field = sign_in(http, "irq.field")
        direct = [c for c in irq_field.get("/api/channels").json() if c["kind"] == "direct"]
        assert [bodies(irq_field, c["name"]) for c in direct] == [["direct"]]
