"""Typed settings, read once at start-up from CONCORD_* environment variables (never at import)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from concord.domain.attachments import DEFAULT_TYPES
from concord.domain.markings import Level, Tlp
from concord.domain.tracks import FieldMarkings, MarkingRule

# --- TAK gateway: the `cot` section (CONCORD_COT__TCP_PORT=8087, CONCORD_COT__MARKINGS='{"by_group": {...}}')


class MarkingRuleSettings(BaseModel):
    level: Level = Level.RESTRICTED
    #: None: every partner nation of the centre; [] keeps items inside the sender's nation.
    releasable_to: list[str] | None = None
    tlp: Tlp = Tlp.AMBER

    def rule(self) -> MarkingRule:
        release = None if self.releasable_to is None else frozenset(self.releasable_to)
        return MarkingRule(self.level, release, self.tlp)


class FieldMarkingSettings(BaseModel):
    default: MarkingRuleSettings = Field(default_factory=MarkingRuleSettings)
    by_nation: dict[str, MarkingRuleSettings] = Field(default_factory=dict)
    by_group: dict[str, MarkingRuleSettings] = Field(default_factory=dict)

    def field_markings(self) -> FieldMarkings:
        return FieldMarkings(
            default=self.default.rule(),
            by_nation={k: v.rule() for k, v in self.by_nation.items()},
            by_group={k: v.rule() for k, v in self.by_group.items()},
        )


class CotSettings(BaseModel):
    #: Start the listeners with the server. `concord serve` and `concord demo` turn this on.
    listen: bool = False
    tcp_host: str = "127.0.0.1"
    #: Plain TCP (demo and tests: the network is trusted); None turns it off.
    tcp_port: int | None = 8087
    #: The person every plain-TCP client acts as (a username); TCP is refused without one.
    tcp_identity: str | None = None
    tls_host: str = "127.0.0.1"
    #: TLS with client certificates from the centre's CA; None turns it off.
    tls_port: int | None = 8089
    #: Names the server certificate is issued for (the first is its CN).
    tls_hostnames: list[str] = Field(default_factory=lambda: ["localhost", "127.0.0.1"])
    #: The host name written into enrolment data packages.
    public_host: str = "localhost"
    max_event_bytes: int = 64 * 1024
    outbox_soft_limit: int = 256
    outbox_hard_limit: int = 4096
    #: Connections held at once over TCP and TLS together; one over the cap is closed at once
    #: (logged and counted). None: no cap.
    max_connections: int | None = Field(default=2000, ge=1)
    #: A client from which nothing was received for this long is disconnected (logged and
    #: counted); TAK clients send their own position and pings well within it. None: never.
    idle_timeout_seconds: float | None = Field(default=600.0, gt=0)
    #: How long a track's position history is kept (the last known position is always kept).
    track_history_hours: float = 24.0
    #: The Concord channel that GeoChat's "All Chat Rooms" maps to (the centre's standard channel).
    field_channel: str = "Joint watch"
    markings: FieldMarkingSettings = Field(default_factory=FieldMarkingSettings)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONCORD_", env_nested_delimiter="__", extra="ignore")

    # Storage and fan-out
    database_url: str = Field(default="sqlite:///var/concord.db", description="sqlite:///PATH or postgresql+psycopg://…")
    bus_url: str = Field(default="memory://", description="memory://, postgresql://…, redis://… or nats://…")
    data_dir: Path = Field(default=Path("var"), description="keys, certificates, exports")
    secrets_key_file: Path | None = Field(
        default=None, description="keys sealing TOTP seeds (default DATA_DIR/keys/secrets.keys); keep it off the "
        "database's disk and backups")

    # HTTP
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 2 * 1024 * 1024
    secure_cookies: bool = False  # set true behind TLS
    log_json: bool = True
    #: One access-log line per request (CONCORD_LOG_ACCESS=1); otherwise a summary every few minutes.
    log_access: bool = False

    # Real-time (WebSocket push, acknowledgement escalation)
    ws_queue_capacity: int = 4096  # events a client may fall behind before it is closed with a resume hint
    ws_heartbeat_seconds: float = 20.0  # ping after this much quiet; close after three times it
    ws_max_frame_bytes: int = 64 * 1024
    feed_poll_seconds: float = 2.0  # re-read the event log this often even without a bus wake-up
    escalation_seconds: float = 5.0  # how often overdue acknowledgements are checked; 0 turns it off
    # Background tasks: restarted after a failure with back-off from this delay (doubling, to 60 s);
    # /readyz reports one as degraded while it is down and for this long after its last failure.
    background_backoff_seconds: float = Field(default=1.0, gt=0)
    background_degraded_seconds: float = Field(default=60.0, ge=0)
    # Message attachments: per file, per message, and the types accepted (checked against the content)
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, le=512 * 1024 * 1024)
    attachment_max_count: int = Field(default=5, ge=0, le=50)
    attachment_types: frozenset[str] = Field(default=DEFAULT_TYPES,
                                             description='JSON list, e.g. ["application/pdf","image/png"]')

    # A centre's own map data: the largest tile archive (MBTiles/PMTiles) an administrator may upload
    map_data_max_bytes: int = Field(default=2 * 1024 * 1024 * 1024, ge=1, le=64 * 1024 * 1024 * 1024)

    # Intelligence ingest: validate big batches in a second process while this one writes (needs two cores)
    intel_validation_worker: bool = True

    trusted_proxies: list[str] = Field(
        default_factory=list, description='JSON list of proxy addresses whose X-Forwarded-For is believed, '
        'e.g. ["10.0.0.5"]; empty: the peer address is the client')
    drain_seconds: float = Field(
        default=3.0, ge=0, le=600, description="after SIGTERM, how long /readyz says draining while the process "
        "still serves, so the balancer takes it out (more than HAProxy's check inter × fall)")
    docs_public: bool = Field(default=False, description="serve /api/docs without sign-in (the demo does)")
    serve_source_maps: bool = Field(default=False, description="serve the web UI's source maps (development)")

    # Sign-in: progressive delay per account and per client address, never a lock-out
    session_ttl_minutes: int = 12 * 60  # one shift
    login_free_failures_per_account: int = 5
    login_free_failures_per_address: int = 20
    login_delay_base_seconds: float = 2.0  # the first delay; each further failure doubles it
    login_delay_cap_seconds: float = 300.0
    login_window_seconds: int = 15 * 60  # failures older than this are forgotten
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 64 * 1024

    # TAK gateway (Cursor-on-Target listeners)
    cot: CotSettings = Field(default_factory=CotSettings)
    # Audit log
    audit_origin: str = Field("concord.local/audit", description="checkpoint origin line and centre key name")
    audit_read_level: str = Field("CONFIDENTIAL", description="reads of items at or above this level are audited")
    audit_checkpoint_seconds: float = Field(3.0, description="how often a checkpoint is issued while entries arrive")
    # Federation (docs/federation.md): the nation this node speaks for, and how often it pulls its peers
    node_nation: str | None = Field(default=None, pattern="^[A-Z]{3}$",
                                    description="the nation this node belongs to (ISO 3166-1 alpha-3); "
                                    "needed to peer with other nodes")
    federation_poll_seconds: float = Field(default=5.0, gt=0, le=3600,
                                           description="a pull round over every peer node this often")
    federation_page_size: int = Field(default=500, ge=1, le=10_000, description="objects per page pulled")
    # Deconfliction (issue 5)
    deconfliction_standoff_m: float = Field(default=500.0, ge=0, le=50_000,
                                            description="stand-off zone around every operation and activity")
    deconfliction_contact: str = Field(default="Joint Deconfliction Cell, centre watch desk",
                                       description="whom a nation warned of a restricted conflict contacts")


def sqlite_path(database_url: str) -> Path | None:
    """The file behind a sqlite:/// URL, or None for other databases."""
    prefix = "sqlite:///"
    if database_url.startswith(prefix):
        return Path(database_url[len(prefix):])
    return None
