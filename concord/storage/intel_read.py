"""Reading STIX objects: TAXII pages, manifests and versions, REST lists and single objects.

Every query joins the version to its object and applies `visible_to(intel_objects, reader)` in the
SQL, so a row the reader may not see is never fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, literal, or_, select, true, tuple_
from sqlalchemy.sql import alias

from concord.domain.intel_query import Cursor, ObjectQuery
from concord.domain.markings import Marking, Reader
from concord.storage.intel import intel_objects, intel_versions
from concord.storage.intel_order import UNORDERED
from concord.storage.intel_search import matching
from concord.storage.policy import marking_from_row, visible_to

o = intel_objects
v = intel_versions


@dataclass(frozen=True, slots=True)
class VersionRow:
    row_id: int
    object_id: int
    stix_id: str
    stix_type: str
    version: str
    date_added: str
    spec_version: str
    raw: str | None


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[VersionRow]
    more: bool

    @property
    def last(self) -> Cursor | None:
        return Cursor(self.rows[-1].date_added, self.rows[-1].row_id) if self.rows else None


@dataclass(frozen=True, slots=True)
class ObjectSummary:
    id: int
    stix_id: str
    stix_type: str
    title: str
    revoked: bool
    latest_version: str
    first_added: str
    marking: Marking


def _version_filter(query: ObjectQuery) -> ColumnElement[bool]:
    wanted = query.versions
    if wanted.all:
        return true()
    clauses: list[ColumnElement[bool]] = []
    if wanted.last:
        clauses.append(v.c.is_latest.is_(True))
    if wanted.first:
        earlier = alias(intel_versions, "earlier")
        first = select(func.min(earlier.c.version)).where(earlier.c.object_id == v.c.object_id).scalar_subquery()
        clauses.append(v.c.version == first)
    if wanted.versions:
        clauses.append(v.c.version.in_(sorted(wanted.versions)))
    return or_(*clauses)


def _taxii_select(
    reader: Reader, originator: str | None, query: ObjectQuery, stix_id: str | None, with_raw: bool
) -> Select[Any]:
    columns = [v.c.id, v.c.object_id, v.c.stix_id, v.c.stix_type, v.c.version, v.c.date_added, v.c.spec_version]
    if with_raw:
        columns.append(v.c.raw)
    stmt = select(*columns).select_from(v.join(o, o.c.id == v.c.object_id)).where(visible_to(o, reader))
    if originator is not None:
        stmt = stmt.where(v.c.originator == originator)
    if stix_id is not None:
        stmt = stmt.where(v.c.stix_id == stix_id)
    if query.ids is not None:
        stmt = stmt.where(v.c.stix_id.in_(sorted(query.ids)))
    if query.types is not None:
        stmt = stmt.where(v.c.stix_type.in_(sorted(query.types)))
    if query.spec_versions is not None:
        stmt = stmt.where(v.c.spec_version.in_(sorted(query.spec_versions)))
    if query.added_after is not None:
        stmt = stmt.where(v.c.date_added > query.added_after)
    if query.after is not None:
        # A row-value comparison, so both databases seek the (…, date_added, id) index to the cursor;
        # spelled as date_added > d OR (date_added = d AND id > i), SQLite's planner (with bound
        # parameters) kept only the originator prefix and scanned every earlier row, page after page.
        cursor = tuple_(literal(query.after.date_added, v.c.date_added.type), literal(query.after.row_id, v.c.id.type))
        stmt = stmt.where(tuple_(v.c.date_added, v.c.id) > cursor)
    if query.added_after is None and query.after is None:
        # Versions not yet ordered (storage/intel_order.py) sort below every key and are never served:
        # they will appear above whatever a reader has paged past. (A cursor or added_after excludes them.)
        stmt = stmt.where(v.c.date_added > UNORDERED)
    stmt = stmt.where(_version_filter(query))
    if stix_id is None and query.ids is None:
        return stmt.order_by(v.c.date_added, v.c.id).limit(query.limit + 1)
    # A request that names its objects finds them by id first, then sorts the few it found. Written
    # as one ordered query, a planner without statistics may walk the feed's (…, date_added, id)
    # index for its free order instead (SQLite did, so a read by id cost a scan of the whole feed);
    # a materialised CTE leaves the by-id index as the only good plan whatever the size.
    named = stmt.cte("named").prefix_with("MATERIALIZED")
    return select(*named.c).order_by(named.c.date_added, named.c.id).limit(query.limit + 1)


def taxii_page(
    conn: Connection,
    reader: Reader,
    query: ObjectQuery,
    *,
    originator: str | None = None,
    stix_id: str | None = None,
    with_raw: bool = True,
) -> Page:
    """One page of versions in (date_added, id) order, for the objects, object and manifest endpoints."""
    # Rows unpack like tuples: attribute access on each row costs more than the query here.
    rows = conn.execute(_taxii_select(reader, originator, query, stix_id, with_raw)).all()
    more = len(rows) > query.limit
    # The row has a raw column only when asked for; mypy cannot see the width of a select's rows.
    out = [VersionRow(*row) if with_raw else VersionRow(*row, None) for row in rows[: query.limit]]  # type: ignore[call-arg]
    return Page(out, more)


def visible_object_ids(conn: Connection, reader: Reader, stix_id: str, originator: str | None) -> list[int]:
    stmt = select(o.c.id).where(o.c.stix_id == stix_id, visible_to(o, reader))
    if originator is not None:
        stmt = stmt.where(o.c.m_originator == originator)
    return [int(x) for x in conn.execute(stmt).scalars()]


def _summary(row: Any) -> ObjectSummary:
    m = row._mapping
    return ObjectSummary(
        m["id"],
        m["stix_id"],
        m["stix_type"],
        m["title"],
        bool(m["revoked"]),
        m["latest_version"],
        m["first_added"],
        marking_from_row(m),
    )


def get_object(conn: Connection, reader: Reader, object_id: int) -> ObjectSummary | None:
    row = conn.execute(select(o).where(o.c.id == object_id, visible_to(o, reader))).first()
    return _summary(row) if row is not None else None


def find_objects(conn: Connection, reader: Reader, stix_id: str) -> list[ObjectSummary]:
    return [
        _summary(r)
        for r in conn.execute(select(o).where(o.c.stix_id == stix_id, visible_to(o, reader)).order_by(o.c.id))
    ]


def versions_of(conn: Connection, reader: Reader, object_id: int) -> list[VersionRow]:
    """Every version of a visible object, oldest first (empty if the reader may not see it)."""
    stmt = (
        select(v)
        .select_from(v.join(o, o.c.id == v.c.object_id))
        .where(v.c.object_id == object_id, visible_to(o, reader))
        .order_by(v.c.version)
    )
    return [
        VersionRow(r.id, r.object_id, r.stix_id, r.stix_type, r.version, r.date_added, r.spec_version, r.raw)
        for r in conn.execute(stmt)
    ]


def linked_ids(conn: Connection, reader: Reader, stix_id: str, limit: int = 200) -> list[int]:
    """Objects the reader may see that refer to `stix_id` as their source or target (relationships,
    sightings), oldest first."""
    query = (select(o.c.id)
             .where(or_(o.c.source_ref == stix_id, o.c.target_ref == stix_id), visible_to(o, reader))
             .order_by(o.c.id).limit(limit))
    return [int(i) for i in conn.execute(query).scalars()]


def list_objects(
    conn: Connection,
    reader: Reader,
    *,
    types: Sequence[str] = (),
    originator: str | None = None,
    modified_after: str | None = None,
    modified_before: str | None = None,
    tlp: str | None = None,
    max_level: int | None = None,
    include_revoked: bool = False,
    text: str | None = None,
    after_id: int | None = None,
    limit: int = 100,
) -> list[ObjectSummary]:
    """Objects the reader may see, newest first by storage id, with the REST filters; `text`: every
    word of it in the object's text (full-text search, in the same query as the policy)."""
    stmt = select(o).where(visible_to(o, reader))
    if types:
        stmt = stmt.where(o.c.stix_type.in_(list(types)))
    if originator:
        stmt = stmt.where(o.c.m_originator == originator)
    if modified_after:
        stmt = stmt.where(o.c.latest_modified >= modified_after)
    if modified_before:
        stmt = stmt.where(o.c.latest_modified < modified_before)
    if tlp:
        stmt = stmt.where(o.c.m_tlp == tlp)
    if max_level is not None:
        stmt = stmt.where(o.c.m_level <= max_level)
    if not include_revoked:
        stmt = stmt.where(o.c.revoked.is_(False))
    if text:
        stmt = stmt.where(matching(conn, text))
    if after_id is not None:
        stmt = stmt.where(o.c.id < after_id)
    return [_summary(r) for r in conn.execute(stmt.order_by(o.c.id.desc()).limit(limit))]


def all_visible_raw(
    conn: Connection, reader: Reader, *, after_row: int = 0, limit: int = 1000, latest_only: bool = True
) -> list[tuple[int, int, str, Marking]]:
    """(row id, object id, text, object's marking) of visible versions in storage order, for export."""
    stmt = (
        select(v.c.id, v.c.object_id, v.c.raw,
               o.c.m_level, o.c.m_originator, o.c.m_releasable_to, o.c.m_tlp, o.c.m_caveats)
        .select_from(v.join(o, o.c.id == v.c.object_id))
        .where(visible_to(o, reader), v.c.id > after_row)
        .order_by(v.c.id)
        .limit(limit)
    )
    if latest_only:
        stmt = stmt.where(v.c.is_latest.is_(True))
    return [(int(r.id), int(r.object_id), r.raw, marking_from_row(dict(r._mapping))) for r in conn.execute(stmt)]


def markings_at_or_above(conn: Connection, reader: Reader, object_ids: Sequence[int], level: int) -> dict[int, Marking]:
    """The markings of the visible objects among `object_ids` at or above `level` (for the audit of a read)."""
    if not object_ids:
        return {}
    stmt = select(o).where(o.c.id.in_(sorted(set(object_ids))), o.c.m_level >= level, visible_to(o, reader))
    return {int(row.id): marking_from_row(dict(row._mapping)) for row in conn.execute(stmt)}


def author_of(conn: Connection, object_id: int) -> int | None:
    """The person who published the object (None for one that came from outside, e.g. an import)."""
    found = conn.execute(select(intel_objects.c.created_by_person).where(intel_objects.c.id == object_id)).scalar()
    return int(found) if found is not None else None


def relationship_ends(conn: Connection, object_ids: Sequence[int]) -> list[tuple[str | None, str | None]]:
    """(source_ref, target_ref) of each of these relationship objects, for the caller's own filtering."""
    if not object_ids:
        return []
    rows = conn.execute(select(intel_objects.c.source_ref, intel_objects.c.target_ref)
                        .where(intel_objects.c.id.in_(list(object_ids))))
    return [(r.source_ref, r.target_ref) for r in rows]
