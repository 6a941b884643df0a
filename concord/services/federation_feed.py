"""Federation, second part: the node-to-node feed of the event log (docs/federation.md).

**Sending.** A peer node asks for the events after a position (`serve`). The window is read from this
node's event log through the one policy as a SQL filter for the peer's nation (`visible_to` with
`domain.federation.reader_of`), plus the events of items already sent to that peer. Each item the
window touches becomes one entry with its *current* state, read through the same filter: an item the
peer may see is sent whole; an item it was sent before and may no longer see (narrowed, withdrawn) is
sent as a removal; anything else is not named at all. Only what this node's nation originated is
sent (a node never relays another's items), except the one thing a nation originates about another's
item: its decisions on an operation, carried signed with the node key.

**Receiving.** The `federation-pull` round asks each peer for its events after the position applied
here (`pull`), applies a page and saves the new position in one transaction, so a node killed at any
moment resumes exactly after the last page it committed; entries are whole states, so a page applied
twice changes nothing. Each entry is checked again here (`domain.federation.refusal`,
`domain.federation_feed.approval_refusal`): what the peer could not have released to this nation,
or did not originate, is refused and recorded on the link. A copy keeps its originator nation and
node (`peer_items`), and only that node changes it: the services refuse local changes to it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from concord.clock import Clock
from concord.domain import federation as rules
from concord.domain import federation_feed as feed
from concord.domain.errors import Invalid, StateConflict, Unauthenticated
from concord.domain.federation import Peer
from concord.domain.incidents import Incident, TimelineEntry
from concord.domain.markings import Level, Marking, Reader, Tlp
from concord.domain.operation_codec import plan_from_dict, plan_to_dict
from concord.domain.operation_lifecycle import Approval, status_after_decisions
from concord.domain.operations import Operation, OperationStatus
from concord.domain.people import Actor
from concord.services.federation import FederationService, PeerUnavailable
from concord.storage import federation as peer_store
from concord.storage import federation_feed as store
from concord.storage import incidents as incident_store
from concord.storage import operations as operation_store
from concord.storage.db import Database, Tx
from concord.storage.events import append_event, latest_event_id, narrow_history

log = logging.getLogger("concord.federation")

FEED_PATH = "/federation/v1/feed"
JSON = "application/json"


class FederationFeedService:
    def __init__(self, db: Database, clock: Clock, federation: FederationService, *, nation: str | None,
                 page_size: int = 500) -> None:
        self.db = db
        self.clock = clock
        self.federation = federation
        self.nation = nation
        self.page_size = page_size

    # --- the sending side -------------------------------------------------------------------------
    def serve(self, actor: Actor, after: int, limit: int) -> dict[str, Any]:
        """The entries for the items touched by this node's events after `after`, as `actor` (a peer
        node) may receive them, and the position to ask after next. One unit of work: what is sent
        is recorded with the reading, so a later narrowing is owed to exactly the peers that got it."""
        if not rules.is_peer(actor):
            raise Unauthenticated("the feed is read by peer nodes only")
        with self.db.write() as tx:
            peer = peer_store.get_peer(tx.conn, -actor.person_id)
            if peer is None:
                raise Unauthenticated("no peer node holds this key")
            reader = rules.reader_of(peer)
            head = latest_event_id(tx.conn)
            if after > head:  # a log that went back (restored from a backup): never answer "nothing new"
                raise StateConflict(f"position {after} is beyond this node's log ({head}): was it restored?",
                                    field="after")
            touched = store.window(tx.conn, reader, peer.node_id, after, head, limit, feed.ITEM_TYPES)
            last: dict[tuple[str, str], int] = {}
            for t in touched:  # one entry per item, at its last event in the window (entries are states)
                last.pop((t.item_type, t.item_id), None)
                last[(t.item_type, t.item_id)] = t.position
            # Incidents are the many small items: read a page's in two queries, not two per incident.
            incident_ids = [int(i) for t, i in last if t == "incident"]
            incidents = incident_store.visible_incidents(tx.conn, reader, incident_ids) if incident_ids else {}
            timelines = incident_store.timelines_of(tx.conn, list(incidents)) if incidents else {}
            entries: list[dict[str, Any]] = []
            for (item_type, item_id), position in last.items():
                if item_type == "incident":
                    entries += self._incident_entries(tx, peer, int(item_id), position, incidents, timelines)
                else:
                    entries += self._entries(tx, peer, reader, item_type, int(item_id), position)
            more = len(touched) >= limit
        return {"feed": feed.FEED_VERSION, "node": self.federation.identity.node_id, "nation": self.nation,
                "after": after, "next": touched[-1].position if more else head, "more": more,
                "entries": entries}

    def _entries(self, tx: Tx, peer: Peer, reader: Reader, item_type: str, item_id: int,
                 position: int) -> list[dict[str, Any]]:
        conn = tx.conn
        origin = store.origin_of(conn, item_type, item_id)
        out: list[dict[str, Any]] = []
        if item_type == "operation":
            row = operation_store.get_visible(conn, reader, item_id)
            if origin is None:
                if row is not None and row.operation.plan.marking.originator == self.nation:
                    out.append(self._operation_entry(tx, row.operation, row.created_at, position))
                    store.mark_sent(conn, peer.node_id, item_type, item_id)
                elif store.take_back(conn, peer.node_id, item_type, item_id):
                    out.append({"kind": "operation", "op": "remove", "id": str(item_id), "position": position})
            if row is not None:
                decisions = self._decisions(tx, row.operation, origin)
                if decisions is not None:
                    out.append({**decisions, "position": position})
        return out

    def _incident_entries(self, tx: Tx, peer: Peer, item_id: int, position: int, visible: Mapping[int, Incident],
                          timelines: Mapping[int, list[TimelineEntry]]) -> list[dict[str, Any]]:
        """`visible`: the page's incidents the peer may see (read through `visible_to`)."""
        if store.origin_of(tx.conn, "incident", item_id) is not None:
            return []  # a copy: its originator's node sends it
        incident = visible.get(item_id)
        if incident is not None and incident.reporter == self.nation:
            store.mark_sent(tx.conn, peer.node_id, "incident", item_id)
            return [{"kind": "incident", "op": "put", "id": str(item_id), "position": position,
                     **feed.incident_entry(incident, timelines.get(item_id, []))}]
        if store.take_back(tx.conn, peer.node_id, "incident", item_id):
            return [{"kind": "incident", "op": "remove", "id": str(item_id), "position": position}]
        return []

    def _operation_entry(self, tx: Tx, op: Operation, created_at: datetime, position: int) -> dict[str, Any]:
        versions = operation_store.versions_of(tx.conn, op.id)
        return {"kind": "operation", "op": "put", "id": str(op.id), "position": position,
                "status": op.status.value, "version": op.version, "plan": plan_to_dict(op.plan),
                "marking": op.plan.marking.to_dict(), "created_at": feed.stamp(created_at),
                "updated_at": feed.stamp(op.updated_at),
                "versions": [{"version": v["version"], "plan": v["plan"], "created_at": feed.stamp(v["created_at"])}
                             for v in versions]}

    def _decisions(self, tx: Tx, op: Operation, origin: tuple[str, str] | None) -> dict[str, Any] | None:
        """This nation's decisions on `op`, each signed with the node key (None when it made none)."""
        own = [a for a in operation_store.approvals_of(tx.conn, op.id) if a.nation == self.nation]
        if not own:
            return None
        node, origin_id = origin if origin is not None else (self.federation.identity.node_id, str(op.id))
        plans = {v["version"]: v["plan"] for v in operation_store.versions_of(tx.conn, op.id)}
        key = self.federation.identity.key()
        signed = []
        for approval in own:
            if approval.version not in plans:
                continue
            statement = feed.approval_statement(origin_node=node, origin_id=origin_id, approval=approval,
                                                digest=feed.plan_digest(plans[approval.version]),
                                                signer=self.federation.identity.node_id)
            signed.append({"statement": statement,
                           "signature": feed.encode_signature(key.sign(feed.canonical(statement)))})
        return {"kind": "decisions", "operation": {"node": node, "id": origin_id}, "nation": self.nation,
                "decisions": signed}

    # --- the receiving side -----------------------------------------------------------------------
    def pull(self, peer: Peer) -> int:
        """Apply what `peer`'s log holds after the position applied here, page by page. Returns how many
        entries were applied."""
        if self.nation is None:
            raise Invalid("this node has no nation: set CONCORD_NODE_NATION", field="nation")
        applied = 0
        while True:
            with self.db.read() as conn:
                held, position = store.feed_position(conn, peer.id)
            if not held:
                return applied  # removed meanwhile: cut at once
            try:
                response = self.federation.get_signed(peer, FEED_PATH, {"after": str(position),
                                                                         "limit": str(self.page_size)}, accept=JSON)
            except PeerUnavailable as exc:
                if exc.status == 404:  # a TAXII-only peer (another platform in a node's place): no feed
                    return applied
                raise
            page = response.json()
            if not isinstance(page, dict) or page.get("feed") != feed.FEED_VERSION or page.get("node") != peer.node_id:
                raise PeerUnavailable(f"{peer.name} does not serve a feed this node reads")
            following = page.get("next")
            if not isinstance(following, int) or following < position:
                raise PeerUnavailable(f"{peer.name}'s feed went back from {position} to {following!r}")
            entries = page.get("entries")
            applied += self._apply(peer, position, following, entries if isinstance(entries, list) else [])
            if not page.get("more") or following == position:
                return applied

    def _apply(self, peer: Peer, position: int, following: int, entries: list[Any]) -> int:
        """One page, in one transaction with the new position: after a crash it is all there or not at all."""
        actor = rules.actor_of(peer)
        refusals: list[str] = []
        applied = 0
        with self.db.write() as tx:
            held, at = store.lock_feed(tx.conn, peer.id)
            if not held or at != position:
                return 0  # removed, or another process applied this page meanwhile: read again from `at`
            for entry in entries:
                try:
                    reason = self._apply_entry(tx, peer, actor, entry)
                except Invalid as exc:
                    reason = f"{exc.field or 'entry'}: {exc.message}"
                if reason is None:
                    applied += 1
                else:
                    what = f"{entry.get('kind')} {entry.get('id') or entry.get('operation')}" \
                        if isinstance(entry, dict) else "entry"
                    refusals.append(f"{what}: {reason}")
            store.save_feed_position(tx.conn, peer.id, following)
            peer_store.save_pull(tx.conn, peer.id, until=None, at=self.clock.now(), received=applied,
                                 refused=len(refusals), last_refusal=refusals[-1] if refusals else None)
        for reason in refusals:
            log.warning("refused from peer %s: %s", peer.name, reason)
        return applied

    def _apply_entry(self, tx: Tx, peer: Peer, actor: Actor, entry: Any) -> str | None:
        """Apply one entry; the reason it is refused, or None."""
        if not isinstance(entry, dict):
            return "not an entry"
        kind, op = entry.get("kind"), entry.get("op")
        if kind == "operation" and op == "put":
            return self._put_operation(tx, peer, actor, entry)
        if kind == "incident" and op == "put":
            return self._put_incident(tx, peer, actor, entry)
        if kind in ("operation", "incident") and op == "remove":
            self._remove(tx, peer, actor, str(kind), str(entry.get("id")))
            return None
        if kind == "decisions":
            return self._take_decisions(tx, peer, actor, entry)
        return f"an entry of kind {kind!r} this node does not read"

    def _put_operation(self, tx: Tx, peer: Peer, actor: Actor, entry: Mapping[str, Any]) -> str | None:
        marking = feed.marking_of(entry.get("marking"))
        reason = rules.refusal(peer, self.nation or "", marking)
        if reason is not None:
            return reason
        try:
            plan = plan_from_dict(dict(entry["plan"]), marking)
            status = OperationStatus(entry["status"])
            version = int(entry["version"])
            versions = [(int(v["version"]), dict(v["plan"]), feed.moment(v["created_at"], "versions.created_at"))
                        for v in entry.get("versions", ())]
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise Invalid(f"the operation entry does not read: {exc}", field="plan") from None
        if plan.lead_nation != peer.nation:
            return f"led by {plan.lead_nation}, not by the peer's nation {peer.nation}"
        updated_at = feed.moment(entry.get("updated_at"), "updated_at")
        conn, now = tx.conn, self.clock.now()
        local = store.local_copy(conn, peer.node_id, "operation", str(entry.get("id")))
        before: Marking | None = None
        if local is None:
            local = operation_store.add_operation(conn, plan, created_by=actor.person_id,
                                                  at=feed.moment(entry.get("created_at"), "created_at"))
            store.record_copy(conn, peer, "operation", local, str(entry.get("id")), now)
        else:
            held = operation_store.get_any(conn, local)
            if held is not None:
                before = held.operation.plan.marking
                if (held.operation.status, held.operation.version, plan_to_dict(held.operation.plan), before,
                        held.operation.updated_at) == (status, version, plan_to_dict(plan), marking, updated_at):
                    return None  # this state is here already (a page applied again)
        operation_store.save_plan(conn, local, plan, status=status, version=version, at=updated_at)
        known = {v["version"] for v in operation_store.versions_of(conn, local)}
        for number, raw, created in versions:
            if number not in known:
                operation_store.add_version(conn, local, number, plan_from_dict(raw, marking), actor.person_id, created)
        if before is not None and before != marking:
            narrow_history(conn, marking, item_type="operation", item_id=local)
        append_event(tx, at=now, kind="operation.received", item_type="operation", item_id=local, marking=marking,
                     actor_id=actor.person_id, actor_nation=peer.nation,
                     payload={"name": plan.name, "status": status.value, "version": version, "from": peer.name})
        return None

    def _put_incident(self, tx: Tx, peer: Peer, actor: Actor, entry: Mapping[str, Any]) -> str | None:
        conn, now = tx.conn, self.clock.now()
        local = store.local_copy(conn, peer.node_id, "incident", str(entry.get("id")))
        incident, timeline = feed.incident_of(entry, local)
        reason = rules.refusal(peer, self.nation or "", incident.report.marking)
        if reason is not None:
            return reason
        if incident.reporter != peer.nation:
            return f"reported by {incident.reporter}, not by the peer's nation {peer.nation}"
        before: Marking | None = None
        if local is None:
            local = incident_store.add_incident(conn, incident)
            store.record_copy(conn, peer, "incident", local, str(entry.get("id")), now)
        else:
            held = incident_store.get_any(conn, local)
            if held is not None:
                before = held.report.marking
                if held == incident and incident_store.timeline_of(conn, local) == timeline:
                    return None
            incident_store.overwrite_incident(conn, incident)
        incident_store.replace_timeline(conn, local, timeline)
        if before is not None and before != incident.report.marking:
            narrow_history(conn, incident.report.marking, item_type="incident", item_id=local)
        append_event(tx, at=now, kind="incident.received", item_type="incident", item_id=local,
                     marking=incident.report.marking, actor_id=actor.person_id, actor_nation=peer.nation,
                     payload={"title": incident.report.title, "status": incident.status.value,
                              "version": incident.version, "from": peer.name})
        return None

    def _remove(self, tx: Tx, peer: Peer, actor: Actor, item_type: str, origin_id: str) -> None:
        """The originator's node no longer releases the item here: remove it, and its history for
        everyone but its originator nation (as a delete there would). Nothing to do if never held."""
        conn = tx.conn
        local = store.local_copy(conn, peer.node_id, item_type, origin_id)
        if local is None:
            return
        marking: Marking | None = None
        if item_type == "operation":
            held = operation_store.get_any(conn, local)
            marking = held.operation.plan.marking if held else None
            operation_store.delete_operation(conn, local)
            store.forget_signed(conn, local)
        else:
            incident = incident_store.get_any(conn, local)
            marking = incident.report.marking if incident else None
            incident_store.delete_incident(conn, local)
        store.forget_copy(conn, item_type, local)
        gone = Marking.build(marking.level if marking else Level.UNCLASSIFIED, peer.nation, (), Tlp.RED)
        narrow_history(conn, gone, item_type=item_type, item_id=local)
        append_event(tx, at=self.clock.now(), kind=f"{item_type}.removed_by_origin", item_type=item_type,
                     item_id=local, marking=gone, actor_id=actor.person_id, actor_nation=peer.nation,
                     payload={"from": peer.name})

    def _take_decisions(self, tx: Tx, peer: Peer, actor: Actor, entry: Mapping[str, Any]) -> str | None:
        """A nation's decisions on an operation, each verified against the peer's node key and checked
        (`approval_refusal`); the accepted ones become that nation's decisions here."""
        conn = tx.conn
        ref = entry.get("operation")
        if not isinstance(ref, dict):
            return "names no operation"
        node, origin_id = str(ref.get("node")), str(ref.get("id"))
        local: int | None
        if node == self.federation.identity.node_id:  # an operation of this node
            local = int(origin_id) if origin_id.isdigit() and store.origin_of(conn, "operation", origin_id) is None \
                else None
        else:
            local = store.local_copy(conn, node, "operation", origin_id)
        held = operation_store.get_any(conn, local) if local is not None else None
        op = held.operation if held is not None else None
        plans = {v["version"]: v["plan"] for v in operation_store.versions_of(conn, op.id)} if op else {}
        key = Ed25519PublicKey.from_public_bytes(peer.key)
        accepted: list[tuple[Approval, str, str]] = []
        refusals: list[str] = []
        for item in entry.get("decisions") or ():
            statement = item.get("statement") if isinstance(item, dict) else None
            if not isinstance(statement, dict):
                refusals.append("not a signed statement")
                continue
            try:
                signature = feed.decode_signature(item.get("signature"))
                key.verify(signature, feed.canonical(statement))
            except (Invalid, InvalidSignature):
                refusals.append("its signature does not verify with the peer's node key")
                continue
            if statement.get("operation") != {"node": node, "id": origin_id}:
                refusals.append("signed for another operation")
                continue
            version = statement.get("version")
            digest = feed.plan_digest(plans[version]) if isinstance(version, int) and version in plans else None
            reason = feed.approval_refusal(peer, statement, op.plan.marking if op else None,
                                           op.plan.participants if op else (), digest)
            if reason is not None:
                refusals.append(reason)
                continue
            accepted.append((feed.approval_of(statement, actor.person_id), feed.canonical(statement).decode("utf-8"),
                             feed.encode_signature(signature)))
        if refusals:
            return "; ".join(refusals)
        if op is None or not operation_store.replace_approvals(conn, op.id, peer.nation, [a for a, _, _ in accepted]):
            return None
        now = self.clock.now()
        for _approval, statement_text, signature_text in accepted:
            store.add_signed_approval(conn, op.id, peer.nation, peer.node_id, statement_text, signature_text, now)
        latest = accepted[-1][0] if accepted else None
        payload = {"name": op.plan.name, "status": op.status.value, "version": op.version, "nation": peer.nation,
                   "from": peer.name}
        append_event(tx, at=now, kind=f"operation.{latest.decision.value}_by_nation" if latest else
                     "operation.decisions_received", item_type="operation", item_id=op.id,
                     marking=op.plan.marking, actor_id=actor.person_id, actor_nation=peer.nation,
                     payload={**payload, "reason": latest.reason if latest else None})
        if node == self.federation.identity.node_id:
            # This node's own operation: the status follows its decisions, here where it is changed.
            status = status_after_decisions(op, operation_store.approvals_of(conn, op.id))
            if status != op.status:
                operation_store.set_status(conn, op.id, status, now)
                append_event(tx, at=now, kind=f"operation.{status.value}", item_type="operation", item_id=op.id,
                             marking=op.plan.marking, actor_id=actor.person_id, actor_nation=peer.nation,
                             payload={**payload, "status": status.value})
        return None
