"""CoT streaming listeners over TCP and TLS (asyncio streams)."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from datetime import UTC, datetime

from concord.cot.drops import CotStats
from concord.cot.session import CotSession, PeerIdentity, Router, SessionLimits
from concord.cot.tls import identity_from_certificate
from concord.domain.errors import Invalid

log = logging.getLogger(__name__)

#: Decides whether a TLS client certificate (DER) is still acceptable, e.g. not revoked.
CertificateCheck = Callable[[bytes], bool]


def utc_now() -> datetime:
    return datetime.now(UTC)


class CotListener:
    def __init__(self, router: Router, limits: SessionLimits | None = None,
                 clock: Callable[[], datetime] = utc_now):
        self.router = router
        self.limits = limits or SessionLimits()
        self.stats = CotStats()
        self.sessions: set[CotSession] = set()
        self._clock = clock
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def start_tcp(self, host: str, port: int, identity: PeerIdentity) -> asyncio.Server:
        """Plain TCP: every client is `identity` (for the demo and tests; the network is trusted)."""

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await self._serve(reader, writer, identity)

        server = await asyncio.start_server(accept, host, port, limit=self.limits.max_event_bytes * 2)
        self._servers.append(server)
        return server

    async def start_tls(self, host: str, port: int, context: ssl.SSLContext,
                        certificate_ok: CertificateCheck) -> asyncio.Server:
        """TLS with a client certificate from the centre's CA; `certificate_ok` runs on each connect."""

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            ssl_object = writer.get_extra_info("ssl_object")
            der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
            identity = None
            if der is not None and certificate_ok(der):
                try:
                    identity = identity_from_certificate(der)
                except (Invalid, ValueError) as exc:
                    log.warning("CoT TLS client certificate without a usable subject: %s", exc)
            if identity is None:
                log.warning("CoT TLS client %s refused: certificate revoked, missing or unusable",
                            writer.get_extra_info("peername"))
                writer.close()
                return
            await self._serve(reader, writer, identity)

        server = await asyncio.start_server(accept, host, port, ssl=context,
                                            limit=self.limits.max_event_bytes * 2)
        self._servers.append(server)
        return server

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     identity: PeerIdentity) -> None:
        session = CotSession(reader, writer, identity, self.router, self.stats, self.limits, self._clock)
        self.sessions.add(session)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await session.run()
        except Exception:
            log.exception("CoT session %r failed", session)
        finally:
            self.sessions.discard(session)
            if task is not None:
                self._tasks.discard(task)

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for session in list(self.sessions):
            session.close()
        for server in self._servers:
            await server.wait_closed()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        self._servers.clear()
