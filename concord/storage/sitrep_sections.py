"""The SITREP sections owned by other features: operations, conflicts, correlations, message volume.

Each reads for one reader and one period, with `visible_to` inside the SQL (conflicts through
`storage.conflicts.for_reader`, which applies the cross-marking rule: a side the reader may not see
is never named). The rows carry every marking they draw on, so the report's banner covers them all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select
from sqlalchemy.sql import alias

from concord.domain.conflicts import RESTRICTED_OTHER_SIDE
from concord.domain.markings import Marking, Reader
from concord.domain.messages import Precedence
from concord.domain.sitrep import ConflictRow, CorrelationRow, MessageVolume, OperationRow, Period
from concord.storage import conflicts as conflict_store
from concord.storage.channels import channels, readable_channels
from concord.storage.intel import intel_objects
from concord.storage.intel_correlation import intel_correlations
from concord.storage.messages import messages
from concord.storage.operations import operations
from concord.storage.policy import marking_from_row, visible_to

#: A period's conflicts are read in one go; a day with more than this is cut (newest first).
MAX_CONFLICTS = 500
_MARKING = ("m_level", "m_originator", "m_releasable_to", "m_tlp", "m_caveats")


def _within(column: ColumnElement[Any], period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _by_level(markings: list[Marking]) -> tuple[Marking, tuple[Marking, ...]]:
    """The highest marking (for the portion mark) and the others (for the banner)."""
    ordered = sorted(markings, key=lambda m: m.level, reverse=True)
    return ordered[0], tuple(ordered[1:])


def operations_in_period(conn: Connection, reader: Reader, period: Period) -> list[OperationRow]:
    """Operations created or changed in the period, with their current state."""
    o = operations
    query = (select(o).where(visible_to(o, reader),
                             or_(_within(o.c.created_at, period), _within(o.c.updated_at, period)))
             .order_by(o.c.starts_at, o.c.id))
    return [OperationRow(r.id, r.name, r.status, r.lead_nation, r.starts_at, r.ends_at,
                         marking_from_row(dict(r._mapping))) for r in conn.execute(query)]


def conflicts_in_period(conn: Connection, reader: Reader, period: Period) -> list[ConflictRow]:
    """Conflicts opened or changed in the period, as the cross-marking rule lets the reader see them."""
    rows = []
    for view in conflict_store.for_reader(conn, reader, limit=MAX_CONFLICTS):
        if not (period.contains(view.created_at) or period.contains(view.updated_at)):
            continue
        c = view.conflict
        assert c.id is not None
        shown = [key for key, ok in ((c.a_key, view.a_visible), (c.b_key, view.b_visible)) if ok]
        names = [conflict_store.side_name(conn, key) for key in shown]
        summary = " ↔ ".join(names) if len(names) == 2 else f"{names[0]} ↔ {RESTRICTED_OTHER_SIDE}"
        marking, others = _by_level([conflict_store.side_marking(conn, key) for key in shown])
        rows.append(ConflictRow(c.id, summary, c.status.value, marking, others))
    return list(reversed(rows))  # oldest first, like the other sections


def correlations_in_period(conn: Connection, reader: Reader, period: Period) -> list[CorrelationRow]:
    """Correlations recorded in the period whose two objects the reader may both see, one row per value."""
    a, b = alias(intel_objects, "a"), alias(intel_objects, "b")
    c = intel_correlations
    query = (select(c.c.kind, c.c.value, c.c.object_a, c.c.object_b,
                    *[a.c[n].label(f"a_{n}") for n in _MARKING], *[b.c[n].label(f"b_{n}") for n in _MARKING])
             .select_from(c.join(a, a.c.id == c.c.object_a).join(b, b.c.id == c.c.object_b))
             .where(visible_to(a, reader), visible_to(b, reader), _within(c.c.at, period))
             .order_by(c.c.id))
    grouped: dict[tuple[str, str], tuple[set[int], list[Marking]]] = {}
    for r in conn.execute(query):
        m = r._mapping
        objects, markings = grouped.setdefault((m["kind"], m["value"]), (set(), []))
        objects.update((m["object_a"], m["object_b"]))
        for side in ("a", "b"):
            marking = marking_from_row({n: m[f"{side}_{n}"] for n in _MARKING})
            if marking not in markings:
                markings.append(marking)
    out = []
    for (kind, value), (objects, markings) in grouped.items():
        marking, others = _by_level(markings)
        out.append(CorrelationRow(f"{kind}: {value}", frozenset(m.originator for m in markings), len(objects),
                                  marking, others))
    return out


def message_volume(conn: Connection, reader: Reader, period: Period) -> MessageVolume:
    """Messages posted in the period that the reader may see, in channels they take part in."""
    m = messages
    marking_cols = [m.c[n] for n in _MARKING]
    query = (select(m.c.precedence, *marking_cols, func.count().label("n"))
             .select_from(m.join(channels, channels.c.id == m.c.channel_id))
             .where(visible_to(m, reader), readable_channels(reader), m.c.retracted_at.is_(None),
                    _within(m.c.posted_at, period))
             .group_by(m.c.precedence, *marking_cols))
    counts: dict[str, int] = {}
    markings: list[Marking] = []
    for r in conn.execute(query):
        name = Precedence(r.precedence).name
        counts[name] = counts.get(name, 0) + int(r.n)
        marking = marking_from_row(dict(r._mapping))
        if marking not in markings:
            markings.append(marking)
    if not markings:
        return MessageVolume(counts)
    marking, others = _by_level(markings)
    return MessageVolume(counts, marking, others)
