"""CoT streaming listeners over TCP and TLS (asyncio streams).

Two limits protect the process from clients that hold connections without using them:
`SessionLimits.max_connections` (TCP and TLS together: a connection over it is closed as soon as
it is accepted) and `SessionLimits.idle_timeout` (a client from which nothing arrived for that long
is closed by a sweep that runs a few times per timeout). Both are logged and counted."""

from __future__ import annotations

import asyncio
import contextlib
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
        self._sweeper: asyncio.Task[None] | None = None

    async def start_tcp(self, host: str, port: int, identity: PeerIdentity) -> asyncio.Server:
        """Plain TCP: every client is `identity` (for the demo and tests; the network is trusted)."""

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if self._admit(writer):
                await self._serve(reader, writer, identity)

        server = await asyncio.start_server(accept, host, port, limit=self.limits.max_event_bytes * 2)
        self._started(server)
        return server

    async def start_tls(self, host: str, port: int, context: ssl.SSLContext,
                        certificate_ok: CertificateCheck) -> asyncio.Server:
        """TLS with a client certificate from the centre's CA; `certificate_ok` runs on each connect."""

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if not self._admit(writer):
                return
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
        self._started(server)
        return server

    def _started(self, server: asyncio.Server) -> None:
        self._servers.append(server)
        if self.limits.idle_timeout is not None and self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_idle(self.limits.idle_timeout))

    def _admit(self, writer: asyncio.StreamWriter) -> bool:
        """Whether a new connection stays open: under the connection cap (else it is closed now)."""
        cap = self.limits.max_connections
        if cap is None or len(self.sessions) < cap:
            return True
        self.stats.refused_over_cap += 1
        log.warning("CoT client %s refused: %d connections open, the cap (cot.max_connections)",
                    writer.get_extra_info("peername"), len(self.sessions))
        writer.close()
        return False

    async def _sweep_idle(self, timeout: float) -> None:
        """Close the clients from which nothing arrived for `timeout` seconds."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(timeout / 4, 10.0))
            now = loop.time()
            for session in list(self.sessions):
                if not session.closing and now - session.last_heard >= timeout:
                    self.stats.idle_disconnects += 1
                    log.info("CoT client %r closed: nothing received for %.0f s (cot.idle_timeout_seconds)",
                             session, now - session.last_heard)
                    session.close()

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
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        for server in self._servers:
            server.close()
        for session in list(self.sessions):
            session.close()
        for server in self._servers:
            await server.wait_closed()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        self._servers.clear()
