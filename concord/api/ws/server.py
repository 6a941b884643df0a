"""The WebSocket protocol `concord serve` runs: uvicorn's websockets-sansio protocol, plus a way for
`/api/ws` to write pre-encoded frames straight to the connection's transport.

Why: at 1,000 subscribers the cost of a pushed event is per connection (a task wake-up, ASGI
`send`, Starlette, uvicorn, websockets' framing). A caught-up connection of a reader class gets
exactly the same frame as every other caught-up connection of that class, so the feed encodes it
once and writes the same bytes to each (`concord.api.ws.fanout`).

How it stays safe: the writer is offered to the application as an ASGI scope extension
(`concord.ws.frames`); a server that does not offer it (another ASGI server, the test client) gets
the ordinary per-connection path. `write_frames` writes only while the connection is open (the
handshake done, no close frame sent or received, the transport not closing) and never when a
per-message extension was negotiated (a compressed connection's frames differ per connection).
Every frame uvicorn itself writes is one `transport.write` of a whole frame, so frames from both
paths never interleave inside a frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode

EXTENSION = "concord.ws.frames"


class FrameWriter(Protocol):
    """What the shared fan-out needs of a connection."""

    @property
    def per_connection_frames(self) -> bool:
        """A negotiated extension (permessage-deflate) makes every connection's frames its own."""

    def write_frames(self, data: bytes) -> bool:
        """Write whole encoded frames; False (and nothing written) once the connection is closing."""

    def write_buffer_size(self) -> int:
        """Bytes written but not yet taken by the kernel."""

    async def drained(self) -> None:
        """Return once the write buffer is below the transport's high-water mark (or the
        connection is gone)."""


def text_frame(payload: str) -> bytes:
    """An unmasked, unfragmented server→client text frame (RFC 6455 §5.2), ready to write."""
    return Frame(Opcode.TEXT, payload.encode("utf-8")).serialize(mask=False)


def frame_writer(scope: Mapping[str, Any]) -> FrameWriter | None:
    """The connection's frame writer, if the server offers one and its frames may be shared."""
    extension = (scope.get("extensions") or {}).get(EXTENSION)
    writer = extension.get("writer") if isinstance(extension, dict) else None
    if writer is None or writer.per_connection_frames:
        return None
    return writer  # type: ignore[no-any-return]


class ConcordWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol, offering `FrameWriter` to the application."""

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # absent when the handshake was refused
        if scope is not None:
            scope["extensions"][EXTENSION] = {"writer": self}

    @property
    def per_connection_frames(self) -> bool:
        return bool(self.conn.extensions)

    def write_frames(self, data: bytes) -> bool:
        if (self.close_sent or self.disconnected or not self.handshake_complete or self.conn.extensions
                or self.transport.is_closing()):
            return False
        self.transport.write(data)
        return True

    def write_buffer_size(self) -> int:
        return int(self.transport.get_write_buffer_size())

    async def drained(self) -> None:
        await self.writable.wait()  # cleared by pause_writing, set by resume_writing and on loss
