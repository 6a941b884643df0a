"""Correlation: index each object's observable values and raise cross-nation matches.

Run by the indexer that follows the event log (services/intel_index.py), in the transaction that
saves its position: each correlation is recorded and announced once. For each value an object holds: if fewer than `cap`
objects hold it, the object joins the index; every holder from another nation becomes a
correlation, confirmed against the holder's own values (the index keeps only digests), recorded,
and announced by an event marked so that exactly the people who may see both objects receive it.
Nobody else learns anything: not the publisher, not the holder's nation, not that a hidden holder
exists.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from concord.domain.intel import shared_marking
from concord.domain.markings import Marking
from concord.domain.observables import Observable, digest, extract
from concord.storage import intel_correlation as index
from concord.storage.db import Tx
from concord.storage.events import NewEvent, append_events
from concord.storage.policy import marking_from_row

DEFAULT_CAP = 50


@dataclass(frozen=True, slots=True)
class Indexed:
    """An object whose values are to be indexed: its id, nation, marking and values."""

    object_id: int
    stix_id: str
    stix_type: str
    title: str
    marking: Marking
    values: Mapping[Observable, int]  # each value with its digest
    actor_id: int | None = None  # who published it (the correlation's announcement names them)


def index_objects(tx: Tx, objects: Sequence[Indexed], *, at: datetime, cap: int = DEFAULT_CAP) -> int:
    """Index values and record correlations, in the order given (the later object is `object_a`);
    returns how many correlations were recorded. Nothing is returned to a publisher: a figure
    counted for them could tell a nation what another holds."""
    wanted = {d for obj in objects for d in obj.values.values()}
    if not wanted:
        return 0
    holders = index.holders(tx.conn, wanted)  # only the values someone holds already
    entries: list[tuple[int, int]] = []
    matches: list[tuple[Indexed, int, Observable]] = []
    for obj in objects:
        originator = obj.marking.originator
        for value, d in obj.values.items():
            existing = holders.get(d)
            if existing is None:
                holders[d] = [index.Holder(obj.object_id, originator)]  # later objects of the batch see it
            else:
                if len(existing) >= cap or any(h.object_id == obj.object_id for h in existing):
                    continue  # already indexed; or too common: it no longer correlates and stops growing
                matches.extend((obj, h.object_id, value) for h in existing if h.originator != originator)
                existing.append(index.Holder(obj.object_id, originator))
            entries.append((d, obj.object_id))
    index.add_entries(tx.conn, entries)
    others = _others(tx, {other_id for _obj, other_id, _value in matches})
    confirmed = []
    for obj, other_id, value in matches:
        other = others.get(other_id)
        if other is None or value not in other[1]:
            continue  # a digest collision, not a shared value
        confirmed.append((obj, other_id, value, other))
    ids = index.record_many(
        tx.conn,
        [(value.kind.value, value.value, obj.object_id, other_id) for obj, other_id, value, _other in confirmed],
        at=at,
    )
    announcements: list[NewEvent] = []
    for (obj, _other_id, value, other), correlation_id in zip(confirmed, ids, strict=True):
        other_summary, _values, other_marking = other
        audience = shared_marking(obj.marking, other_marking)
        if audience is None:
            continue  # nobody may see both objects: kept for the record, announced to no one
        announcements.append(NewEvent(
            at=at,
            kind="intel.correlated",
            item_type="intel_correlation",
            item_id=correlation_id,
            marking=audience,
            actor_id=obj.actor_id,
            payload={
                "kind": value.kind.value,
                "value": value.value,
                "objects": [
                    {
                        "id": obj.object_id,
                        "stix_id": obj.stix_id,
                        "type": obj.stix_type,
                        "title": obj.title,
                        "originator": obj.marking.originator,
                    },
                    {**other_summary, "originator": other_marking.originator},
                ],
            },
        ))
    append_events(tx, announcements)
    return len(ids)


def _others(tx: Tx, object_ids: set[int]) -> dict[int, tuple[dict[str, object], frozenset[Observable], Marking]]:
    """Summary, values and marking of each matched holder (revoked holders no longer correlate)."""
    if not object_ids:
        return {}
    found: dict[int, tuple[dict[str, object], frozenset[Observable], Marking]] = {}
    markings: dict[tuple[Any, ...], Marking] = {}  # holders mostly share a few markings
    for row in index.latest_of(tx.conn, object_ids):
        (object_id, stix_id, stix_type, title, *marked, raw) = row
        key = tuple(marked)
        marking = markings.get(key)
        if marking is None:
            marking = markings[key] = marking_from_row(dict(zip(_MARKING_COLUMNS, marked, strict=True)))
        summary: dict[str, object] = {"id": object_id, "stix_id": stix_id, "type": stix_type, "title": title}
        found[int(object_id)] = (summary, extract(json.loads(raw)), marking)
    return found


_MARKING_COLUMNS = ("m_level", "m_originator", "m_releasable_to", "m_tlp", "m_caveats")


def forget(tx: Tx, object_id: int, raw_texts: Sequence[str]) -> None:
    """Drop an object's index entries (its values are read back from its text)."""
    values: set[Observable] = set()
    for raw in raw_texts:
        values |= extract(json.loads(raw))
    forget_digests(tx, object_id, [digest(v) for v in values])


def forget_digests(tx: Tx, object_id: int, digests: Iterable[int]) -> None:
    """Drop an object's index entries for these value digests (a revoked object no longer correlates)."""
    index.remove_object(tx.conn, object_id, digests)
