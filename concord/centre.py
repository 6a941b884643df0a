"""The centre: every service, wired once from Settings. Used by the app, the CLI and tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from cryptography import x509

from concord.bus.base import EventBus
from concord.bus.factory import make_bus
from concord.clock import Clock, SystemClock
from concord.cot.ca import IssuedCertificate
from concord.cot.datapackage import build_data_package
from concord.cot.gateway import CotGateway
from concord.domain.attachments import AttachmentLimits, base_type
from concord.domain.messages import MessageLimits
from concord.private_files import private_dir
from concord.services.acknowledgements import AcknowledgementService
from concord.services.activities import ActivityService
from concord.services.audit import AuditService
from concord.services.auth import AuthService
from concord.services.basic_auth import BasicCredentials
from concord.services.channels import ChannelService
from concord.services.conflicts import ConflictService
from concord.services.deconfliction import DeconflictionService
from concord.services.duty import DutyService
from concord.services.federation import FederationService, NodeIdentity
from concord.services.federation_feed import FederationFeedService
from concord.services.feed import EventFeed
from concord.services.follow import Followers
from concord.services.identity import CentreIdentity, IdentityMismatch
from concord.services.incidents import IncidentService
from concord.services.intel import IntelService
from concord.services.intel_index import IntelIndexer
from concord.services.intel_read import IntelReader
from concord.services.messages import MessagingService
from concord.services.nations import NationService
from concord.services.operations import OperationService
from concord.services.passwords import Passwords
from concord.services.people import PeopleService
from concord.services.presence import PresenceService
from concord.services.privileged_requests import PrivilegedRequestService
from concord.services.releases import ReleaseService
from concord.services.rfis import RfiService
from concord.services.secrets import SecretBox
from concord.services.sign_in_guard import SignInGuard
from concord.services.sites import SiteService
from concord.services.sitrep import SitrepService
from concord.services.tak_devices import TakDeviceService
from concord.services.tracks import TrackService
from concord.settings import Settings
from concord.storage import migrate
from concord.storage.db import Database
from concord.supervisor import Supervisor

#: The TLS port TAK clients use by convention, written into packages when the listener has none set.
TAK_TLS_PORT = 8089


class StartupError(RuntimeError):
    """The centre cannot start as configured (e.g. a listener's port is taken); the message says why."""

BackgroundTask = Callable[[], Coroutine[Any, Any, None]]
#: A long-running loop with the name it is supervised, logged, counted and reported under.
NamedTask = tuple[str, BackgroundTask]


class Centre:
    def __init__(self, settings: Settings, *, clock: Clock | None = None, bus: EventBus | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        private_dir(settings.data_dir)  # keys, certificates, exports: the centre's user only
        self.db = Database(settings.database_url)
        self.bus: EventBus = bus or make_bus(settings.bus_url)
        self.db.on_commit(self.bus.publish)
        self.passwords = Passwords(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib)
        self.nations = NationService(self.db, self.clock)
        self.people = PeopleService(self.db, self.clock, self.passwords)
        self.sign_in_guard = SignInGuard(self.db, settings)
        # One identity across processes: each key's public half is recorded by the first to have it.
        self.identity = CentreIdentity(self.db, self.clock)
        self.secrets = SecretBox(settings.secrets_key_file or settings.data_dir / "keys" / "secrets.keys",
                                 self.identity)
        self.privileged = PrivilegedRequestService(self.db, self.clock, self.people)
        self.auth = AuthService(self.db, self.clock, self.passwords, settings, guard=self.sign_in_guard,
                                box=self.secrets)
        partners = lambda: {n.code: n.name for n in self.nations.all()}  # noqa: E731 (read at each use)
        self.intel = IntelService(self.db, self.clock, partners, parallel=settings.intel_validation_worker)
        self.intel_read = IntelReader(self.db, partners)
        # Full-text search and correlation: indexes fed from the event log after commit (issue 18).
        self.intel_index = IntelIndexer(self.db, self.clock)
        self.basic_auth = BasicCredentials(self.db, self.clock, self.passwords, self.sign_in_guard)
        # Joint operations and deconfliction (issue 5): one engine per process, following the event log.
        self.deconfliction = DeconflictionService(self.db, self.clock, standoff_m=settings.deconfliction_standoff_m,
                                                  contact=settings.deconfliction_contact)
        self.operations = OperationService(self.db, self.clock, self.deconfliction)
        self.sites = SiteService(self.db, self.clock, self.deconfliction)
        self.activities = ActivityService(self.db, self.clock, self.deconfliction)
        self.conflicts = ConflictService(self.db, self.clock, contact=settings.deconfliction_contact)
        # Long-running loops (checkpoints, escalations, listeners) that features register by name; each
        # is started by `start()` in the server process under supervision (concord/supervisor.py):
        # restarted with back-off when it fails, counted in /metrics and reported by /readyz.
        self.background: list[NamedTask | BackgroundTask] = []
        self.supervisor = Supervisor(backoff_seconds=settings.background_backoff_seconds,
                                     degraded_seconds=settings.background_degraded_seconds)
        # Every follower of the event log (services/follow.py): lag in /metrics, failures in /readyz.
        self.followers = Followers(on_failure=self.supervisor.report)
        # Real-time communication (issue 4)
        self.channels = ChannelService(self.db, self.clock)
        limits = MessageLimits(attachments=AttachmentLimits(
            settings.attachment_max_bytes, settings.attachment_max_count,
            frozenset(base_type(t) for t in settings.attachment_types)))
        self.messaging = MessagingService(self.db, self.clock, self.channels, limits=limits)
        self.acknowledgements = AcknowledgementService(self.db, self.clock, self.messaging)
        self.duty = DutyService(self.db, self.clock)
        self.presence = PresenceService(self.db, self.clock)
        self.feed = EventFeed(self.db, self.bus, poll_seconds=settings.feed_poll_seconds,
                              record=self.presence.record, online=self.presence.online_markings,
                              followers=self.followers)
        self.background.append(("event-feed", self.feed.run))
        if settings.escalation_seconds > 0:
            every = settings.escalation_seconds
            self.background.append(("escalations", lambda: self.acknowledgements.run_escalations(every)))
        # Registered before any feature writes: every write unit of work appends its audit entries.
        self.audit = AuditService(self.db, self.clock, settings, self.identity)
        self.background.append(("audit-checkpoints", self.audit.run_checkpoints))
        self.background.append(("audit-sequencer", self.audit.run_sequencer))
        # TAK gateway: field tracks, map points and GeoChat; listeners only where `cot.listen` is on.
        self.tracks = TrackService(self.db, self.clock, settings.cot, self.messaging)
        self.cot = CotGateway(self.tracks, self.bus, settings.cot, settings.data_dir, self.clock.now,
                              self.audit.record_reads, self.followers, self.identity)
        cot = settings.cot

        def package(issued: object, ca: x509.Certificate, username: str, password: str) -> bytes:
            # The service sees the CA through a Protocol; what it hands back is what our CA issued.
            assert isinstance(issued, IssuedCertificate)
            return build_data_package(issued, ca, username, cot.public_host, cot.tls_port or TAK_TLS_PORT, password)

        self.tak_devices = TakDeviceService(self.db, self.clock, lambda: self.cot.ca, package)
        if settings.cot.listen:  # bound by start() (a port that is taken fails the start), then kept up
            self.background.append(("cot-gateway", self.cot.housekeep))
        self.background.append(("deconfliction-follower", self.deconfliction.follower(self.bus, self.followers).run))
        self.background.append(("intel-index", self.intel_index.follower(self.bus, self.followers).run))
        # Coordination (issue 6): incidents, RFIs, joint public releases, the SITREP.
        self.incidents = IncidentService(self.db, self.clock, self.channels)
        self.rfis = RfiService(self.db, self.clock)
        self.releases = ReleaseService(self.db, self.clock)
        self.sitrep = SitrepService(self.db, self.clock)
        self.background.append(("rfi-deadlines", self.rfis.overdue_loop))
        # Federation (docs/federation.md): this node's key, its peers, and the puller of their intelligence.
        self.node = NodeIdentity(settings.data_dir / "keys", hostnames=(settings.host, "localhost"))
        self.federation = FederationService(self.db, self.clock, self.node, self.intel, partners,
                                            nation=settings.node_nation, page_size=settings.federation_page_size)
        self.federation_feed = FederationFeedService(self.db, self.clock, self.federation, nation=settings.node_nation,
                                           page_size=settings.federation_page_size)
        self.background.append(("federation-pull", self.federation.follower(
            self.bus, self.followers, settings.federation_poll_seconds, also=self.federation_feed.pull).run))

    def migrate(self) -> None:
        migrate.upgrade(self.db)

    def verify_identity(self) -> None:
        """This process's keys are the centre's, whatever process made them (services/identity.py);
        IdentityMismatch names the key and what to do."""
        self.audit.verify_identity()
        self.secrets.verify_identity()
        self.cot.verify_identity()

    async def start(self) -> None:
        """Connect the bus, bind the CoT listeners (a port that cannot be bound fails the start with
        `StartupError`), then start every background task under supervision."""
        # The planner's statistics as the store stands now (the hot reads do not depend on them).
        await asyncio.to_thread(self.db.refresh_statistics)
        try:
            await asyncio.to_thread(self.verify_identity)
        except IdentityMismatch as exc:
            raise StartupError(exc.message) from exc
        await asyncio.to_thread(self.node.certificate)  # the node key and its certificate, made at first start
        await self.bus.start()
        if self.settings.cot.listen:
            try:
                await self.cot.start()
            except OSError as exc:
                await self.cot.stop()
                await self.bus.stop()
                raise StartupError(f"the CoT listeners cannot start: {exc} (set CONCORD_COT__TCP_PORT and "
                                   "CONCORD_COT__TLS_PORT to free ports, or free the ports)") from exc
        for entry in self.background:
            name, job = entry if isinstance(entry, tuple) else (getattr(entry, "__qualname__", repr(entry)), entry)
            if name not in self.supervisor.names:
                self.supervisor.add(name, job)
        self.supervisor.start()

    async def stop(self) -> None:
        await self.supervisor.stop()
        if self.settings.cot.listen:
            await self.cot.stop()
        await self.bus.stop()

    def close(self) -> None:
        self.db.dispose()
