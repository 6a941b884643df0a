"""Reading intelligence: TAXII pages, status resources, object detail, lists, search, export.

Every read goes through storage queries that apply the releasability policy in SQL; an object the
reader may not see is reported as not found.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from concord.domain import intel as rules
from concord.domain import intel_markings
from concord.domain.errors import Forbidden, NotFound
from concord.domain.intel_query import ObjectQuery
from concord.domain.markings import Marking, Reader
from concord.domain.people import Actor
from concord.storage import intel as store
from concord.storage import intel_correlation as correlation_store
from concord.storage import intel_read as read_store
from concord.storage import people as people_store
from concord.storage.db import Database


@dataclass(frozen=True, slots=True)
class ObjectDetail:
    summary: read_store.ObjectSummary
    versions: list[read_store.VersionRow]
    relationships: list[read_store.ObjectSummary]
    correlations: list[dict[str, Any]]
    #: Who published it: (person id, name as in the centre's directory), None for TAXII imports without one.
    author: tuple[int, str] | None = None
    #: Locations it refers to or is linked with that the reader may see: (object, latitude, longitude).
    locations: list[tuple[read_store.ObjectSummary, float, float]] = field(default_factory=list)


#: A report may refer to many objects; the detail page shows at most this many places.
MAX_LOCATIONS = 50


def _referred(stix: Mapping[str, Any]) -> set[str]:
    """STIX ids an object points at where a place may be (report/note/opinion/observed-data refs, a
    sighting's where-sighted, a relationship's ends)."""
    refs: set[str] = set()
    for name in ("object_refs", "where_sighted_refs"):
        value = stix.get(name)
        if isinstance(value, list):
            refs.update(v for v in value[:1000] if isinstance(v, str))
    for name in ("source_ref", "target_ref", "sighting_of_ref", "location_ref"):
        value = stix.get(name)
        if isinstance(value, str):
            refs.add(value)
    return refs


@dataclass(frozen=True, slots=True)
class ListFilter:
    types: Sequence[str] = ()
    originator: str | None = None
    modified_after: str | None = None
    modified_before: str | None = None
    tlp: str | None = None
    max_level: int | None = None
    text: str | None = None
    include_revoked: bool = False
    before_id: int | None = None
    limit: int = 100


class IntelReader:
    def __init__(self, db: Database, partners: Callable[[], Mapping[str, str]]) -> None:
        self.db = db
        self.partners = partners
        self._paging_key: bytes | None = None

    def paging_key(self) -> bytes:
        """The key signing paging tokens, the same in every server process (made on first use)."""
        if self._paging_key is None:
            with self.db.write() as tx:
                self._paging_key = store.paging_key(tx.conn)
        return self._paging_key

    # --- TAXII -------------------------------------------------------------------------------
    def collections(self, actor: Actor) -> list[tuple[rules.Collection, bool, bool]]:
        """(collection, can_read, can_write) for each collection (TAXII 2.1 §5.1)."""
        return [(c, rules.may_read(actor, c), rules.may_write(actor, c)) for c in rules.collections(self.partners())]

    def collection(self, actor: Actor, collection_id: str) -> tuple[rules.Collection, bool, bool]:
        found = rules.find_collection(self.partners(), collection_id)
        return found, rules.may_read(actor, found), rules.may_write(actor, found)

    def page(
        self, actor: Actor, collection_id: str, query: ObjectQuery, *, stix_id: str | None = None, with_raw: bool = True
    ) -> read_store.Page:
        found = rules.find_collection(self.partners(), collection_id)
        if not rules.may_read(actor, found):
            raise Forbidden("reading intelligence needs a current appointment at the centre", field="collection")
        with self.db.read() as conn:
            return read_store.taxii_page(
                conn, actor.reader, query, originator=found.originator, stix_id=stix_id, with_raw=with_raw
            )

    def markings_at_or_above(self, actor: Actor, object_ids: Sequence[int], level: int) -> dict[int, Marking]:
        """The markings of the objects (among those the reader may see) at or above `level`: what a TAXII
        page's rows, which carry no marking, need for the audit of the read."""
        with self.db.read() as conn:
            return read_store.markings_at_or_above(conn, actor.reader, object_ids, level)

    def status(self, actor: Actor, status_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            found = store.get_status(conn, status_id, actor.person_id)
        if found is None:
            raise NotFound(f"no status {status_id!r}", field="status_id")
        return found

    # --- REST --------------------------------------------------------------------------------
    def detail(self, actor: Actor, object_id: int) -> ObjectDetail:
        reader = actor.reader
        with self.db.read() as conn:
            summary = read_store.get_object(conn, reader, object_id)
            if summary is None:
                raise NotFound(f"no intelligence object {object_id}", field="id")
            versions = read_store.versions_of(conn, reader, object_id)
            linked = read_store.linked_ids(conn, reader, summary.stix_id)
            relationships = [s for s in (read_store.get_object(conn, reader, i) for i in linked) if s]
            correlations = []
            for row in correlation_store.correlations_of(conn, reader, object_id):
                other_id = row.object_b if row.object_a == object_id else row.object_a
                other = read_store.get_object(conn, reader, other_id)
                if other is None:
                    continue
                correlations.append({"id": row.id, "kind": row.kind, "value": row.value, "at": row.at, "other": other})
            author_id = read_store.author_of(conn, object_id)
            person = people_store.get_person(conn, author_id) if author_id is not None else None
            ends = read_store.relationship_ends(conn, [r.id for r in relationships])
            refs = _referred(json.loads(versions[-1].raw or "{}") if versions else {})
            refs.update(ref for row in ends for ref in row if ref)
            locations = [place for ref in sorted(refs) if ref.startswith("location--") and ref != summary.stix_id
                         for place in self._location(conn, reader, ref)][:MAX_LOCATIONS]
        author = (person.id, person.display_name) if person is not None else None
        return ObjectDetail(summary, versions, relationships, correlations, author, locations)

    @staticmethod
    def _location(conn: Connection, reader: Reader, stix_id: str
                  ) -> list[tuple[read_store.ObjectSummary, float, float]]:
        for found in read_store.find_objects(conn, reader, stix_id):
            if found.revoked:
                continue
            versions = read_store.versions_of(conn, reader, found.id)
            stix = json.loads(versions[-1].raw or "{}") if versions else {}
            lat, lon = stix.get("latitude"), stix.get("longitude")
            if isinstance(lat, int | float) and isinstance(lon, int | float):
                return [(found, float(lat), float(lon))]
        return []

    def list_objects(self, actor: Actor, wanted: ListFilter) -> list[read_store.ObjectSummary]:
        with self.db.read() as conn:
            return read_store.list_objects(
                conn,
                actor.reader,
                types=wanted.types,
                originator=wanted.originator,
                modified_after=wanted.modified_after,
                modified_before=wanted.modified_before,
                tlp=wanted.tlp,
                max_level=wanted.max_level,
                include_revoked=wanted.include_revoked,
                text=wanted.text,
                after_id=wanted.before_id,
                limit=wanted.limit,
            )

    def correlations(self, actor: Actor, limit: int = 100) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            out = []
            for row in correlation_store.correlations_of(conn, actor.reader, limit=limit):
                a = read_store.get_object(conn, actor.reader, row.object_a)
                b = read_store.get_object(conn, actor.reader, row.object_b)
                if a is not None and b is not None:
                    out.append({"id": row.id, "kind": row.kind, "value": row.value, "at": row.at, "objects": [a, b]})
            return out

    # --- export ------------------------------------------------------------------------------
    def export(
        self,
        actor: Actor,
        *,
        all_versions: bool = False,
        batch: int = 1000,
        on_batch: Callable[[list[tuple[int, Marking, Mapping[str, Any]]]], object] | None = None,
    ) -> Iterator[str]:
        """The text of every object the reader may see, then the marking definitions they reference.
        `on_batch` receives each batch's (object id, marking, STIX object) before it is yielded (the audit
        of the read)."""
        refs: set[str] = set()
        definitions: dict[str, dict[str, Any]] = dict(intel_markings.builtin_definitions())
        after = 0
        while True:
            with self.db.read() as conn:
                rows = read_store.all_visible_raw(
                    conn, actor.reader, after_row=after, limit=batch, latest_only=not all_versions
                )
            if not rows:
                break
            parsed = [(row_id, object_id, raw, marking, json.loads(raw)) for row_id, object_id, raw, marking in rows]
            if on_batch is not None:
                on_batch([(object_id, marking, data) for _, object_id, _, marking, data in parsed])
            for row_id, _, raw, marking, data in parsed:
                after = row_id
                refs.update(r for r in data.get("object_marking_refs", []) if isinstance(r, str))
                # Concord's own marking definitions are derived, not stored: rebuild the one in force.
                for definition in intel_markings.to_stix(marking)[1]:
                    definitions.setdefault(definition["id"], definition)
                yield raw
        needed = [definitions[r] for r in sorted(refs) if r in definitions]
        if any(intel_markings.CONCORD_EXTENSION_ID in d.get("extensions", {}) for d in needed):
            needed += [intel_markings.concord_identity(), intel_markings.concord_extension_definition()]
        for obj in needed:
            yield json.dumps(obj, ensure_ascii=False)
