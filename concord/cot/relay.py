"""The plain relay: every event goes to every other connected client, no policy.

This is what a bare CoT router (taky, FreeTAKServer without groups) does. Concord uses it only
where every client may see everything (a single-nation exercise, the benchmark's baseline); the
gateway (`concord.cot.gateway`) is the router that applies the releasability policy.
"""

from __future__ import annotations

from collections.abc import Sequence

from concord.cot.outbox import Outgoing, OutgoingBatch
from concord.cot.session import CotSession, Report, SenderPause
from concord.cot.stream import Encoding, as_sent
from concord.domain.cot import EventClass


class BroadcastRouter:
    def __init__(self) -> None:
        self.sessions: set[CotSession] = set()
        self._pause = SenderPause()

    async def connected(self, session: CotSession) -> None:
        self.sessions.add(session)
        self._pause.watch(session)

    async def received(self, session: CotSession, reports: Sequence[Report]) -> None:
        batch = OutgoingBatch([relayed(report) for report in reports])
        recipients = [other for other in self.sessions if other is not session]
        for other in recipients:
            other.send_batch(batch)
        await self._pause.after_relay(recipients)

    def disconnected(self, session: CotSession) -> None:
        self.sessions.discard(session)


def relayed(report: Report) -> Outgoing:
    """The report to pass on as it was received (encoded again only for clients of the other encoding)."""
    item = Outgoing.of(report.event, supersedable=report.kind is EventClass.POSITION)
    if report.frame.encoding is Encoding.XML:
        item.xml = as_sent(report.frame)
    else:
        item.protobuf = as_sent(report.frame)
    return item
