"""RFI use cases, the overdue notices and the per-nation figures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from concord.clock import Clock
from concord.domain import rfis as rules
from concord.domain.errors import Invalid
from concord.domain.markings import Marking, can_see
from concord.domain.ownership import Kind, require_owner
from concord.domain.people import Actor, Role
from concord.domain.rfi_duplicates import PossibleDuplicate, possible_duplicates
from concord.domain.rfis import Answer, NationFigures, Rfi
from concord.storage import nations as nation_store
from concord.storage import rfis as store
from concord.storage.db import Database, Tx
from concord.storage.events import append_event

log = logging.getLogger("concord.rfis")

#: Who asks and answers RFIs. Observers read; administrators manage accounts only.
RFI_ROLES = (Role.COMMANDER, Role.LIAISON_OFFICER, Role.ANALYST)
OVERDUE_SCAN_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Submitted:
    rfi: Rfi
    possible_duplicates: list[tuple[PossibleDuplicate, str]]  # (hint, subject)


class RfiService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # --- reads ----------------------------------------------------------------------------------
    def get(self, actor: Actor, rfi_id: int) -> Rfi:
        with self.db.read() as conn:
            return store.get_rfi(conn, actor.reader, rfi_id)

    def visible(self, actor: Actor, *, box: str = "all", status: str | None = None) -> list[Rfi]:
        if box not in ("all", "inbox", "outbox"):
            raise Invalid("box is inbox, outbox or all", field="box")
        with self.db.read() as conn:
            return store.list_rfis(conn, actor.reader, box=box, status=status)

    def duplicates(self, actor: Actor, subject: str, question: str,
                   exclude: int | None = None) -> list[tuple[PossibleDuplicate, str]]:
        """Open RFIs the actor may see whose text is close to this one (best first)."""
        with self.db.read() as conn:
            candidates = [r for r in store.list_rfis(conn, actor.reader, open_only=True) if r.id != exclude]
        by_id = {r.id: r for r in candidates if r.id is not None}
        hints = possible_duplicates(f"{subject}\n{question}",
                                    [(i, r.text_for_matching()) for i, r in by_id.items()])
        return [(h, by_id[h.rfi_id].subject) for h in hints]

    def figures(self, actor: Actor) -> list[NationFigures]:
        """Per-nation figures over the RFIs the actor may see."""
        with self.db.read() as conn:
            visible = store.list_rfis(conn, actor.reader, limit=100_000)
            nations = [n.code for n in nation_store.list_nations(conn)]
        now = self.clock.now()
        return [rules.figures(visible, nation, now) for nation in nations]

    # --- changes --------------------------------------------------------------------------------
    def submit(self, actor: Actor, raw: Mapping[str, Any]) -> Submitted:
        actor.require(*RFI_ROLES, action="submitting an RFI")
        now = self.clock.now()
        rfi = rules.submit(raw, actor.nation, actor.person_id, now)
        if not can_see(actor.reader, rfi.marking):
            raise Invalid("you may not mark an item above your own clearance", field="marking.level")
        with self.db.write() as tx:
            self._check_recipients_known(tx, rfi.recipients)
            rfi_id = store.add_rfi(tx.conn, rfi)
            self._event(tx, actor, "rfi.submitted", rfi_id, rfi.marking, {
                "subject": rfi.subject, "requester": rfi.requester, "recipients": sorted(rfi.recipients),
                "priority": rfi.priority.value, "ltiov": rfi.ltiov.isoformat()})
        hints = self.duplicates(actor, rfi.subject, rfi.question, exclude=rfi_id)
        return Submitted(self.get(actor, rfi_id), hints)

    def accept(self, actor: Actor, rfi_id: int) -> Rfi:
        return self._change(actor, rfi_id, lambda r: rules.accept(r, actor.nation, self.clock.now()),
                            "rfi.accepted", "accepting an RFI")

    def reject(self, actor: Actor, rfi_id: int, reason: Any) -> Rfi:
        return self._change(actor, rfi_id, lambda r: rules.reject(r, actor.nation, reason, self.clock.now()),
                            "rfi.rejected", "rejecting an RFI")

    def answer(self, actor: Actor, rfi_id: int, text: Any, marking: Any) -> Rfi:
        actor.require(*RFI_ROLES, action="answering an RFI")
        now = self.clock.now()
        with self.db.write() as tx:
            before = store.get_rfi(tx.conn, actor.reader, rfi_id)
            after = rules.answer(before, actor.nation, actor.person_id, text, marking, now)
            new: Answer = after.answers[-1]
            if not can_see(actor.reader, new.marking):
                raise Invalid("you may not mark an answer above your own clearance",
                              field="answer_marking.level")
            store.save_rfi(tx.conn, after, before.version, now, new_answer=new)
            # The answer's event carries the answer's marking: only those who may read it learn of it.
            self._event(tx, actor, "rfi.answered", rfi_id, new.marking,
                        {"status": after.status.value, "nation": actor.nation})
        return self.get(actor, rfi_id)

    def close(self, actor: Actor, rfi_id: int) -> Rfi:
        def change(rfi: Rfi) -> Rfi:
            require_owner(actor, rfi.requester, Kind.RFI, action="close it")
            return rules.close(rfi, actor.nation, self.clock.now())
        return self._change(actor, rfi_id, change, "rfi.closed", "closing an RFI")

    def withdraw(self, actor: Actor, rfi_id: int) -> Rfi:
        def change(rfi: Rfi) -> Rfi:
            require_owner(actor, rfi.requester, Kind.RFI, action="withdraw it")
            return rules.withdraw(rfi, actor.nation, self.clock.now())
        return self._change(actor, rfi_id, change, "rfi.withdrawn", "withdrawing an RFI")

    def notify_overdue(self) -> int:
        """Tell both sides, once, about each RFI whose LTIOV passed unanswered; returns how many."""
        now = self.clock.now()
        with self.db.write() as tx:
            overdue = store.overdue_unnotified(tx.conn, now)
            for rfi in overdue:
                notified = rules.mark_overdue_notified(rfi, now)
                store.save_rfi(tx.conn, notified, rfi.version, now)
                append_event(tx, at=now, kind="rfi.overdue", item_type="rfi", item_id=str(rfi.id),
                             marking=rfi.marking, payload={
                                 "subject": rfi.subject, "requester": rfi.requester,
                                 "owing": sorted(rfi.owing()), "ltiov": rfi.ltiov.isoformat()})
        return len(overdue)

    async def overdue_loop(self) -> None:
        """The background task a server runs: scan for overdue RFIs every minute."""
        while True:
            try:
                await asyncio.to_thread(self.notify_overdue)
            except Exception:  # a failed scan is logged and retried; it must not end the loop
                log.exception("overdue RFI scan failed")
            await asyncio.sleep(OVERDUE_SCAN_SECONDS)

    # --- helpers --------------------------------------------------------------------------------
    def _change(self, actor: Actor, rfi_id: int, change: Callable[[Rfi], Rfi], kind: str, action: str) -> Rfi:
        actor.require(*RFI_ROLES, action=action)
        now = self.clock.now()
        with self.db.write() as tx:
            before = store.get_rfi(tx.conn, actor.reader, rfi_id)
            after = change(before)
            store.save_rfi(tx.conn, after, before.version, now)
            self._event(tx, actor, kind, rfi_id, after.marking,
                        {"status": after.status.value, "nation": actor.nation,
                         **({"reason": after.taskings[actor.nation].reason}
                            if kind == "rfi.rejected" else {})})
        return self.get(actor, rfi_id)

    @staticmethod
    def _check_recipients_known(tx: Tx, recipients: frozenset[str]) -> None:
        known = {n.code for n in nation_store.list_nations(tx.conn)}
        unknown = sorted(recipients - known)
        if unknown:
            raise Invalid(f"{', '.join(unknown)} is not a partner nation of this centre", field="recipients")

    def _event(self, tx: Tx, actor: Actor, kind: str, rfi_id: int, marking: Marking,
               payload: dict[str, Any]) -> None:
        append_event(tx, at=self.clock.now(), kind=kind, item_type="rfi", item_id=rfi_id, marking=marking,
                     payload=payload, actor_id=actor.person_id, actor_nation=actor.nation)
