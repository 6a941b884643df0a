"""The plain relay: every event goes to every other connected client, no policy.

This is what a bare CoT router (taky, FreeTAKServer without groups) does. Concord uses it only
where every client may see everything (a single-nation exercise, the benchmark's baseline); the
gateway (`concord.cot.gateway`) is the router that applies the releasability policy.
"""

from __future__ import annotations

from concord.cot.outbox import Outgoing
from concord.cot.session import CotSession
from concord.cot.stream import Encoding, Frame, as_sent
from concord.domain.cot import CotEvent, EventClass


class BroadcastRouter:
    def __init__(self) -> None:
        self.sessions: set[CotSession] = set()

    async def connected(self, session: CotSession) -> None:
        self.sessions.add(session)

    async def received(self, session: CotSession, event: CotEvent, kind: EventClass, frame: Frame) -> None:
        item = Outgoing.of(event, supersedable=kind is EventClass.POSITION)
        if frame.encoding is Encoding.XML:
            item.xml = as_sent(frame)
        else:
            item.protobuf = as_sent(frame)
        for other in self.sessions:
            if other is not session:
                other.send(item)

    def disconnected(self, session: CotSession) -> None:
        self.sessions.discard(session)
