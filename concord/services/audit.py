"""The tamper-evident audit log: entries in the same transaction as every change, checkpoints,
cosignatures from each nation's witness, proofs and export bundles."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from concord.clock import Clock, iso
from concord.domain import checkpoint as notes
from concord.domain import merkle
from concord.domain.audit import READ_ACTION, AuditEntry, content_hash, new_nonce
from concord.domain.audit_bundle import build_bundle
from concord.domain.errors import Invalid, NotFound
from concord.domain.markings import Level, Marking, Reader, Tlp, check_nation_code
from concord.domain.people import Actor, Role
from concord.private_files import created_once
from concord.request_context import current_request_id
from concord.services.identity import AUDIT_LOG_KEY, CentreIdentity
from concord.settings import Settings
from concord.storage import audit as store
from concord.storage import audit_checkpoints as checkpoint_store
from concord.storage import audit_queue
from concord.storage.db import Database, Tx
from concord.storage.events import append_event
from concord.storage.nations import list_nations

log = logging.getLogger(__name__)

#: How often each process looks for queued audit leaves to integrate (storage/audit_queue.py).
SEQUENCER_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class ReadItem:
    """An item someone read: what the audit entry of that read records."""

    item_type: str
    item_id: str | int
    marking: Marking
    content: Mapping[str, Any] | None


#: One item a read returned: its id, its marking and what the person received (a response model, a
#: mapping, or None when only the fact of the read is recorded).
Returned = tuple[str | int, Marking, BaseModel | Mapping[str, Any] | None]


def _content(body: BaseModel | Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json")
    return body


@dataclass(frozen=True, slots=True)
class InclusionView:
    index: int
    size: int
    leaf_hash: bytes
    proof: list[bytes]
    entry: AuditEntry | None  # None when the reader may not read it in full
    checkpoint: str  # the signed checkpoint of `size`, with cosignatures


class AuditService:
    def __init__(self, db: Database, clock: Clock, settings: Settings, identity: CentreIdentity) -> None:
        self.db = db
        self.identity = identity
        self.clock = clock
        self.origin = settings.audit_origin
        if settings.audit_read_level.upper() not in Level.__members__:
            levels = ", ".join(Level.__members__)
            raise Invalid(f"audit_read_level is one of {levels}", field="audit_read_level")
        self.read_level = Level[settings.audit_read_level.upper()]
        self.checkpoint_seconds = settings.audit_checkpoint_seconds
        self.key_path = Path(settings.data_dir) / "audit" / "centre.skey"
        self._key: notes.SignerKey | None = None
        self._head: store.TreeHead | None = None
        db.before_commit(self._record_events)

    # --- the centre's key ---------------------------------------------------------------------
    def centre_key(self) -> notes.SignerKey:
        """The centre's Ed25519 signing key, created on first use (`concord init` does it), never
        when the centre already has one elsewhere (services/identity.py)."""
        if self._key is None:
            with created_once(self.key_path.parent):  # processes starting together: one key, read whole
                if not self.key_path.exists():
                    self.identity.expect_missing(AUDIT_LOG_KEY, str(self.key_path))
                    key = notes.SignerKey.generate(self.origin)
                    fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "w") as out:
                        out.write(key.encode() + "\n")
                self._key = notes.SignerKey.parse(self.key_path.read_text())
        return self._key

    def verify_identity(self) -> None:
        """Our signing key is the centre's (the first process records it), or IdentityMismatch."""
        self.identity.claim(AUDIT_LOG_KEY, self.public_key(), str(self.key_path))

    def public_key(self) -> str:
        return self.centre_key().verifier().encode()

    # --- writing entries ------------------------------------------------------------------------
    def _record_events(self, tx: Tx) -> None:
        """Every event appended in this unit of work becomes an audit entry, before it commits."""
        if not tx.events:
            return
        entries = [
            store.NewEntry(
                time=iso(event["at"]),
                actor_person=event["actor_id"],
                actor_nation=event["actor_nation"],
                action=event["kind"],
                item_type=event["item_type"],
                item_id=event["item_id"],
                content_hash=content_hash(event["payload"], event["marking"]),
                request_id=event["request_id"] or current_request_id.get(),
                nonce=new_nonce(),
                marking=event["marking"],
                event_id=event["id"],
            )
            for event in tx.events
        ]
        self._append(tx, entries)

    def _append(self, tx: Tx, entries: list[store.NewEntry]) -> None:
        head = audit_queue.record(tx.conn, entries, self._head)
        tx.after_commit.append(lambda: setattr(self, "_head", head))

    # --- the sequencer (storage/audit_queue.py) ---------------------------------------------------
    def integrate(self, *, wait: bool = True) -> int:
        """Number every queued leaf into the tree, batch by batch; returns how many. With `wait`
        False, only if no other sequencer (in any process) is at work. A no-op on SQLite."""
        total = 0
        while True:
            with self.db.read() as conn:
                if not audit_queue.waiting(conn):  # the usual case, and always on SQLite: no write
                    return total
            with self.db.write() as tx:
                done, head = audit_queue.integrate(tx.conn, self._head, wait=wait)
            if not done:
                return total
            self._head = head
            total += done

    async def run_sequencer(self) -> None:
        """Background loop of every process: integrate queued leaves; whichever process gets the
        sequencer's lock does it, and another takes over when that process dies. On a store where
        writers append to the tree themselves (SQLite) nothing is ever queued: the loop waits for
        cancellation instead of asking five times a second."""
        if not audit_queue.queues(self.db):
            await asyncio.Event().wait()
        while True:
            await asyncio.to_thread(self.integrate, wait=False)
            await asyncio.sleep(SEQUENCER_SECONDS)

    def record_reads(self, actor: Actor, reads: Sequence[ReadItem], request_id: str | None = None) -> int:
        """Audit the reads of items at or above the configured level (one transaction for a page of
        results); returns how many were recorded. Read paths call this after their query."""
        audited = [r for r in reads if r.marking.level >= self.read_level]
        request_id = request_id or current_request_id.get()
        if not audited:
            return 0
        now = iso(self.clock.now())
        entries = [
            store.NewEntry(
                time=now,
                actor_person=actor.person_id,
                actor_nation=actor.nation,
                action=READ_ACTION,
                item_type=r.item_type,
                item_id=str(r.item_id),
                content_hash=content_hash(r.content, r.marking),
                request_id=request_id,
                nonce=new_nonce(),
                marking=r.marking,
            )
            for r in audited
        ]
        with self.db.write() as tx:
            self._append(tx, entries)
        return len(entries)

    def record_returned(self, actor: Actor, item_type: str, returned: Iterable[Returned]) -> int:
        """Audit what a read path returned to a person: `(item id, marking, what was returned)` for each
        item, in one call per request. The content is hashed only for items at or above the level."""
        reads = [
            ReadItem(item_type, item_id, marking, _content(body))
            for item_id, marking, body in returned
            if marking.level >= self.read_level
        ]
        return self.record_reads(actor, reads) if reads else 0

    # --- checkpoints ----------------------------------------------------------------------------
    def issue_checkpoint(self) -> int | None:
        """Sign a checkpoint of the current tree if it grew since the last one; returns its size."""
        key = self.centre_key()
        self.integrate()
        with self.db.write() as tx:
            store.lock(tx.conn)
            size = store.tree_size(tx.conn)
            latest = checkpoint_store.latest_checkpoint(tx.conn)
            if size == 0 or (latest is not None and latest.size >= size):
                return None
            tree = store.StoredTree(tx.conn)
            root = merkle.root(tree, size)
            proof = merkle.consistency_proof(tree, latest.size, size) if latest is not None else []
            text = notes.Checkpoint(self.origin, size, root).text()
            note = notes.SignedNote(text, (notes.sign(text, key),)).encode()
            checkpoint_store.add_checkpoint(tx.conn, size, root, self.clock.now(), note, proof)
        return size

    async def run_checkpoints(self) -> None:
        """Background loop of the server: a checkpoint every few seconds while entries arrive."""
        while True:
            try:
                await asyncio.to_thread(self.issue_checkpoint)
            except Exception:  # a failed round must not end the loop; the next one retries
                log.exception("issuing an audit checkpoint failed")
            await asyncio.sleep(self.checkpoint_seconds)

    def _with_cosignatures(self, row: checkpoint_store.CheckpointRow) -> str:
        return row.note + "".join(line + "\n" for _, line in sorted(row.cosignatures.items()))

    def latest(self) -> tuple[str, checkpoint_store.CheckpointRow]:
        with self.db.read() as conn:
            row = checkpoint_store.latest_checkpoint(conn)
        if row is None:
            raise NotFound("no checkpoint has been issued yet", field="size")
        return self._with_cosignatures(row), row

    def checkpoint(self, size: int) -> str:
        with self.db.read() as conn:
            row = checkpoint_store.checkpoint_at(conn, size)
        if row is None:
            raise NotFound(f"no checkpoint of size {size}", field="size")
        return self._with_cosignatures(row)

    # --- proofs and views -----------------------------------------------------------------------
    def inclusion(self, reader: Reader, index: int, size: int | None = None) -> InclusionView:
        with self.db.read() as conn:
            row = (
                checkpoint_store.latest_checkpoint(conn) if size is None else checkpoint_store.checkpoint_at(conn, size)
            )
            if row is None:
                raise NotFound("no checkpoint of that size", field="size")
            if not 0 <= index < row.size:
                raise NotFound(f"entry {index} is not covered by the checkpoint of size {row.size}", field="index")
            proof = merkle.inclusion_proof(store.StoredTree(conn), index, row.size)
            ((entry, leaf_hash),) = store.entries_in_range(conn, reader, index, index + 1)
        return InclusionView(index, row.size, leaf_hash, proof, entry, self._with_cosignatures(row))

    def consistency(self, old_size: int, new_size: int) -> list[bytes]:
        with self.db.read() as conn:
            if checkpoint_store.checkpoint_at(conn, new_size) is None:
                raise NotFound(f"no checkpoint of size {new_size}", field="new")
            if not 0 < old_size <= new_size:
                raise Invalid("the old size must be between 1 and the new size", field="old")
            return merkle.consistency_proof(store.StoredTree(conn), old_size, new_size)

    def entries(self, reader: Reader, start: int, end: int) -> list[tuple[AuditEntry | None, bytes]]:
        if start < 0 or end < start:
            raise Invalid("a range is 0 <= start <= end", field="start")
        if end - start > 1000:
            raise Invalid("at most 1000 entries per request", field="end")
        self.integrate()  # what was written before this read is in the tree it reads
        with self.db.read() as conn:
            return store.entries_in_range(conn, reader, start, end)

    def witnessed_by_all(self, index: int) -> int | None:
        """The smallest checkpoint covering entry `index` cosigned by every partner nation, if any."""
        with self.db.read() as conn:
            nations = [n.code for n in list_nations(conn)]
            return checkpoint_store.smallest_covering(conn, index, nations)

    def witnessed_size(self) -> int:
        """Entries below this size are covered by a checkpoint every partner nation cosigned."""
        with self.db.read() as conn:
            return checkpoint_store.largest_cosigned_by_all(conn, [n.code for n in list_nations(conn)])

    def export(self, reader: Reader) -> dict[str, Any]:
        """A bundle for `concord audit verify`: everything up to the latest checkpoint."""
        with self.db.read() as conn:
            checkpoints = checkpoint_store.all_checkpoints(conn)
            if not checkpoints:
                raise NotFound("no checkpoint has been issued yet", field="size")
            size = checkpoints[-1].size
            return build_bundle(
                origin=self.origin,
                log_key=self.centre_key().verifier(),
                witness_keys={n: notes.VerifierKey.parse(v) for n, v in checkpoint_store.witness_keys(conn).items()},
                checkpoints=[(self._with_cosignatures(row), row.proof) for row in checkpoints],
                leaves=store.entries_in_range(conn, reader, 0, size),
            )

    # --- witnesses ------------------------------------------------------------------------------
    def witness_keys(self) -> dict[str, str]:
        with self.db.read() as conn:
            return checkpoint_store.witness_keys(conn)

    def register_witness(self, actor: Actor | None, nation: str, vkey: str) -> None:
        """Record a nation's witness key (its administrator, or the system from the CLI)."""
        try:
            check_nation_code(nation)
        except ValueError as exc:
            raise Invalid(str(exc), field="nation") from None
        if actor is not None:
            actor.require(Role.ADMINISTRATOR, action="registering a witness key")
            actor.require_admin_of(nation)
        key = notes.VerifierKey.parse(vkey)
        if key.key_type != notes.COSIGNATURE_V1:
            raise Invalid("a witness key is a cosignature/v1 (type 0x04) key", field="vkey")
        with self.db.write() as tx:
            partners = sorted(n.code for n in list_nations(tx.conn))
            if nation not in partners:
                raise NotFound(f"{nation} is not a partner nation", field="nation")
            now = self.clock.now()
            checkpoint_store.set_witness_key(tx.conn, nation, key.encode(), now, actor.person_id if actor else None)
            # Every partner must know which key speaks for each nation: the change is centre-wide.
            append_event(
                tx,
                at=now,
                kind="audit.witness_registered",
                item_type="nation",
                item_id=nation,
                marking=Marking.build(Level.UNCLASSIFIED, nation, partners, Tlp.GREEN),
                payload={"vkey": key.encode()},
                actor_id=actor.person_id if actor else None,
                actor_nation=actor.nation if actor else None,
            )

    def add_cosignature(self, nation: str, size: int, cosigned_note: str) -> None:
        """Store `nation`'s cosignature on the checkpoint of `size`, after verifying it."""
        with self.db.write() as tx:
            vkey = checkpoint_store.witness_keys(tx.conn).get(nation)
            if vkey is None:
                raise NotFound(f"{nation} has no registered witness key", field="nation")
            key = notes.VerifierKey.parse(vkey)
            row = checkpoint_store.checkpoint_at(tx.conn, size)
            if row is None:
                raise NotFound(f"no checkpoint of size {size}", field="size")
            text = notes.SignedNote.parse(row.note).text
            signatures = notes.SignedNote.parse(cosigned_note).signatures_by(key)
            if not signatures or notes.SignedNote.parse(cosigned_note).text != text:
                raise Invalid(f"no cosignature by {nation}'s witness key on this checkpoint", field="note")
            if not all(notes.verify(text, sig, key) for sig in signatures):
                raise Invalid(f"the cosignature of {nation} does not verify", field="note")
            checkpoint_store.add_cosignature(
                tx.conn, size, nation, signatures[-1].line().rstrip("\n"), self.clock.now()
            )
