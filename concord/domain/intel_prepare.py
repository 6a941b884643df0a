"""Everything ingest reads from an object that needs no database: validation and the derived fields.

`prepare` is a pure function of the objects' text, so it can run in another process while this one
writes (services/validation_pool.py). What crosses between processes is `to_wire` / `from_wire`:
flat tuples of the derived values only — the receiver already holds each object's text and parsed
value, so neither is sent back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from concord.domain import intel as rules
from concord.domain.errors import Invalid
from concord.domain.stix import Category, RawItem, Rejection, StixObject, parse_object, reject


@dataclass(frozen=True, slots=True)
class Prepared:
    """A valid object with what ingest derives from it (its title, search text and links). Its
    observable values are not among them: the indexer derives those after commit (services/intel_index.py)."""

    obj: StixObject
    title: str
    search_text: str
    source_ref: str | None
    target_ref: str | None


Outcome = Prepared | Rejection


def prepare_one(item: RawItem) -> Outcome:
    try:
        obj = parse_object(item)
    except Invalid as error:
        return reject(item, error)
    data = obj.data
    source, target = rules.linked_refs(data)
    return Prepared(obj, rules.title_of(data), rules.search_text_of(data), source, target)


def prepare(items: Sequence[RawItem]) -> list[Outcome]:
    """Validate and derive each item on its own: one bad object never stops the others."""
    return [prepare_one(item) for item in items]


# --- between processes ------------------------------------------------------------------------

Wire = tuple[Any, ...]


def prepare_texts(texts: Sequence[str]) -> list[Wire]:
    """`prepare` for objects given as their JSON text (what a worker process receives)."""
    return [to_wire(prepare_one(RawItem(text, json.loads(text)))) for text in texts]


def to_wire(outcome: Outcome) -> Wire:
    if isinstance(outcome, Rejection):
        return (False, outcome.id, outcome.version, outcome.message, outcome.field)
    o = outcome.obj
    return (
        True, o.id, o.type, o.category.value, o.version, o.created, o.modified, o.revoked, o.created_by_ref,
        o.marking_refs, o.version_key, outcome.title, outcome.search_text, outcome.source_ref,
        outcome.target_ref,
    )


def from_wire(wire: Wire, item: RawItem) -> Outcome:
    """Rebuild an outcome around the item it was prepared from (its text and parsed value)."""
    if not wire[0]:
        return Rejection(wire[1], wire[2], wire[3], wire[4])
    (_ok, obj_id, obj_type, category, version, created, modified, revoked, created_by, marking_refs, version_key,
     title, search_text, source, target) = wire
    obj = StixObject(obj_id, obj_type, _CATEGORIES[category], "2.1", version, created, modified, revoked, created_by,
                     marking_refs, item.value, item.text, version_key)
    return Prepared(obj, title, search_text, source, target)


# Enum lookups by value through a dict: calling the Enum class costs several times as much.
_CATEGORIES = {c.value: c for c in Category}
