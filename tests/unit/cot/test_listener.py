"""The TCP listener with the plain relay: real sockets on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from concord.cot.drops import DropReason
from concord.cot.listener import CotListener
from concord.cot.relay import BroadcastRouter
from concord.cot.session import PeerIdentity, SessionLimits
from concord.cot.stream import Encoding

from .cot_client import RawClient
from .cot_samples import BILLION_LAUGHS, NOW, chat_xml, control_xml, marker_xml, position_xml

FIELD = PeerIdentity("field", "TUR")


def run_with_listener(body: Callable[[CotListener, int], Awaitable[None]],
                      limits: SessionLimits | None = None) -> CotListener:
    async def main() -> CotListener:
        listener = CotListener(BroadcastRouter(), limits, clock=lambda: NOW)
        server = await listener.start_tcp("127.0.0.1", 0, FIELD)
        port = server.sockets[0].getsockname()[1]
        try:
            await body(listener, port)
        finally:
            await listener.stop()
        return listener
    return asyncio.run(main())


def test_events_are_relayed_to_every_other_client_with_the_protocol_offer_first() -> None:
    async def body(listener: CotListener, port: int) -> None:
        a, b, c = [await RawClient.connect(port) for _ in range(3)]
        for client in (a, b, c):
            await client.wait_for(lambda e: e.type == "t-x-takp-v")
        while len(listener.sessions) < 3:
            await asyncio.sleep(0.01)
        await a.send(position_xml() + chat_xml() + marker_xml())
        for client in (b, c):
            await client.wait_for(lambda e: e.type == "b-m-p-s-m")
            assert client.types() == ["t-x-takp-v", "a-f-G-U-C", "b-t-f", "b-m-p-s-m"]
        await a.send(control_xml("t-x-c-t"))
        await a.wait_for(lambda e: e.type == "t-x-c-t-r")
        assert "a-f-G-U-C" not in a.types()          # nobody gets their own events back
        for client in (a, b, c):
            await client.close()

    listener = run_with_listener(body)
    assert listener.stats.received == 4
    assert listener.stats.inbound_dropped.total() == 0


def test_negotiated_client_receives_protocol_v1_after_the_xml_response() -> None:
    async def body(listener: CotListener, port: int) -> None:
        sender, receiver = await RawClient.connect(port), await RawClient.connect(port)
        await receiver.wait_for(lambda e: e.type == "t-x-takp-v")
        request = '<TakControl><TakRequest version="1"/></TakControl>'
        await receiver.send(control_xml("t-x-takp-q", detail=request))
        response = await receiver.wait_for(lambda e: e.type == "t-x-takp-r")
        assert response.detail_attr("TakControl/TakResponse", "status") == "true"
        while len(listener.sessions) < 2:
            await asyncio.sleep(0.01)
        await sender.send(position_xml(uid="unit-7"))
        await receiver.wait_for(lambda e: e.uid == "unit-7")
        encodings = {e.type: enc for enc, e in receiver.events}
        assert encodings == {"t-x-takp-v": Encoding.XML, "t-x-takp-r": Encoding.XML,
                             "a-f-G-U-C": Encoding.PROTOBUF}
        await sender.close()
        await receiver.close()

    run_with_listener(body)


def test_an_unsupported_version_request_is_refused_and_the_client_stays_on_xml() -> None:
    async def body(listener: CotListener, port: int) -> None:
        client = await RawClient.connect(port)
        request = '<TakControl><TakRequest version="7"/></TakControl>'
        await client.send(control_xml("t-x-takp-q", detail=request))
        response = await client.wait_for(lambda e: e.type == "t-x-takp-r")
        assert response.detail_attr("TakControl/TakResponse", "status") == "false"
        await client.close()

    run_with_listener(body)


def test_garbage_is_dropped_with_reasons_and_a_client_that_keeps_sending_it_is_disconnected() -> None:
    limits = SessionLimits(max_event_bytes=4096, max_consecutive_drops=5)

    async def body(listener: CotListener, port: int) -> None:
        client = await RawClient.connect(port)
        await client.send(BILLION_LAUGHS.replace(b"\n", b" ") + position_xml()[:-40] + b"</event>")
        await client.send(position_xml())        # a good event resets the streak
        for _ in range(5):
            await client.send(b"<event>not cot</event>")
        assert await client.closed_by_server()
        await client.close()

    listener = run_with_listener(body, limits)
    dropped = listener.stats.inbound_dropped
    assert dropped[DropReason.FORBIDDEN_XML] == 1
    assert dropped[DropReason.MALFORMED] == 1
    assert dropped[DropReason.INVALID] == 5
    assert listener.stats.received == 1
    assert listener.stats.garbage_disconnects == 1


def test_counters_are_exported_as_prometheus_metrics() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from concord.cot.metrics import CotCollector

    limits = SessionLimits(max_event_bytes=4096, max_consecutive_drops=50)

    async def body(listener: CotListener, port: int) -> None:
        client = await RawClient.connect(port)
        await client.send(b"<event>junk</event>" + position_xml())
        await client.wait_for(lambda e: e.type == "t-x-takp-v")
        while listener.stats.received < 1:
            await asyncio.sleep(0.01)
        registry = CollectorRegistry()
        registry.register(CotCollector(listener))
        text = generate_latest(registry).decode()
        assert 'concord_cot_inbound_dropped_total{reason="invalid"} 1.0' in text
        assert "concord_cot_received_total 1.0" in text
        assert "concord_cot_clients 1.0" in text
        assert "concord_cot_refused_over_cap_total 0.0" in text
        assert "concord_cot_idle_disconnects_total 0.0" in text
        await client.close()

    run_with_listener(body, limits)


def test_a_connection_over_the_cap_is_closed_at_once_and_counted() -> None:
    limits = SessionLimits(max_connections=2)

    async def body(listener: CotListener, port: int) -> None:
        a, b = await RawClient.connect(port), await RawClient.connect(port)
        for client in (a, b):
            await client.wait_for(lambda e: e.type == "t-x-takp-v")
        over = await RawClient.connect(port)
        assert await over.closed_by_server()
        assert over.events == []                      # closed before anything was sent to it
        await a.send(position_xml())                  # the two under the cap are unaffected
        await b.wait_for(lambda e: e.type == "a-f-G-U-C")
        await a.close()
        while len(listener.sessions) > 1:
            await asyncio.sleep(0.01)
        again = await RawClient.connect(port)         # room again once one has left
        await again.wait_for(lambda e: e.type == "t-x-takp-v")
        for client in (b, again, over):
            await client.close()

    listener = run_with_listener(body, limits)
    assert listener.stats.refused_over_cap == 1
    assert listener.stats.connections == 3


def test_a_client_that_sends_nothing_for_the_idle_timeout_is_closed_and_counted() -> None:
    limits = SessionLimits(idle_timeout=0.5)

    async def body(listener: CotListener, port: int) -> None:
        quiet, chatty = await RawClient.connect(port), await RawClient.connect(port)
        for client in (quiet, chatty):
            await client.wait_for(lambda e: e.type == "t-x-takp-v")

        async def keep_pinging() -> None:
            while True:
                await chatty.send(control_xml("t-x-c-t"))
                await asyncio.sleep(0.05)

        pinging = asyncio.create_task(keep_pinging())
        try:
            assert await quiet.closed_by_server()
            assert listener.stats.idle_disconnects == 1
            await asyncio.sleep(0.6)                  # longer than the timeout: still connected
            pongs = chatty.types().count("t-x-c-t-r")
            await chatty.wait_for(lambda e: chatty.types().count("t-x-c-t-r") > pongs + 1)
        finally:
            pinging.cancel()
        for client in (quiet, chatty):
            await client.close()

    listener = run_with_listener(body, limits)
    assert listener.stats.idle_disconnects == 1
