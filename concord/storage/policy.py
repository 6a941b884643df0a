"""The releasability rule as a SQL filter: the twin of `concord.domain.markings.can_see`.

Every storage query that returns marked items uses `visible_to`; tests show it agrees with the
domain function for generated people and markings on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_, false, literal, or_

from concord.domain.markings import ORIGINATOR_ONLY_TLP, Caveat, Level, Marking, Reader, Tlp


def visible_to(table: FromClause, reader: Reader) -> ColumnElement[bool]:
    """A WHERE clause selecting the rows of `table` that `reader` may see."""
    if not reader.may_read:
        return false()
    return and_(table.c.m_level <= int(reader.clearance), in_audience(table, reader.nation))


def in_audience(table: FromClause, nation: str) -> ColumnElement[bool]:
    """A WHERE clause selecting the rows of `table` whose marking's audience includes `nation`
    (the twin of `Marking.audience`, without the level)."""
    c = table.c
    # `nation` is a validated ISO 3166 alpha-3 code: no LIKE wildcards possible.
    return or_(
        c.m_originator == nation,
        and_(
            c.m_tlp.notin_([t.value for t in ORIGINATOR_ONLY_TLP]),
            c.m_releasable_to.like(literal(f"%|{nation}|%")),
        ),
    )


def marking_values(marking: Marking) -> dict[str, Any]:
    """Column values for `marking_columns()`."""
    return {
        "m_level": int(marking.level),
        "m_originator": marking.originator,
        "m_releasable_to": "|" + "|".join(sorted(marking.releasable_to | {marking.originator})) + "|",
        "m_tlp": marking.tlp.value,
        "m_caveats": ",".join(sorted(c.value for c in marking.caveats)),
    }


def marking_from_row(row: Mapping[str, Any]) -> Marking:
    rel = frozenset(n for n in row["m_releasable_to"].split("|") if n)
    caveats = frozenset(Caveat(c) for c in row["m_caveats"].split(",") if c)
    return Marking(Level(row["m_level"]), row["m_originator"], rel, Tlp(row["m_tlp"]), caveats)
