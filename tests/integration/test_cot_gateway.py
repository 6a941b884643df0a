"""The TAK gateway end to end on SQLite and PostgreSQL: raw CoT clients of two nations, reports
stored with their markings, and forwarding only what each client's person may see."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from concord.centre import Centre
from concord.clock import FixedClock
from concord.domain.errors import NotFound
from concord.domain.people import Role
from concord.settings import CotSettings, FieldMarkingSettings, MarkingRuleSettings
from tests.conftest import fast_settings
from tests.factories import field_centre, person
from tests.unit.cot.cot_client import RawClient
from tests.unit.cot.cot_samples import chat_xml, marker_xml, position_xml

NATIONAL_GROUP = "Red"   # TAK team whose reports stay inside the sender's nation (configured below)


@pytest.fixture
def cot_centre(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Centre]:
    cot = CotSettings(markings=FieldMarkingSettings(
        by_group={NATIONAL_GROUP: MarkingRuleSettings(releasable_to=[])}))
    centre = field_centre(Centre(fast_settings(database_url, tmp_path / "data", cot=cot), clock=clock))
    yield centre
    centre.close()


def with_gateway(centre: Centre, body: Callable[[dict[str, int]], Awaitable[None]]) -> None:
    async def main() -> None:
        await centre.start()
        try:
            ports = {
                "TUR": await centre.cot.start_tcp("127.0.0.1", 0, "tur.field"),
                "IRQ": await centre.cot.start_tcp("127.0.0.1", 0, "irq.field"),
            }
            await body(ports)
        finally:
            await centre.cot.stop()
            await centre.stop()
    asyncio.run(main())


async def connected(centre: Centre, port: int) -> RawClient:
    client = await RawClient.connect(port)
    await client.wait_for(lambda e: e.type == "t-x-takp-v")
    before = len(centre.cot.router.identities)
    for _ in range(500):
        if len(centre.cot.router.identities) > before:
            break
        await asyncio.sleep(0.01)
    return client


def test_positions_flow_between_nations_and_a_national_item_does_not(cot_centre: Centre,
                                                                     clock: FixedClock) -> None:
    now = clock.now()

    async def body(ports: dict[str, int]) -> None:
        tur = await connected(cot_centre, ports["TUR"])
        irq = await connected(cot_centre, ports["IRQ"])
        await tur.send(position_xml(uid="tur-1", when=now))
        await irq.wait_for(lambda e: e.uid == "tur-1")
        await irq.send(position_xml(uid="irq-1", callsign="SAQR-1", group="Cyan", when=now))
        await tur.wait_for(lambda e: e.uid == "irq-1")

        await tur.send(position_xml(uid="tur-secret", group=NATIONAL_GROUP, when=now))
        await tur.send(chat_xml(sender="tur-1", text="Checkpoint 4 clear", when=now))
        await tur.send(marker_xml(uid="spot-1", when=now))
        await irq.wait_for(lambda e: e.uid == "spot-1")       # sent after the national item
        irq_uids = {e.uid for _, e in irq.events}
        assert "tur-secret" not in irq_uids
        assert any(e.type == "b-t-f" for _, e in irq.events)
        assert not any(e.uid in {"tur-1", "tur-secret", "spot-1"} for _, e in tur.events)  # no echo

        # A client connecting later gets the current picture, through the policy too.
        late_irq = await connected(cot_centre, ports["IRQ"])
        await late_irq.wait_for(lambda e: e.uid == "spot-1")
        late_uids = {e.uid for _, e in late_irq.events}
        assert {"tur-1", "irq-1", "spot-1"} <= late_uids and "tur-secret" not in late_uids
        late_tur = await connected(cot_centre, ports["TUR"])
        await late_tur.wait_for(lambda e: e.uid == "tur-secret")

        # An IRQ client cannot move (or re-mark) a TUR track by reusing its uid.
        await irq.send(position_xml(uid="tur-1", lat=10.0, when=now))
        await irq.send(position_xml(uid="irq-1", lat=37.5, when=now))
        await tur.wait_for(lambda e: e.uid == "irq-1" and e.lat == 37.5)
        for client in (tur, irq, late_irq, late_tur):
            await client.close()

    with_gateway(cot_centre, body)
    tur_reader = cot_centre.tracks.identify("tur.field").reader
    irq_reader = cot_centre.tracks.identify("irq.field").reader
    tur_tracks = {t["uid"]: t for t in cot_centre.tracks.tracks(tur_reader)}
    assert set(tur_tracks) == {"tur-1", "tur-secret", "irq-1"}
    assert tur_tracks["tur-1"]["lat"] == 36.9 and tur_tracks["tur-1"]["marking"].originator == "TUR"
    assert tur_tracks["tur-secret"]["marking"].releasable_to == frozenset({"TUR"})
    assert {t["uid"] for t in cot_centre.tracks.tracks(irq_reader)} == {"tur-1", "irq-1"}
    assert [p["uid"] for p in cot_centre.tracks.map_points(irq_reader)] == ["spot-1"]
    assert cot_centre.cot.router.refused == 1
    assert [p.lat for p in cot_centre.tracks.history(irq_reader, "irq-1")] == [36.9, 37.5]
    with pytest.raises(NotFound):  # a track the reader may not see is absent, its history too
        cot_centre.tracks.history(irq_reader, "tur-secret")


def test_a_client_whose_person_is_disabled_is_disconnected(cot_centre: Centre) -> None:
    async def body(ports: dict[str, int]) -> None:
        tur = await connected(cot_centre, ports["TUR"])
        irq = await connected(cot_centre, ports["IRQ"])
        assert await cot_centre.cot.router.recheck() == 0
        person_id = cot_centre.people.find("irq.field").id
        await asyncio.to_thread(cot_centre.people.set_disabled, None, person_id, True)
        assert await cot_centre.cot.router.recheck() == 1
        with pytest.raises(ConnectionError):
            await irq.wait_for(lambda e: e.type == "never", timeout=5)
        assert [s.identity.username for s in cot_centre.cot.router.identities] == ["tur.field"]
        await tur.close()
        await irq.close()

    with_gateway(cot_centre, body)


def test_a_tcp_identity_that_is_not_a_current_person_is_refused(cot_centre: Centre) -> None:
    async def body(ports: dict[str, int]) -> None:
        port = await cot_centre.cot.start_tcp("127.0.0.1", 0, "nobody.here")
        client = await RawClient.connect(port)
        with pytest.raises(ConnectionError):
            await client.wait_for(lambda e: e.type == "a-f-G-U-C", timeout=5)
        await client.close()

    with_gateway(cot_centre, body)


def test_a_picture_larger_than_the_outbox_reaches_a_new_client(database_url: str, tmp_path: Path,
                                                               clock: FixedClock) -> None:
    cot = CotSettings(outbox_soft_limit=8, outbox_hard_limit=16)
    centre = field_centre(Centre(fast_settings(database_url, tmp_path / "data", cot=cot), clock=clock))
    from concord.cot.render import inbound_xml

    tur = centre.tracks.identify("tur.field")
    centre.tracks.ingest(tur, "setup", [inbound_xml(marker_xml(uid=f"spot-{n}", when=clock.now()))
                                        for n in range(60)])

    async def body(ports: dict[str, int]) -> None:
        irq = await connected(centre, ports["IRQ"])
        await irq.wait_for(lambda e: sum(x.type == "b-m-p-s-m" for _, x in irq.events) == 60)
        await irq.close()

    try:
        with_gateway(centre, body)
        assert centre.cot.listener.stats.delivery_dropped.total() == 0
    finally:
        centre.close()


def test_a_direct_geochat_reaches_only_its_addressee(cot_centre: Centre, clock: FixedClock) -> None:
    now = clock.now()
    person(cot_centre, "TUR", (Role.FIELD_UNIT,), username="tur.other")

    async def body(ports: dict[str, int]) -> None:
        other_port = await cot_centre.cot.start_tcp("127.0.0.1", 0, "tur.other")
        tur = await connected(cot_centre, ports["TUR"])
        irq = await connected(cot_centre, ports["IRQ"])
        other = await connected(cot_centre, other_port)
        await tur.send(position_xml(uid="ANDROID-tur-1", when=now))
        await irq.wait_for(lambda e: e.uid == "ANDROID-tur-1")
        await irq.send(chat_xml(sender="ANDROID-irq-1", room="ALPHA-1", to_uid="ANDROID-tur-1",
                                text="Meet at the bridge", message_id="d-1", when=now))
        await irq.send(chat_xml(sender="ANDROID-irq-1", room="GHOST", to_uid="ANDROID-nobody",
                                message_id="d-2", when=now))
        await irq.send(chat_xml(sender="ANDROID-irq-1", text="to everyone", message_id="r-1", when=now))
        await tur.wait_for(lambda e: e.uid.endswith(".r-1"))
        await other.wait_for(lambda e: e.uid.endswith(".r-1"))
        assert any(e.uid.endswith(".d-1") for _, e in tur.events)
        assert not any(e.uid.endswith((".d-1", ".d-2")) for _, e in other.events)
        for client in (tur, irq, other):
            await client.close()

    with_gateway(cot_centre, body)
    assert cot_centre.cot.router.refused == 1      # the message to an unknown contact


def test_what_a_tak_client_receives_is_an_audited_read(database_url: str, tmp_path: Path,
                                                      clock: FixedClock) -> None:
    settings = fast_settings(database_url, tmp_path / "data", audit_read_level="RESTRICTED")
    centre = Centre(settings, clock=clock)
    centre.nations.add("TUR", "Türkiye")
    centre.nations.add("IRQ", "Iraq")
    person(centre, "TUR", (Role.FIELD_UNIT,), username="tur.field")
    irq_id, _ = person(centre, "IRQ", (Role.FIELD_UNIT,), username="irq.field")
    from concord.cot.render import inbound_xml

    centre.tracks.ingest(centre.tracks.identify("tur.field"), "setup",
                         [inbound_xml(marker_xml(uid="spot-old", when=clock.now()))])

    async def body(ports: dict[str, int]) -> None:
        tur = await connected(centre, ports["TUR"])
        irq = await connected(centre, ports["IRQ"])
        await irq.wait_for(lambda e: e.uid == "spot-old")          # the picture
        await tur.send(position_xml(uid="tur-live", when=clock.now()))
        await irq.wait_for(lambda e: e.uid == "tur-live")          # the feed
        await tur.close()
        await irq.close()

    try:
        with_gateway(centre, body)
        irq_reader = centre.tracks.identify("irq.field").reader
        reads = [(e.item_type, e.item_id) for e, _ in centre.audit.entries(irq_reader, 0, 1000)
                 if e is not None and e.action == "read" and e.actor_person == irq_id]
        assert ("map_point", "spot-old") in reads and ("track", "tur-live") in reads
    finally:
        centre.close()


def test_clients_of_one_person_connecting_together_all_receive_relayed_positions(cot_centre: Centre,
                                                                                 clock: FixedClock) -> None:
    """Connections of the same reader that arrive at once share one feed: none is left out of the
    positions relayed as they come in."""
    now = clock.now()

    async def body(ports: dict[str, int]) -> None:
        tur = await connected(cot_centre, ports["TUR"])
        irqs = await asyncio.gather(*[RawClient.connect(ports["IRQ"]) for _ in range(8)])
        for _ in range(500):
            if len(cot_centre.cot.router.identities) == 9:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)      # every connection has joined its feed
        await tur.send(position_xml(uid="tur-1", when=now))
        await tur.send(position_xml(uid="tur-1", lat=37.0, when=now))
        for irq in irqs:
            await irq.wait_for(lambda e: e.uid == "tur-1" and e.lat == 37.0)
        for client in (tur, *irqs):
            await client.close()

    with_gateway(cot_centre, body)


def test_the_connection_cap_and_idle_timeout_come_from_the_settings(database_url: str, tmp_path: Path,
                                                                    clock: FixedClock,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from concord.settings import Settings

    monkeypatch.setenv("CONCORD_COT__MAX_CONNECTIONS", "1")
    monkeypatch.setenv("CONCORD_COT__IDLE_TIMEOUT_SECONDS", "3600")
    cot = Settings().cot
    assert (cot.max_connections, cot.idle_timeout_seconds) == (1, 3600.0)
    centre = field_centre(Centre(fast_settings(database_url, tmp_path / "data", cot=cot), clock=clock))

    async def body(ports: dict[str, int]) -> None:
        tur = await connected(centre, ports["TUR"])
        irq = await RawClient.connect(ports["IRQ"])    # the cap counts both listeners together
        assert await irq.closed_by_server()
        assert irq.events == []
        await tur.close()
        await irq.close()

    try:
        with_gateway(centre, body)
        listener = centre.cot.listener
        assert listener.limits.idle_timeout == 3600.0
        assert listener.stats.refused_over_cap == 1
    finally:
        centre.close()
