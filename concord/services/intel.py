"""Publishing intelligence: TAXII envelopes, REST reports, imports; revoking, deleting, changing release.

Each use case is one unit of work: objects, versions, markings, the status resource and the events
are written in one transaction or not at all. Invalid objects are refused one by one (with the
reason) and never stop the valid ones of the same envelope. The full-text and correlation indexes
are not in it: the indexer fills them from the `intel.published` events, which name the objects
(services/intel_index.py).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from concord.clock import Clock
from concord.domain import intel as rules
from concord.domain import intel_markings
from concord.domain.errors import Forbidden, Invalid, NotFound
from concord.domain.intel_prepare import Outcome, Prepared
from concord.domain.intel_query import date_added_key, render_timestamp
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.people import Actor
from concord.domain.stix import RawItem, Rejection, StixObject, parse_object, timestamp_key
from concord.services import validation_pool
from concord.services.intel_correlation import forget
from concord.storage import federation as federation_store
from concord.storage import intel as store
from concord.storage import intel_order
from concord.storage import intel_read as read_store
from concord.storage.db import Database, Tx
from concord.storage.events import append_event, narrow_history
from concord.storage.intel_index import ranges

log = logging.getLogger(__name__)

#: Item types of events that name intelligence objects in their payload (batches, correlations).
INTEL_HISTORY = ("intel_objects", "intel_correlation")


@dataclass
class IngestResult:
    """What happened to each object of one request (the TAXII status resource, §4.3.1)."""

    status_id: str
    request_timestamp: str
    successes: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    object_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.successes) + len(self.failures)


class IntelService:
    def __init__(self, db: Database, clock: Clock, partners: Callable[[], Mapping[str, str]],
                 parallel: bool = True) -> None:
        self.db = db
        self.clock = clock
        self.partners = partners
        # Validate big batches in a second process (services/validation_pool.py).
        self.parallel = parallel

    # --- publishing --------------------------------------------------------------------------
    def add(self, actor: Actor, collection_id: str, items: Sequence[RawItem]) -> IngestResult:
        """TAXII Add Objects (§5.4): validate, store, and keep the status resource (indexed after commit)."""
        collection = rules.find_collection(self.partners(), collection_id)
        rules.require_write(actor, collection)
        with self.db.write() as tx:
            result = self.ingest_in(tx, actor, items)
            store.save_status(
                tx.conn,
                status_id=result.status_id,
                person_id=actor.person_id,
                collection=collection.id,
                request_timestamp=result.request_timestamp,
                total=result.total,
                successes=result.successes,
                failures=result.failures,
            )
        return result

    def import_batch(self, actor: Actor, items: Sequence[RawItem]) -> IngestResult:
        """`concord intel import`: one batch of a bundle in one transaction. Objects already held are
        recognised and skipped, so an interrupted import resumes by running it again."""
        actor.require(*rules.PUBLISHERS, action="importing intelligence")
        with self.db.write() as tx:
            return self.ingest_in(tx, actor, items)

    def publish(self, actor: Actor, objects: Sequence[Mapping[str, Any]], marking: Marking | None) -> IngestResult:
        """REST publish: objects with a Concord marking, which is added to their own markings.

        All or nothing: a report whose objects do not all validate is refused with the first reason.
        """
        actor.require(*rules.PUBLISHERS, action="publishing intelligence")
        items: list[RawItem] = []
        extra: list[dict[str, Any]] = []
        refs: list[str] = []
        if marking is not None:
            if marking.originator != actor.nation:
                raise Invalid("the originator is the publisher's nation", field="marking.originator")
            refs, extra = intel_markings.to_stix(marking)
        for obj in objects:
            data = dict(obj)
            if refs and data.get("type") not in ("marking-definition",):
                data["object_marking_refs"] = sorted(set(data.get("object_marking_refs", [])) | set(refs))
            items.append(RawItem(json.dumps(data, ensure_ascii=False), data))
        with self.db.write() as tx:
            result = self.ingest_in(tx, actor, items, known=extra)
            if result.failures:
                first = result.failures[0]
                # Name the object by its place in the request and, when known, the property at fault
                # (objects[0].pattern), so a form can point at the field.
                index = next((i for i, o in enumerate(objects) if o.get("id") == first.get("id")), None)
                at = "objects" if index is None else f"objects[{index}]"
                where = f"{at}.{first['field']}" if index is not None and first.get("field") else at
                raise Invalid(f"object {first.get('id')}: {first['message']}", field=where)
        return result

    def ingest_in(
        self, tx: Tx, actor: Actor, items: Sequence[RawItem], known: Sequence[Mapping[str, Any]] = ()
    ) -> IngestResult:
        """Store the valid objects of `items` as `actor`'s nation in the open transaction.

        Big batches are validated a chunk at a time in a second process while the chunk before is
        written here (services/validation_pool.py); the outcome is the same as in one pass.
        """
        # Only the objects written are locked: unrelated writers run side by side (storage/intel_order.py
        # gives their versions a date_added after commit, in the order readers may page them).
        store.lock_objects(tx.conn, actor.nation, _ids_in(items))
        now = self.clock.now()
        added = intel_order.first_date_added(tx.conn, now)
        if added is None and self._order_committed not in tx.after_commit:
            tx.after_commit.append(self._order_committed)
        batch = _Batch(
            result=IngestResult(str(uuid.uuid4()), render_timestamp(date_added_key(now))),
            added=added,
            now=date_added_key(now),
            partners=frozenset(self.partners()),
            # Definitions sent in the batch govern objects in every chunk, before or after them.
            known=[*known, *_definitions_in(items)],
        )
        for chunk in validation_pool.chunks(items, use_worker=self.parallel):
            self._ingest_chunk(tx, actor, chunk, batch)
        for marking, published in batch.published.items():
            stix_ids = list(published)
            # The indexer reads the objects to index from here (storage/intel_index.py).
            append_event(
                tx,
                at=now,
                kind="intel.published",
                item_type="intel_objects",
                item_id=batch.result.status_id,
                marking=marking,
                actor_id=actor.person_id,
                actor_nation=actor.nation,
                payload={"count": len(stix_ids), "stix_ids": stix_ids[:20],
                         "objects": ranges(published.values())},
            )
        return batch.result

    def _ingest_chunk(self, tx: Tx, actor: Actor, outcomes: Sequence[Outcome], batch: _Batch) -> None:
        # The version of an object without versions (most SCOs) is when it was added (TAXII 2.1 §3.1).
        result, added = batch.result, batch.added or batch.now
        valid: list[Prepared] = []
        for outcome in outcomes:
            if isinstance(outcome, Rejection):
                result.failures.append(_failure(outcome.id, outcome.version, outcome.message, outcome.field))
            else:
                valid.append(outcome)
        definitions = self._definitions(tx, [p.obj for p in valid], batch.known)
        existing = store.objects_by_stix_id(tx.conn, actor.nation, [p.obj.id for p in valid])
        stix_of = {e.id: e.stix_id for e in existing.values()}
        seen = {(stix_of[oid], ver) for oid, ver in store.existing_versions(tx.conn, list(stix_of))}
        pending: dict[str, _Pending] = {}
        versions: list[tuple[str, str, str, str]] = []  # (stix id, type, version, raw)
        derived = batch.derived  # most objects of a feed share their markings
        for prepared in valid:
            obj = prepared.obj
            if obj.marking_refs not in derived:
                try:
                    derived[obj.marking_refs] = intel_markings.from_stix(obj.marking_refs, actor.nation,
                                                                         batch.partners, definitions)
                except Invalid as error:
                    derived[obj.marking_refs] = error
            marking = derived[obj.marking_refs]
            if obj.type == "marking-definition" and not obj.marking_refs:
                # A definition says how to handle data, not what is known: every partner may read it,
                # so anyone who receives a marked object can resolve what its marking means.
                marking = Marking.build(Level.UNCLASSIFIED, actor.nation, batch.partners, Tlp.CLEAR)
            if isinstance(marking, Invalid):
                result.failures.append(_failure(obj.id, obj.version, marking.message))
                continue
            version = obj.version_key or added
            state = pending.get(obj.id)
            current = existing.get(obj.id)
            if state is None and current is not None:
                state = _Pending(current.id, current.latest_version, current.revoked, changed=False)
            if state is not None and (obj.version_key is None or (obj.id, version) in seen):
                # Already held (an object without versions, like most SCOs, is immutable): idempotent.
                result.successes.append(_success(obj.id, version))
                continue
            if state is not None and state.revoked and version > state.latest:
                result.failures.append(_failure(obj.id, obj.version, "the object is revoked: no new versions"))
                continue
            if state is None:
                state = _Pending(None, version, obj.revoked, changed=True, prepared=prepared, marking=marking)
            elif version > state.latest:
                state.latest, state.revoked, state.prepared, state.marking = version, obj.revoked, prepared, marking
                state.changed = True
            pending[obj.id] = state
            seen.add((obj.id, version))
            versions.append((obj.id, obj.type, version, obj.raw))
            result.successes.append(_success(obj.id, version))
        self._write(tx, actor, pending, versions, batch)

    def _write(self, tx: Tx, actor: Actor, pending: dict[str, _Pending],
               versions: list[tuple[str, str, str, str]], batch: _Batch) -> None:
        result = batch.result
        added_of = [batch.next_added() for _ in versions]
        first_added: dict[str, str] = {}
        for (stix_id, _type, _version, _raw), when in zip(versions, added_of, strict=True):
            # Unordered versions (PostgreSQL) do not know theirs yet: the object says when it was written.
            first_added.setdefault(stix_id, when or batch.now)
        new_rows = []
        for stix_id, state in pending.items():
            prepared = state.prepared
            if state.object_id is None and prepared is not None:
                new_rows.append({
                    "stix_id": stix_id, "stix_type": prepared.obj.type, "revoked": prepared.obj.revoked,
                    "version": state.latest, "title": prepared.title, "search_text": prepared.search_text,
                    "person_id": actor.person_id, "date_added": first_added.get(stix_id, batch.now),
                    "marking": state.marking,
                    "source_ref": prepared.source_ref, "target_ref": prepared.target_ref,
                })
        new_ids = store.insert_objects(tx.conn, new_rows)
        latest: dict[int, str] = {}
        superseded: list[int] = []
        for stix_id, state in pending.items():
            prepared, marking = state.prepared, state.marking
            if state.object_id is None:
                state.object_id = new_ids[stix_id]
            elif state.changed and prepared is not None and marking is not None:
                superseded.append(state.object_id)
                store.update_object(tx.conn, state.object_id, latest_version=state.latest,
                                    latest_modified=state.latest, revoked=prepared.obj.revoked,
                                    title=prepared.title, search_text=prepared.search_text, marking=marking)
            latest[state.object_id] = state.latest
            if state.marking is not None:
                batch.published.setdefault(state.marking, {})[stix_id] = state.object_id
            result.object_ids.append(state.object_id)
        ids = {stix_id: state.object_id or 0 for stix_id, state in pending.items()}
        store.insert_versions(tx.conn, [
            store.NewVersion(ids[stix_id], stix_id, stix_type, actor.nation, version, when, raw)
            for (stix_id, stix_type, version, raw), when in zip(versions, added_of, strict=True)], latest, superseded)

    def _order_committed(self) -> None:
        """After commit (PostgreSQL): give the versions written their date_added before answering, so
        `complete` means listed. If ordering fails, the next round anyone runs orders them."""
        try:
            intel_order.order_committed(self.db.engine, self.clock.now())
        except Exception:
            log.exception("intel versions committed but not ordered; the next ordering round will")

    def _definitions(
        self, tx: Tx, objects: Sequence[StixObject], known: Sequence[Mapping[str, Any]]
    ) -> dict[str, Mapping[str, Any]]:
        definitions: dict[str, Mapping[str, Any]] = dict(intel_markings.builtin_definitions())
        definitions.update({d["id"]: d for d in known})
        definitions.update({o.id: o.data for o in objects if o.type == "marking-definition"})
        wanted = {ref for o in objects for ref in o.marking_refs if ref not in definitions}
        for stix_id, raw in store.marking_definitions(tx.conn, wanted).items():
            definitions[stix_id] = json.loads(raw)
        return definitions

    # --- changes by the originator ---------------------------------------------------------------
    def revoke(self, actor: Actor, object_id: int) -> None:
        """A new version with `revoked: true` (STIX 2.1 §3.6); only SDOs and SROs can be revoked."""
        with self.db.write() as tx:
            summary, versions = self._own(tx, actor, object_id, "revoke it")
            latest = json.loads(versions[-1].raw or "{}")
            if "modified" not in latest:
                raise Invalid(f"a {summary.stix_type} cannot be revoked (it has no versions)", field="type")
            if summary.revoked:
                return
            latest["modified"] = self._next_modified(latest["modified"])
            latest["revoked"] = True
            # Concord's own marking definitions are derived, not stored: without them the refs of the
            # new version would not resolve and the revocation would narrow the object to its originator.
            known = intel_markings.to_stix(summary.marking)[1]
            result = self.ingest_in(tx, actor, [RawItem(json.dumps(latest, ensure_ascii=False), latest)], known=known)
            if result.failures:
                raise Invalid(result.failures[0]["message"], field="object")

    def set_release(self, actor: Actor, object_id: int, marking: Marking) -> None:
        """Widen or narrow who may see an object (all its versions), effective at once.

        Concord's marking of the object is the authority for every version. So that the STIX text
        says the same to every tool that reads it (a partner's MISP or OpenCTI passes markings on),
        an object that has versions also gets a new one whose `object_marking_refs` state the new
        marking (a marking change is a material change, STIX 2.1 §3.6). Objects without versions
        (most SCOs) and revoked objects cannot take a new version and keep their text.
        """
        with self.db.write() as tx:
            summary, versions = self._own(tx, actor, object_id, "change its release")
            if marking.originator != summary.marking.originator:
                raise Invalid("the originator cannot change", field="marking.originator")
            latest = json.loads(versions[-1].raw or "{}") if versions else {}
            if "modified" in latest and not summary.revoked:
                self._restate_marking(tx, actor, latest, marking)
            store.update_object(tx.conn, object_id, marking=marking)
            append_event(
                tx,
                at=self.clock.now(),
                kind="intel.release_changed",
                item_type="intel_object",
                item_id=object_id,
                marking=marking,
                actor_id=actor.person_id,
                actor_nation=actor.nation,
                payload={"stix_id": summary.stix_id, "marking": marking.to_dict()},
            )
            narrow_history(tx.conn, marking, item_type="intel_object", item_id=object_id,
                           mentioned_as=summary.stix_id, mentioned_in=INTEL_HISTORY)

    def _next_modified(self, modified: str) -> str:
        """`modified` for the originator's next version: now, or a millisecond after the latest
        version when that is not before now (a clock that stood still, a version "from the future")."""
        latest = datetime.strptime(timestamp_key(modified)[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
        return render_timestamp(date_added_key(max(self.clock.now(), latest + timedelta(milliseconds=1))))

    def _restate_marking(self, tx: Tx, actor: Actor, latest: dict[str, Any], marking: Marking) -> None:
        """Store a new version of `latest` whose marking refs state `marking`: its TLP and Concord
        releasability refs are replaced, any other marking (a statement, say) is kept."""
        current = parse_object(RawItem(json.dumps(latest, ensure_ascii=False), latest))
        refs, extra = intel_markings.to_stix(marking)
        definitions = self._definitions(tx, [current], extra)
        kept = [ref for ref in current.data.get("object_marking_refs", [])
                if (d := definitions.get(ref)) is not None
                and intel_markings.tlp_of(d) is None and intel_markings.releasability_of(d) is None]
        latest["object_marking_refs"] = sorted(set(kept) | set(refs))
        latest["modified"] = self._next_modified(latest["modified"])
        result = self.ingest_in(tx, actor, [RawItem(json.dumps(latest, ensure_ascii=False), latest)], known=extra)
        if result.failures:
            raise Invalid(result.failures[0]["message"], field="marking")

    def delete(self, actor: Actor, collection_id: str, stix_id: str, versions: Sequence[str] | None) -> None:
        """TAXII Delete An Object (§5.7): the originator's copy, all versions or those matched."""
        collection = rules.find_collection(self.partners(), collection_id)
        with self.db.write() as tx:
            targets = read_store.visible_object_ids(tx.conn, actor.reader, stix_id, collection.originator)
            own = [t for t in targets if self._summary(tx, actor, t).marking.originator == actor.nation]
            if not own:
                if targets:
                    rules.require_originator(actor, self._summary(tx, actor, targets[0]).marking, "delete it")
                raise NotFound(f"no object {stix_id} in this collection", field="id")
            for object_id in own:
                summary, rows = self._own(tx, actor, object_id, "delete it")
                self._delete(tx, actor, summary, rows, versions)

    def _delete(self, tx: Tx, actor: Actor, summary: read_store.ObjectSummary, rows: list[read_store.VersionRow],
                versions: Sequence[str] | None) -> None:
        object_id, stix_id = summary.id, summary.stix_id
        forget(tx, object_id, [r.raw or "{}" for r in rows])
        store.delete_versions(tx.conn, object_id, versions)
        append_event(
            tx,
            at=self.clock.now(),
            kind="intel.deleted",
            item_type="intel_object",
            item_id=object_id,
            marking=summary.marking,
            actor_id=actor.person_id,
            actor_nation=actor.nation,
            payload={"stix_id": stix_id, "versions": list(versions or [])},
        )
        if not versions:  # gone for everyone but its originator, history included
            gone = Marking.build(summary.marking.level, summary.marking.originator, (), Tlp.RED)
            narrow_history(tx.conn, gone, item_type="intel_object", item_id=object_id,
                           mentioned_as=stix_id, mentioned_in=INTEL_HISTORY)

    # --- objects received from a peer node (services/federation.py) -----------------------------
    def stix_ids_of(self, tx: Tx, actor: Actor, object_ids: Sequence[int]) -> list[tuple[int, str]]:
        """(object id, STIX id) of those of `object_ids` the actor may see."""
        out = []
        for object_id in object_ids:
            summary = read_store.get_object(tx.conn, actor.reader, object_id)
            if summary is not None:
                out.append((object_id, summary.stix_id))
        return out

    def discard_in(self, tx: Tx, peer_node: Actor, object_id: int) -> None:
        """Remove, in the open transaction, an object its originator's node no longer releases to this
        node: every version, its correlations, and its history for everyone (as a delete there would)."""
        summary = self._summary(tx, peer_node, object_id)
        self._delete(tx, peer_node, summary, read_store.versions_of(tx.conn, peer_node.reader, object_id), None)

    def _summary(self, tx: Tx, actor: Actor, object_id: int) -> read_store.ObjectSummary:
        summary = read_store.get_object(tx.conn, actor.reader, object_id)
        if summary is None:
            raise NotFound(f"no intelligence object {object_id}", field="id")
        return summary

    def _own(
        self, tx: Tx, actor: Actor, object_id: int, action: str
    ) -> tuple[read_store.ObjectSummary, list[read_store.VersionRow]]:
        summary = self._summary(tx, actor, object_id)
        rules.require_originator(actor, summary.marking, action)
        if federation_store.origin_node(tx.conn, "intel_object", object_id) is not None:
            # Received from a peer node: only its originator's node changes it (docs/federation.md).
            raise Forbidden(f"this object came from {summary.marking.originator}'s node: {action} there",
                            field="id")
        return summary, read_store.versions_of(tx.conn, actor.reader, object_id)


@dataclass
class _Pending:
    object_id: int | None
    latest: str
    revoked: bool
    changed: bool
    prepared: Prepared | None = None
    marking: Marking | None = None


@dataclass
class _Batch:
    """What one ingest carries from chunk to chunk."""

    result: IngestResult
    #: The batch's first date_added (timestamp key); each version gets its own, after it. None when
    #: versions are ordered after commit (storage/intel_order.py): they are written UNORDERED.
    added: str | None
    now: str  # when the batch was written (timestamp key)
    partners: frozenset[str]
    known: list[Mapping[str, Any]]
    derived: dict[tuple[str, ...], Marking | Invalid] = field(default_factory=dict)
    # For the intel.published events: by marking, STIX id → object id, in order, each once.
    published: dict[Marking, dict[str, int]] = field(default_factory=dict)
    versions_added: int = 0
    _start: datetime | None = None

    def next_added(self) -> str:
        """A date_added for the next version stored: one microsecond after the one before.

        Strictly increasing per version, so a TAXII poller that resumes with `added_after` set to the
        last date_added it saw (X-TAXII-Date-Added-Last) never skips the rest of an envelope whose
        page ended inside it: no two versions share a date_added (TAXII 2.1 §3.4.2).
        """
        if self.added is None:
            return intel_order.UNORDERED
        if self._start is None:  # parsed once a batch, not once a version
            self._start = datetime.strptime(self.added[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
        key = date_added_key(self._start + timedelta(microseconds=self.versions_added))
        self.versions_added += 1
        return key


def _ids_in(items: Sequence[RawItem]) -> list[str]:
    """The STIX ids `items` name (valid or not: locking one more object costs nothing)."""
    return [stix_id for item in items
            if isinstance(item.value, Mapping) and isinstance(stix_id := item.value.get("id"), str)]


def _definitions_in(items: Sequence[RawItem]) -> list[Mapping[str, Any]]:
    """The valid marking definitions among `items` (objects of any chunk may refer to them)."""
    found = []
    for item in items:
        if isinstance(item.value, Mapping) and item.value.get("type") == "marking-definition":
            try:
                found.append(parse_object(item).data)
            except Invalid:
                continue
    return found


def _success(stix_id: str, version: str) -> dict[str, str]:
    return {"id": stix_id, "version": render_timestamp(version)}


def _failure(stix_id: str | None, version: str | None, message: str, field: str | None = None) -> dict[str, str]:
    out = {"id": stix_id or "", "message": message}
    if version:
        out["version"] = version
    if field:
        out["field"] = field
    return out
