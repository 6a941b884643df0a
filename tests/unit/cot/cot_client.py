"""A minimal raw CoT client for the listener tests: send bytes, collect decoded events."""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from concord.cot import protocol
from concord.cot.stream import Encoding, Frame, StreamDecoder
from concord.cot.xml import parse_event
from concord.domain.cot import CotEvent


class RawClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.decoder = StreamDecoder(1 << 20)
        self.events: list[tuple[Encoding, CotEvent]] = []

    @classmethod
    async def connect(cls, port: int, context: ssl.SSLContext | None = None) -> RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def wait_for(self, predicate: object, timeout: float = 5.0) -> CotEvent:
        """Read until an event satisfies `predicate` (a callable on CotEvent)."""
        assert callable(predicate)
        async def read() -> CotEvent:
            seen = 0
            while True:
                for _, event in self.events[seen:]:
                    if predicate(event):
                        return event
                seen = len(self.events)
                data = await self.reader.read(65536)
                if not data:
                    raise ConnectionError("closed by the server")
                for frame in self.decoder.feed(data):
                    assert isinstance(frame, Frame), frame
                    decoded = (parse_event(frame.payload) if frame.encoding is Encoding.XML
                               else protocol.decode_payload(frame.payload))
                    self.events.append((frame.encoding, decoded))
        return await asyncio.wait_for(read(), timeout)

    async def closed_by_server(self, timeout: float = 5.0) -> bool:
        async def read_to_end() -> None:
            while await self.reader.read(65536):
                pass
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await asyncio.wait_for(read_to_end(), timeout)
        return True

    def types(self) -> list[str]:
        return [e.type for _, e in self.events]

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await self.writer.wait_closed()
