"""The TAK gateway's lifecycle: the CoT listeners of `concord serve` (TCP and TLS with the centre's
CA), wired from the `cot` settings, their policy router (cot/router.py), and their upkeep."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from concord.bus.base import EventBus
from concord.cot.ca import CertificateAuthority
from concord.cot.feed import ReadRecorder
from concord.cot.listener import CotListener
from concord.cot.router import PolicyRouter
from concord.cot.session import PeerIdentity, SessionLimits
from concord.cot.tls import server_context
from concord.services.follow import Followers
from concord.services.identity import TAK_CA, CentreIdentity
from concord.services.tracks import TrackService
from concord.settings import CotSettings

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 600.0
RECHECK_EVERY_SECONDS = 30.0


class CotGateway:
    """The listeners of `concord serve`, wired from the `cot` settings."""

    def __init__(self, service: TrackService, bus: EventBus, settings: CotSettings, data_dir: Path,
                 clock: Callable[[], datetime], record_reads: ReadRecorder | None = None,
                 followers: Followers | None = None, identity: CentreIdentity | None = None):
        self.settings = settings
        self.identity = identity
        self.service = service
        self.router = PolicyRouter(service, bus, record_reads, followers)
        limits = SessionLimits(settings.max_event_bytes, settings.outbox_soft_limit, settings.outbox_hard_limit,
                               max_connections=settings.max_connections,
                               idle_timeout=settings.idle_timeout_seconds)
        self.listener = CotListener(self.router, limits, clock=clock)
        self._ca_directory = data_dir / "cot-ca"
        self._ca: CertificateAuthority | None = None
        self.ports: dict[str, int] = {}

    @property
    def ca(self) -> CertificateAuthority:
        if self._ca is None:
            if self.identity is not None and not self.has_ca():  # never a second CA for one centre
                self.identity.expect_missing(TAK_CA, str(self._ca_directory))
            self._ca = CertificateAuthority.open_or_create(self._ca_directory)
        return self._ca

    def has_ca(self) -> bool:
        return (self._ca_directory / "ca.pem").exists()

    def verify_identity(self) -> None:
        """Our CA is the centre's (recorded by the first process to have one), or IdentityMismatch;
        a centre with no CA yet makes it on first use."""
        if self.identity is not None and (self.has_ca() or self.identity.recorded(TAK_CA) is not None):
            self.identity.claim(TAK_CA, self.ca.fingerprint(), str(self._ca_directory))

    async def start_tcp(self, host: str, port: int, username: str) -> int:
        server = await self.listener.start_tcp(host, port, PeerIdentity(username, None))
        bound: int = server.sockets[0].getsockname()[1]
        return bound

    async def start_tls(self, host: str, port: int) -> int:
        ca = await asyncio.to_thread(lambda: self.ca)
        certificate, key = await asyncio.to_thread(ca.server_files, self.settings.tls_hostnames)
        context = server_context(ca.ca_certificate_path, certificate, key)
        server = await self.listener.start_tls(host, port, context, ca.certificate_ok)
        bound: int = server.sockets[0].getsockname()[1]
        return bound

    async def start(self) -> None:
        s = self.settings
        if s.tcp_port is not None:
            if s.tcp_identity:
                self.ports["tcp"] = await self.start_tcp(s.tcp_host, s.tcp_port, s.tcp_identity)
            else:
                log.warning("CoT TCP listener not started: no cot.tcp_identity is configured")
        if s.tls_port is not None:
            self.ports["tls"] = await self.start_tls(s.tls_host, s.tls_port)
        log.info("CoT listeners: %s", self.ports)

    async def stop(self) -> None:
        await self.listener.stop()
        await self.router.stop()

    async def run(self) -> None:
        """Start the listeners and serve until cancelled."""
        await self.start()
        try:
            await self.housekeep()
        finally:
            await self.stop()

    async def housekeep(self) -> None:
        """The listeners' upkeep until cancelled: recheck who may see what, prune track history."""
        loop = asyncio.get_running_loop()
        last_prune = loop.time()
        while True:
            await asyncio.sleep(RECHECK_EVERY_SECONDS)
            try:
                await self.router.recheck()
                if loop.time() - last_prune >= PRUNE_EVERY_SECONDS:
                    last_prune = loop.time()
                    await asyncio.to_thread(self.service.prune_history)
            except Exception:
                log.exception("CoT gateway housekeeping failed")
