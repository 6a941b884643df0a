"""pytak (a TAK client library no one here wrote) against the gateway: TCP and TLS with enrolled
certificates, XML and TAK Protocol Version 1. Two clients of different nations exchange positions;
one never receives the other's item marked for its own nation only.

pytak does not negotiate: with TAK_PROTO=1 it sends version 1 frames straight away, which the
gateway accepts, and it reads the stream up to each `</event>`, so what it receives is XML that
starts with the XML declaration (which pytak/takproto turn into a TakMessage).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from configparser import ConfigParser
from pathlib import Path
from typing import Any

import pytak
import pytest
from defusedxml.ElementTree import fromstring

from concord.centre import Centre
from concord.clock import FixedClock
from concord.settings import CotSettings, FieldMarkingSettings, MarkingRuleSettings
from tests.conftest import fast_settings
from tests.factories import field_centre
from tests.unit.cot.cot_samples import marker_xml, position_xml

pytestmark = pytest.mark.interop
NATIONAL_GROUP = "Red"


@pytest.fixture
def cot_centre(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Centre]:
    cot = CotSettings(tls_port=0, markings=FieldMarkingSettings(
        by_group={NATIONAL_GROUP: MarkingRuleSettings(releasable_to=[])}))
    centre = field_centre(Centre(fast_settings(database_url, tmp_path / "data", cot=cot), clock=clock))
    yield centre
    centre.close()


def enrolled(centre: Centre, username: str, nation: str, directory: Path) -> dict[str, str]:
    issued = centre.cot.ca.issue_client(username, nation)
    cert, key = directory / f"{username}.pem", directory / f"{username}.key"
    cert.write_bytes(issued.certificate_pem())
    key.write_bytes(issued.key_pem())
    return {"PYTAK_TLS_CLIENT_CERT": str(cert), "PYTAK_TLS_CLIENT_KEY": str(key),
            "PYTAK_TLS_CLIENT_CAFILE": str(centre.cot.ca.ca_certificate_path)}


class PytakClient:
    def __init__(self, url: str, protocol: int, extra: dict[str, str]):
        config = ConfigParser()
        config["client"] = {"COT_URL": url, "TAK_PROTO": str(protocol), **extra}
        self.tool = pytak.CLITool(config["client"])
        self.tasks: list[asyncio.Future[Any]] = []
        self.uids: list[str] = []

    async def start(self) -> None:
        await self.tool.setup()
        self.tasks = [asyncio.ensure_future(task.run()) for task in self.tool.tasks]

    async def send(self, data: bytes) -> None:
        await self.tool.tx_queue.put(data)

    async def wait_for_uid(self, uid: str, timeout: float = 10.0) -> None:
        async def read() -> None:
            while uid not in self.uids:
                item = await self.tool.rx_queue.get()
                self.uids.append(_uid(item))
        await asyncio.wait_for(read(), timeout)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for worker in self.tool.tasks:
            writer = getattr(worker, "writer", None)
            if writer is not None and hasattr(writer, "close"):
                writer.close()


def _uid(item: Any) -> str:
    if isinstance(item, bytes | bytearray):
        return str(fromstring(bytes(item)).get("uid"))
    return str(item.cotEvent.uid)      # a takproto TakMessage


async def exchange(centre: Centre, tur: PytakClient, irq: PytakClient, clock: FixedClock) -> None:
    now = clock.now()
    await tur.start()
    await irq.start()
    for _ in range(500):  # both identified and following their feeds
        if len(centre.cot.router.identities) == 2:
            break
        await asyncio.sleep(0.01)
    assert len(centre.cot.router.identities) == 2
    await tur.send(position_xml(uid="tur-unit", when=now))
    await irq.wait_for_uid("tur-unit")
    await irq.send(position_xml(uid="irq-unit", callsign="SAQR-2", when=now))
    await tur.wait_for_uid("irq-unit")
    await tur.send(position_xml(uid="tur-national", group=NATIONAL_GROUP, when=now))
    await tur.send(marker_xml(uid="tur-marker", when=now))
    await irq.wait_for_uid("tur-marker")          # sent after the national item
    assert "tur-national" not in irq.uids
    assert "tur-unit" not in tur.uids              # no echo of a client's own reports
    await tur.stop()
    await irq.stop()


@pytest.mark.parametrize("protocol", [0, 1], ids=["xml", "protobuf"])
def test_pytak_over_tcp(cot_centre: Centre, clock: FixedClock, protocol: int) -> None:
    async def main() -> None:
        await cot_centre.start()
        try:
            tur_port = await cot_centre.cot.start_tcp("127.0.0.1", 0, "tur.field")
            irq_port = await cot_centre.cot.start_tcp("127.0.0.1", 0, "irq.field")
            tur = PytakClient(f"tcp://127.0.0.1:{tur_port}", protocol, {})
            irq = PytakClient(f"tcp://127.0.0.1:{irq_port}", protocol, {})
            await exchange(cot_centre, tur, irq, clock)
        finally:
            await cot_centre.cot.stop()
            await cot_centre.stop()
    asyncio.run(main())
    stats = cot_centre.cot.listener.stats
    assert stats.inbound_dropped.total() == 0
    assert (stats.received_protobuf > 0) == (protocol == 1)   # pytak really spoke version 1


@pytest.mark.parametrize("protocol", [0, 1], ids=["xml", "protobuf"])
def test_pytak_over_tls_with_enrolled_certificates(cot_centre: Centre, clock: FixedClock, tmp_path: Path,
                                                   protocol: int) -> None:
    tur_files = enrolled(cot_centre, "tur.field", "TUR", tmp_path)
    irq_files = enrolled(cot_centre, "irq.field", "IRQ", tmp_path)

    async def main() -> None:
        await cot_centre.start()
        try:
            port = await cot_centre.cot.start_tls("127.0.0.1", 0)
            tur = PytakClient(f"tls://127.0.0.1:{port}", protocol, tur_files)
            irq = PytakClient(f"tls://127.0.0.1:{port}", protocol, irq_files)
            await exchange(cot_centre, tur, irq, clock)
        finally:
            await cot_centre.cot.stop()
            await cot_centre.stop()
    asyncio.run(main())
    stats = cot_centre.cot.listener.stats
    assert stats.inbound_dropped.total() == 0
    assert (stats.received_protobuf > 0) == (protocol == 1)
