"""The order TAXII serves versions in: each version's `date_added`, given once its writer has committed.

The guarantee `added_after` and `next` rest on: once a reader has seen a version with (date_added,
id) = P, no version ever appears later at or below P, and every version gets exactly one date_added.
A writer cannot give its versions their date_added before commit without a lock held through commit
(writer A reads the clock, writer B reads it later, commits first, a reader pages past B's versions,
then A commits below them). So, like the event log (`storage.event_order`), versions are ordered
after they commit:

- PostgreSQL: versions are written with `date_added = UNORDERED` (which no listing serves). After its
  commit the writer runs one ordering round: under `Lock.INTEL_ORDER`, it gives every committed
  unordered version (anyone's, in id order) the next date_added keys, each one microsecond above the
  larger of the round's clock and the largest key given, and commits. Rounds run one at a time across
  every process (the lock), each reading after the lock is granted (READ COMMITTED: every statement
  sees what committed before it started), so each sees the previous round's keys and gives strictly
  larger ones; a reader's snapshot holds a prefix of rounds, so nothing can appear below what it has
  read. A writer answers only after its round, so `complete` means listed. Versions whose writer died
  between its commit and its round are ordered by the next round anyone runs (the next ingest, or
  the intel indexer's `order_pending` when it meets their publication).
- SQLite: a writer holds the database's write lock until commit, so it gives its versions their keys
  in its own transaction (`first_date_added`), above anything stored.

Writers take no lock on the whole centre: they lock only the objects they write (`storage.intel.lock_objects`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, text

from concord.domain.intel_query import date_added_key
from concord.storage.dialect import Lock, hold, is_postgresql

#: The `date_added` of a version written but not yet ordered: sorts below every key, served by no listing.
UNORDERED = ""

_NEWEST = text("SELECT max(date_added) FROM intel_versions")
_ANY_UNORDERED = text("SELECT EXISTS (SELECT 1 FROM intel_versions WHERE date_added = '')")
# Waits for (rather than skips) a row another writer holds locked (one superseding it): a round must
# order every version committed before it, or a writer could answer `complete` for an unlisted one.
# No cycle: nobody waits for the ordering lock inside a write transaction.
_UNORDERED = text("SELECT id FROM intel_versions WHERE date_added = '' ORDER BY id FOR UPDATE")
_GIVE = text("""
UPDATE intel_versions SET date_added = given.key
FROM unnest(CAST(:ids AS bigint[]), CAST(:keys AS varchar[])) AS given(id, key)
WHERE intel_versions.id = given.id
""")


def first_date_added(conn: Connection, now: datetime) -> str | None:
    """The date_added key of this transaction's first version, strictly later than any stored (a
    clock that steps back never reorders the feed); each later version takes the next microsecond.

    None on PostgreSQL: versions are written `UNORDERED` and ordered after commit (`order_committed`).
    """
    if is_postgresql(conn):
        return None
    return _after(conn.execute(_NEWEST).scalar(), now)


def order_committed(engine: Engine, now: datetime) -> int:
    """One ordering round (PostgreSQL): give every committed unordered version its date_added.
    Returns how many it ordered."""
    with engine.connect() as conn:
        if not is_postgresql(conn):
            return 0
        with conn.begin():
            hold(conn, Lock.INTEL_ORDER)
            ids = [int(i) for i in conn.execute(_UNORDERED).scalars()]
            if not ids:
                return 0
            first = _after(conn.execute(_NEWEST).scalar(), now)
            start = _moment(first)
            keys = [date_added_key(start + timedelta(microseconds=n)) for n in range(len(ids))]
            conn.execute(_GIVE, {"ids": ids, "keys": keys})
            return len(ids)


def order_pending(engine: Engine, now: datetime) -> int:
    """Order versions left unordered (their writer died after commit); cheap when there are none."""
    with engine.connect() as conn:
        if not is_postgresql(conn):
            return 0
        with conn.begin():
            if not conn.execute(_ANY_UNORDERED).scalar_one():
                return 0
    # Often a live writer's versions, its own round not run yet: ordering them here is as correct.
    return order_committed(engine, now)


def _after(newest: str | None, now: datetime) -> str:
    candidate = date_added_key(now)
    if newest and candidate <= newest:
        candidate = date_added_key(_moment(newest) + timedelta(microseconds=1))
    return candidate


def _moment(key: str) -> datetime:
    return datetime.strptime(key[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
