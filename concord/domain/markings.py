"""Markings and the releasability policy: who may see a marked item.

This module is the one place where releasability is decided. `can_see` is the rule;
`concord.storage.policy.visible_to` is the same rule as a SQL filter, and property tests
(tests/unit/domain/test_policy_agreement.py) show the two always agree.

The rule, for a reader (a person with a nation, a clearance and whether they may read at all)
and an item's marking:

1. the reader may read at all (signed in, account enabled, holds a current appointment);
2. the reader's clearance is at least the item's classification level;
3. the reader's nation is the originator, or
   the reader's nation is in the item's releasable-to list and the TLP label allows sharing
   beyond the originator: TLP:AMBER+STRICT and TLP:RED keep an item inside the originator
   nation (TLP 2.0: "organisation only" / "named recipients only"), so releasable-to is not
   consulted for them.

Caveats (ORCON) do not change who may see an item today; they restrict who may *widen* its
release (`may_widen`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

NATION_CODE = re.compile(r"^[A-Z]{3}$")


class Level(IntEnum):
    """Common classification levels; each nation maps its own labels onto these."""

    UNCLASSIFIED = 0
    RESTRICTED = 1
    CONFIDENTIAL = 2
    SECRET = 3


class Tlp(StrEnum):
    """Traffic Light Protocol 2.0 labels (FIRST)."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"


#: TLP labels that keep an item inside the originator nation whatever its releasable-to list says.
ORIGINATOR_ONLY_TLP: frozenset[Tlp] = frozenset({Tlp.AMBER_STRICT, Tlp.RED})


class Caveat(StrEnum):
    ORCON = "ORCON"  # originator controlled: only the originator may widen release


def check_nation_code(code: str) -> str:
    """Return `code` if it is an ISO 3166-1 alpha-3 shaped code, else raise ValueError."""
    if not isinstance(code, str) or not NATION_CODE.match(code):
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-3 country code (three capital letters)")
    return code


@dataclass(frozen=True, slots=True)
class Marking:
    """What governs who may see an item."""

    level: Level
    originator: str
    releasable_to: frozenset[str] = field(default_factory=frozenset)
    tlp: Tlp = Tlp.AMBER
    caveats: frozenset[Caveat] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        check_nation_code(self.originator)
        for nation in self.releasable_to:
            check_nation_code(nation)

    @classmethod
    def build(
        cls,
        level: Level | str | int,
        originator: str,
        releasable_to: Iterable[str] = (),
        tlp: Tlp | str = Tlp.AMBER,
        caveats: Iterable[Caveat | str] = (),
    ) -> Marking:
        lvl = Level[level] if isinstance(level, str) else Level(level)
        # The originator is always among the nations an item is releasable to.
        rel = frozenset(releasable_to) | {originator}
        return cls(lvl, originator, rel, Tlp(tlp), frozenset(Caveat(c) for c in caveats))

    @property
    def audience(self) -> frozenset[str]:
        """Nations whose cleared people may see the item."""
        if self.tlp in ORIGINATOR_ONLY_TLP:
            return frozenset({self.originator})
        return self.releasable_to | {self.originator}

    def to_dict(self) -> dict[str, object]:
        return {
            "level": self.level.name,
            "originator": self.originator,
            "releasable_to": sorted(self.releasable_to),
            "tlp": self.tlp.value,
            "caveats": sorted(c.value for c in self.caveats),
        }


@dataclass(frozen=True, slots=True)
class Reader:
    """The person on whose behalf something is read, reduced to what the policy needs."""

    person_id: int | None
    nation: str
    clearance: Level
    may_read: bool = True

    @classmethod
    def nobody(cls) -> Reader:
        return cls(None, "ZZZ", Level.UNCLASSIFIED, may_read=False)


def can_see(reader: Reader, marking: Marking) -> bool:
    """The releasability rule (see the module docstring)."""
    if not reader.may_read:
        return False
    if reader.clearance < marking.level:
        return False
    if reader.nation == marking.originator:
        return True
    if marking.tlp in ORIGINATOR_ONLY_TLP:
        return False
    return reader.nation in marking.releasable_to


def may_widen(actor_nation: str, old: Marking, new: Marking) -> bool:
    """Only the originator may widen release; anyone who may change an item may narrow it."""
    return actor_nation == old.originator or not is_wider(old, new)


def is_wider(old: Marking, new: Marking) -> bool:
    """True if `new` would let someone see the item who could not see it under `old`."""
    return (
        new.level < old.level
        or not new.audience <= old.audience
        or new.originator != old.originator
    )


_TLP_ORDER = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)


def within(record: Marking, item: Marking) -> Marking | None:
    """The marking of a record about an item (an event, say) once the item is marked `item`: only
    people who may see both the record and the item may see the result (`can_see(r, within(a, b))`
    implies `can_see(r, a) and can_see(r, b)`); None when no nation may see both. History follows an
    item's *current* marking with it."""
    common = record.audience & item.audience
    level = Level(max(record.level, item.level))
    if not common:
        return None
    originator = next((n for n in (record.originator, item.originator) if n in common), min(common))
    tlp = max(record.tlp, item.tlp, key=_TLP_ORDER.index)
    return Marking.build(level, originator, common, tlp, record.caveats | item.caveats)


def highest(markings: Iterable[Marking]) -> Level:
    """The highest classification level among markings (UNCLASSIFIED if there are none)."""
    return max((m.level for m in markings), default=Level.UNCLASSIFIED)
