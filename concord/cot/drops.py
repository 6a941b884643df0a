"""Why an inbound frame was dropped, and the counters that make drops visible."""

from __future__ import annotations

from collections import Counter
from enum import StrEnum


class DropReason(StrEnum):
    MALFORMED = "malformed"            # not well-formed XML, or a protobuf that does not decode
    FORBIDDEN_XML = "forbidden_xml"    # DTD, entity declarations, external references
    OVERSIZED = "oversized"            # over the configured event size limit
    TRUNCATED = "truncated"            # the connection closed in the middle of an event
    INVALID = "invalid"                # well-formed but not a valid CoT event (missing/wrong fields)
    NOT_AN_EVENT = "not_an_event"      # the root element is not <event>
    UNSUPPORTED = "unsupported"        # e.g. a TAK protocol version we do not speak


class Dropped(Exception):
    """An inbound frame that is not processed. `reason` is counted, `message` is logged."""

    def __init__(self, reason: DropReason, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class DeliveryDrop(StrEnum):
    SUPERSEDED = "superseded"          # a queued position replaced by a newer one from the same uid
    SLOW_CLIENT = "slow_client"        # a client disconnected because its queue overflowed


class CotStats:
    """Counters of one listener. Plain counters: the metrics endpoint reads them."""

    def __init__(self) -> None:
        self.inbound_dropped: Counter[DropReason] = Counter()
        self.delivery_dropped: Counter[DeliveryDrop] = Counter()
        self.received = 0
        self.received_protobuf = 0      # of which in TAK Protocol Version 1
        self.delivered = 0
        self.garbage_disconnects = 0
        self.connections = 0
        self.refused_over_cap = 0       # connections closed at once: `max_connections` were open
        self.idle_disconnects = 0       # clients closed after `idle_timeout` without sending anything

    def snapshot(self) -> dict[str, object]:
        return {
            "received": self.received,
            "received_protobuf": self.received_protobuf,
            "delivered": self.delivered,
            "connections": self.connections,
            "garbage_disconnects": self.garbage_disconnects,
            "refused_over_cap": self.refused_over_cap,
            "idle_disconnects": self.idle_disconnects,
            "inbound_dropped": {str(k): v for k, v in sorted(self.inbound_dropped.items())},
            "delivery_dropped": {str(k): v for k, v in sorted(self.delivery_dropped.items())},
        }
