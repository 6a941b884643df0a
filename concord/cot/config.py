"""Settings of the TAK gateway: the `cot` section of `concord.settings.Settings`
(environment: `CONCORD_COT__TCP_PORT=8087`, `CONCORD_COT__MARKINGS='{"by_group": {...}}'`, ...)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from concord.domain.markings import Level, Tlp
from concord.domain.tracks import FieldMarkings, MarkingRule


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
