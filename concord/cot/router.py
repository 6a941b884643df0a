"""The policy router of the TAK gateway: CoT traffic goes through the event log and the policy.

Inbound, a client's reports are stored (one unit of work per batch) with the marking of the
sender's nation or TAK group, each with its event. Outbound, each distinct reader (person, nation,
clearance) has one feed that reads new events through `visible_to` and hands them to that reader's
connections, so what a client receives is exactly what the policy lets its person see — the same
mechanism as every other subscriber (docs/architecture.md, "The one event log").

Positions are the exception, for speed: a position from one of this gateway's clients is relayed
to this gateway's other clients as it comes in, to each reader whose person may see its marking
(`can_see`, decided once per reader and marking), and stored afterwards in the next batch. Chat,
markers and everything else are stored first and reach clients through the feed, as before. A
client never gets its own reports back.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from concord.bus.base import EventBus
from concord.cot.feed import ReaderFeed, ReadRecorder
from concord.cot.outbox import Outgoing, OutgoingBatch
from concord.cot.render import content_to_xml, event_to_xml
from concord.cot.session import CotSession, Report, SenderPause
from concord.cot.stream import Encoding, as_sent
from concord.domain.cot import EventClass
from concord.domain.errors import Unauthenticated
from concord.domain.markings import Marking, Reader, can_see
from concord.domain.people import Actor
from concord.services.audit import ReadItem
from concord.services.follow import Followers
from concord.services.tracks import FieldIdentity, Inbound, TrackService

log = logging.getLogger(__name__)

#: Reports waiting to be stored before a client's reading pauses (TCP pushes back on it).
MAX_PENDING_REPORTS = 2000
#: How long stopping waits for the reports still to be stored.
STOP_STORE_SECONDS = 30.0
#: Visibility decisions remembered (reader × marking); the cache starts again when it is full.
MAX_DECISIONS = 4096


@dataclass(slots=True)
class _Pending:
    """A report waiting to be stored. `relay` is set for a position to relay once it is stored (the
    first positions of a uid whose owner is not known yet)."""

    who: FieldIdentity
    session: CotSession
    report: Inbound
    relay: Outgoing | None = None


class PolicyRouter:
    def __init__(self, service: TrackService, bus: EventBus, record_reads: ReadRecorder | None = None,
                 followers: Followers | None = None):
        self.service = service
        self.followers = followers or Followers()
        self.bus = bus
        self.record_reads = record_reads
        #: Names this gateway in the events of the positions it relayed, so its feeds skip them.
        self.id = uuid.uuid4().hex
        self.identities: dict[CotSession, FieldIdentity] = {}
        self._feeds: dict[Reader, ReaderFeed] = {}
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._space = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self.refused = 0
        #: Positions relayed as they came in, and after waiting to be stored (their uid's owner unknown).
        self.relayed_at_once = 0
        self.relayed_after_store = 0
        self._stopping = False
        self._partners: list[str] | None = None
        self._markings: dict[tuple[str, str | None], Marking] = {}
        #: Track uid → the nation it belongs to, for uids stored by this gateway or found stored.
        self._owners: dict[str, str] = {}
        #: Positions per uid waiting to be stored before they are relayed: later ones wait too.
        self._unconfirmed: Counter[str] = Counter()
        self._decisions: dict[tuple[Reader, Marking], bool] = {}
        #: Relayed items not yet recorded as reads, per reader (deduplicated per item and marking).
        self._reads: dict[Reader, tuple[Actor, dict[tuple[str, Marking], ReadItem]]] = {}
        self.pause = SenderPause()

    # --- Router protocol ---------------------------------------------------------------------------

    async def connected(self, session: CotSession) -> None:
        claimed = session.identity
        try:
            who = await asyncio.to_thread(self.service.identify, claimed.username, claimed.nation,
                                          claimed.credential_epoch)
        except Unauthenticated as exc:
            log.warning("CoT client %r refused: %s", session, exc.message)
            session.close()
            return
        self.identities[session] = who
        self.pause.watch(session)
        await self._join_feed(session, who)
        picture = await asyncio.to_thread(self.service.picture, who.reader)
        if picture and self.record_reads is not None:
            await asyncio.to_thread(self.record_reads, who.actor, [read for _, read in picture])
        # The picture may be larger than an outbox holds: hand it over as the client takes it.
        now = self.service.clock.now()
        for content, _ in picture:
            if not session.has_room:
                await session.wait_for_room()
            session.send(Outgoing("", False, xml=content_to_xml(content, now)))

    async def received(self, session: CotSession, reports: Sequence[Report]) -> None:
        who = self.identities.get(session)
        if who is None:
            return
        if self._partners is None:
            self._partners = await asyncio.to_thread(self.service.partners)
        now = self.service.clock.now()
        relay_now: list[tuple[Outgoing, Marking]] = []
        for report in reports:
            event, kind, frame = report.event, report.kind, report.frame
            xml = as_sent(frame) if frame.encoding is Encoding.XML else event_to_xml(event)
            if kind is not EventClass.POSITION:
                self._pending.append(_Pending(who, session, Inbound(event, kind, xml)))
                continue
            marking = self._marking(who, event.group_name)
            # Relayed as sent: XML as received (with the declaration), protobuf clients get it encoded.
            outgoing = Outgoing(event.uid, True, event, xml=xml)
            if frame.encoding is Encoding.PROTOBUF:
                outgoing.protobuf = as_sent(frame)
            inbound = Inbound(event, kind, xml, marking, self.id)
            owner = self._owners.get(event.uid)
            if owner is None or self._unconfirmed.get(event.uid):
                # Not known to be this nation's track yet: stored first (the check is the store's).
                self._unconfirmed[event.uid] += 1
                self._pending.append(_Pending(who, session, inbound, outgoing))
                continue
            if owner != who.nation:
                self.refused += 1
                log.info("CoT report from %s refused: uid %r is another nation's item", who.username, event.uid)
                continue
            if event.stale > now:
                relay_now.append((outgoing, marking))
            self._pending.append(_Pending(who, session, inbound))
        self.relayed_at_once += len(relay_now)
        recipients = self._relay(session, relay_now)
        self._wake.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._store_loop())
        while len(self._pending) >= MAX_PENDING_REPORTS:
            self._space.clear()
            await self._space.wait()
        await self.pause.after_relay(recipients)

    def disconnected(self, session: CotSession) -> None:
        who = self.identities.pop(session, None)
        if who is None:
            return
        feed = self._feeds.get(who.reader)
        if feed is not None:
            feed.members.discard(session)
            if not feed.members:
                del self._feeds[who.reader]
                feed.stop()

    # --- inside ---------------------------------------------------------------------------------------

    async def _join_feed(self, session: CotSession, who: FieldIdentity) -> None:
        reader = who.reader
        # Where a new feed would start, read before looking for the reader's feed: nothing may be
        # awaited between the look-up and joining, or connections of one reader arriving together
        # would each start a feed and all but the last would be left out of `_feeds` (and so of
        # relayed positions), with every stray feed reading the event log again.
        start = await asyncio.to_thread(self.service.latest_event_id)
        feed = self._feeds.get(reader)
        if feed is None or feed.task is None or feed.task.done():
            feed = ReaderFeed(who, self.service, self.bus, start, self.record_reads, self.id, self.followers)
            self._feeds[reader] = feed
            feed.members.add(session)
            feed.start()
        else:
            feed.members.add(session)

    def _marking(self, who: FieldIdentity, group: str | None) -> Marking:
        """The marking `ingest` would give this sender's report (by nation and TAK group)."""
        key = (who.nation, group)
        marking = self._markings.get(key)
        if marking is None:
            assert self._partners is not None
            marking = self._markings[key] = self.service.markings.marking_for(who.nation, group, self._partners)
        return marking

    def _may_see(self, reader: Reader, marking: Marking) -> bool:
        """`can_see`, remembered per reader and marking (all the rule depends on)."""
        key = (reader, marking)
        decision = self._decisions.get(key)
        if decision is None:
            if len(self._decisions) >= MAX_DECISIONS:
                self._decisions.clear()
            decision = self._decisions[key] = can_see(reader, marking)
        return decision

    def _relay(self, origin: CotSession, items: list[tuple[Outgoing, Marking]]) -> list[CotSession]:
        """Hand positions to every connection of this gateway whose person may see them, but the
        one that sent them; each reader's share is encoded once for all its connections. Returns
        the connections that were handed some."""
        recipients: list[CotSession] = []
        if not items:
            return recipients
        for feed in list(self._feeds.values()):
            members = feed.members
            if not members or (len(members) == 1 and origin in members):
                continue
            reader = feed.reader
            previous: Marking | None = None
            visible_now = False
            visible: list[Outgoing] = []
            for outgoing, marking in items:
                if marking is not previous:
                    previous, visible_now = marking, self._may_see(reader, marking)
                if visible_now:
                    visible.append(outgoing)
            if not visible:
                continue
            batch = OutgoingBatch(visible)
            for member in list(members):
                if member is not origin:
                    member.send_batch(batch)
                    recipients.append(member)
            if self.record_reads is not None:
                _, reads = self._reads.setdefault(reader, (feed.actor, {}))
                last_uid: str | None = None
                last_marking: Marking | None = None
                for outgoing, marking in items:
                    if outgoing.uid == last_uid and marking is last_marking:
                        continue          # a uid's positions in a row: one read
                    last_uid, last_marking = outgoing.uid, marking
                    if (outgoing.uid, marking) not in reads and self._may_see(reader, marking):
                        reads[(outgoing.uid, marking)] = ReadItem("track", outgoing.uid[:160], marking, None)
        return recipients

    async def _store_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            reads, self._reads = self._reads, {}
            self._space.set()
            if not batch and not reads:
                if self._stopping:
                    return
                continue
            try:
                not_stored, partners = await asyncio.to_thread(self._store, batch, reads)
            except Exception:
                log.exception("CoT reports could not be stored")
                not_stored, partners = {id(p.report) for p in batch}, self._partners
            if partners != self._partners:
                self._partners = partners
                self._markings.clear()
            self._relay_stored(batch, not_stored)
            if self._stopping:
                self._wake.set()      # until nothing is left

    def _relay_stored(self, batch: list[_Pending], not_stored: set[int]) -> None:
        """Relay the positions that waited to be stored; their uids' owners are known from now on."""
        now = self.service.clock.now()
        by_origin: dict[CotSession, list[tuple[Outgoing, Marking]]] = defaultdict(list)
        for pending in batch:
            if pending.relay is None:
                continue
            report = pending.report
            uid = report.event.uid
            self._unconfirmed[uid] -= 1
            if self._unconfirmed[uid] <= 0:
                del self._unconfirmed[uid]
            if id(report) in not_stored:
                continue
            self._owners[uid] = pending.who.nation
            if report.event.stale > now and report.marking is not None:
                by_origin[pending.session].append((pending.relay, report.marking))
        # Positions of those uids that came in meanwhile need not wait for their own batch: relay
        # them now, in order, if they are from the owner's nation (others are the store's to refuse).
        for pending in self._pending:
            if pending.relay is None:
                continue
            report = pending.report
            uid = report.event.uid
            if self._owners.get(uid) != pending.who.nation:
                continue
            if report.event.stale > now and report.marking is not None:
                by_origin[pending.session].append((pending.relay, report.marking))
            pending.relay = None
            self._unconfirmed[uid] -= 1
            if self._unconfirmed[uid] <= 0:
                del self._unconfirmed[uid]
        for origin, items in by_origin.items():
            self.relayed_after_store += len(items)
            self._relay(origin, items)

    def _store(self, batch: list[_Pending], reads: dict[Reader, tuple[Actor, dict[tuple[str, Marking], ReadItem]]],
               ) -> tuple[set[int], list[str] | None]:
        """Store a batch (a unit of work per connection) and record the relayed reads; return the
        reports not stored (by id) and the partner nations as they are now."""
        not_stored: set[int] = set()
        by_connection: dict[tuple[FieldIdentity, str], list[Inbound]] = defaultdict(list)
        for pending in batch:
            by_connection[(pending.who, pending.session.key)].append(pending.report)
        for (who, origin), reports in by_connection.items():
            try:
                refused = self.service.ingest(who, origin, reports)
            except Exception:
                log.exception("CoT reports from %s could not be stored", who.username)
                not_stored.update(id(report) for report in reports)
                continue
            for report, reason in refused:
                not_stored.add(id(report))
                self.refused += 1
                log.info("CoT report from %s refused: %s", who.username, reason.message)
        if self.record_reads is not None:
            for actor, items in reads.values():
                try:
                    self.record_reads(actor, list(items.values()))
                except Exception:
                    log.exception("reads of relayed CoT positions by %s could not be audited", actor.username)
        return not_stored, self.service.partners()

    async def recheck(self) -> int:
        """Disconnect clients whose person was disabled, lost their appointment or changed nation or
        clearance since connecting (they may reconnect as what they are now); returns how many."""
        closed = 0
        for session, who in list(self.identities.items()):
            try:
                now = await asyncio.to_thread(self.service.identify, who.username, session.identity.nation,
                                              session.identity.credential_epoch)
            except Unauthenticated:
                now = None
            if now != who:
                log.warning("CoT client %r disconnected: its person's standing changed", session)
                session.close()
                closed += 1
        return closed

    async def stop(self) -> None:
        """Stop the feeds; store what is waiting first (relayed positions are not stored yet)."""
        tasks = [f.task for f in self._feeds.values() if f.task is not None]
        if self._writer is not None and not self._writer.done():
            self._stopping = True
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._writer), STOP_STORE_SECONDS)
            except TimeoutError:
                log.error("CoT reports still waiting to be stored at shutdown: %d", len(self._pending))
            tasks.append(self._writer)
        for feed in self._feeds.values():
            feed.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._feeds.clear()
