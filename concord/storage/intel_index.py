"""What the intelligence indexer reads (services/intel_index.py): the publications in the event log
after its position, the objects they name, and how many objects a reader may see that it has not
reached yet.

An `intel.published` event names the objects of its batch as ranges of storage ids (`objects`:
`[[first, last], …]`, inclusive; a batch's new objects take consecutive ids, so a thousand objects
are usually one range).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from concord.domain.markings import Marking, Reader
from concord.storage.dialect import many, one_of
from concord.storage.events import events
from concord.storage.intel import intel_objects, intel_versions
from concord.storage.policy import marking_from_row, visible_to

#: The event that names the objects a batch stored or changed.
PUBLISHED = "intel.published"


def ranges(ids: Iterable[int]) -> list[list[int]]:
    """Ids as inclusive ranges: [1, 2, 3, 7] → [[1, 3], [7, 7]]."""
    out: list[list[int]] = []
    for i in sorted(set(ids)):
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def ids_in(payload: dict[str, Any]) -> Iterator[int]:
    """The object ids of an `intel.published` payload (none for events written before issue 18)."""
    for pair in payload.get("objects", ()):
        if isinstance(pair, list) and len(pair) == 2:
            yield from range(int(pair[0]), int(pair[1]) + 1)


@dataclass(frozen=True, slots=True)
class Publication:
    position: int
    actor_id: int | None
    object_ids: tuple[int, ...]


def publications(conn: Connection, after: int, top: int, limit: int) -> list[Publication]:
    """The `intel.published` events with a position in (after, top], in position order, at most `limit`."""
    e = events.c
    rows = conn.execute(
        select(e.position, e.actor_id, e.payload)
        .where(e.position > after, e.position <= top, e.kind == PUBLISHED)
        .order_by(e.position).limit(limit))
    return [Publication(int(r.position), r.actor_id, tuple(ids_in(r.payload))) for r in rows]


def publication_after(conn: Connection, after: int) -> bool:
    """Whether any `intel.published` event has a position above `after` or none yet (committed, not
    yet ordered)."""
    e = events.c
    query = select(e.id).where(or_(e.position > after, e.position.is_(None)), e.kind == PUBLISHED).limit(1)
    return conn.execute(query).first() is not None


def objects_behind(conn: Connection, reader: Reader | None, after: int) -> int:
    """How many objects the reader may see were published after position `after` (or are committed
    and not yet ordered): what a search cannot find yet. Counted from the events the reader may see,
    so the figure never includes what another nation holds hidden. With no reader: every object (for
    the operator of the centre, never for a person's answer)."""
    e = events.c
    query = select(e.payload).where(or_(e.position > after, e.position.is_(None)), e.kind == PUBLISHED)
    if reader is not None:
        query = query.where(visible_to(events, reader),
                            or_(e.recipient_id.is_(None), e.recipient_id == reader.person_id))
    return sum(int(r.payload.get("count", 0)) for r in conn.execute(query))


@dataclass(frozen=True, slots=True)
class IndexedObject:
    """An object as the indexer sees it now: its current marking and its latest text."""

    id: int
    stix_id: str
    stix_type: str
    title: str
    revoked: bool
    marking: Marking
    raw: str


def current(conn: Connection, object_ids: Sequence[int]) -> dict[int, IndexedObject]:
    """The objects among `object_ids` that still exist, with their latest version's text."""
    if not object_ids:
        return {}
    dialect = conn.dialect.name
    found: dict[int, IndexedObject] = {}
    for row in conn.execute(_current_query(dialect), {"ids": many(dialect, object_ids)}):
        m = row._mapping
        found[int(m["id"])] = IndexedObject(int(m["id"]), m["stix_id"], m["stix_type"], m["title"], bool(m["revoked"]),
                                            marking_from_row(dict(m)), m["raw"])
    return found


@cache
def _current_query(dialect: str) -> Any:
    o = intel_objects.c
    return (
        select(o.id, o.stix_id, o.stix_type, o.title, o.revoked, o.m_level, o.m_originator, o.m_releasable_to,
               o.m_tlp, o.m_caveats, intel_versions.c.raw)
        .select_from(intel_objects.join(intel_versions, intel_versions.c.object_id == o.id))
        .where(and_(one_of(dialect, o.id, "ids"), intel_versions.c.is_latest.is_(True)))
    )
