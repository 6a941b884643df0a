"""Acknowledgement of FLASH and IMMEDIATE messages and their escalation when overdue (driven by the
clock). Who the on-duty watch officer is comes from the duty roster (`storage.duty`)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from concord.clock import Clock, iso
from concord.domain import acknowledgements as acks
from concord.domain.errors import Forbidden, StateConflict
from concord.domain.people import Actor, Role
from concord.services.channels import participant
from concord.services.messages import MessagingService
from concord.storage import acknowledgements as store
from concord.storage import channels as channel_store
from concord.storage import duty as duty_store
from concord.storage import messages as message_store
from concord.storage import people as people_store
from concord.storage import receipts as receipt_store
from concord.storage.db import Database
from concord.storage.events import append_event

log = logging.getLogger(__name__)


class AcknowledgementService:
    def __init__(self, db: Database, clock: Clock, messaging: MessagingService) -> None:
        self.db = db
        self.clock = clock
        self.messaging = messaging
        self.channels = messaging.channels

    @property
    def policy(self) -> acks.AckPolicy:
        return self.messaging.policy

    def acknowledge(self, actor: Actor, message_id: int) -> acks.NationAck:
        now = self.clock.now()
        with self.db.write() as tx:
            message = self.messaging.message_for(tx.conn, actor.reader, message_id)
            channel = channel_store.get_channel(tx.conn, message.channel_id)
            assert channel is not None
            owed = store.acks_of(tx.conn, message_id, for_update=True)
            on_duty = duty_store.is_on_duty(tx.conn, actor.person_id, actor.nation, now)
            nation = acks.acknowledging_nation(self.policy, message, channel, participant(actor), on_duty=on_duty,
                                               owed=owed)
            entry = acks.acknowledge(next(e for e in owed if e.nation == nation), actor.person_id, now)
            rest = [entry if e.nation == nation else e for e in owed]
            store.save_nation_ack(tx.conn, entry)
            store.set_next_check(tx.conn, message_id, acks.next_check(self.policy, message, rest))
            receipt_store.advance_marker(tx.conn, actor.person_id, message.channel_id, read=message_id, at=now)
            self.channels.emit(tx, channel, kind="message.acknowledged", item_type="message", item_id=message_id,
                               marking=message.marking, actor=actor, now=now,
                               payload={"message_id": message_id, "channel_id": message.channel_id,
                                        "nation": nation, "acknowledged_by": actor.person_id,
                                        "acknowledged_at": iso(now), "precedence": message.precedence.name})
            return entry

    def state(self, actor: Actor, message_id: int) -> dict[str, Any]:
        """Per owing nation: status and who acknowledged; per recipient: delivered / read / acknowledged."""
        now = self.clock.now()
        with self.db.read() as conn:
            message = self.messaging.message_for(conn, actor.reader, message_id)
            owed = store.acks_of(conn, message_id)
            markers = receipt_store.markers_for_channel(conn, message.channel_id)
            channel = channel_store.get_channel(conn, message.channel_id)
            assert channel is not None
            on_duty = duty_store.is_on_duty(conn, actor.person_id, actor.nation, now)
            acked_nations = {e.nation: e for e in owed if e.acknowledged}
            nations_of = {p.id: p.nation for p in (people_store.get_person(conn, pid) for pid in markers) if p}
        try:  # whether the reader would be let acknowledge now (the screen offers the button only then)
            acks.acknowledging_nation(self.policy, message, channel, participant(actor), on_duty=on_duty, owed=owed)
            may_acknowledge = True
        except (Forbidden, StateConflict):
            may_acknowledge = False
        deadline = self.policy.deadline(message)
        recipients = []
        for person_id, marker in sorted(markers.items()):
            if person_id == message.author_id:
                continue
            nation = nations_of.get(person_id)
            ack = acked_nations.get(nation or "")
            recipients.append({
                "person_id": person_id, "nation": nation,
                "delivered": marker["delivered_through"] >= message_id,
                "read": marker["read_through"] >= message_id,
                "acknowledged": ack is not None and ack.acknowledged_by == person_id,
            })
        return {
            "message_id": message_id, "precedence": message.precedence.name,
            "deadline": iso(deadline) if deadline and owed else None,
            "nations": [{"nation": e.nation, "status": acks.status(self.policy, message, e, now),
                         "acknowledged_by": e.acknowledged_by,
                         "acknowledged_at": iso(e.acknowledged_at) if e.acknowledged_at else None,
                         "escalations": e.escalations} for e in owed],
            "recipients": recipients,
            "may_acknowledge": may_acknowledge,
        }

    # ----------------------------------------------------------------------------- escalation
    def escalate_due(self) -> int:
        """Raise every escalation due now; returns how many. Safe to run in several processes."""
        now = self.clock.now()
        raised = 0
        with self.db.read() as conn:
            due_ids = [m.id for m in store.messages_due(conn, now)]
        for message_id in due_ids:
            assert message_id is not None
            with self.db.write() as tx:
                message = message_store.get_message(tx.conn, message_id)
                if message is None:
                    continue
                owed = store.acks_of(tx.conn, message_id, for_update=True)
                commanders = {e.nation: people_store.holders_of(tx.conn, e.nation, Role.COMMANDER, now) for e in owed}
                escalations = acks.due_escalations(self.policy, message, owed, now, commanders)
                updated = {e.nation: e for e in owed}
                for escalation in escalations:
                    updated[escalation.nation] = acks.record_escalation(updated[escalation.nation], escalation, now)
                for escalation in escalations:
                    store.save_nation_ack(tx.conn, updated[escalation.nation])
                store.set_next_check(tx.conn, message_id, acks.next_check(self.policy, message, list(updated.values())))
                channel = channel_store.get_channel(tx.conn, message.channel_id)
                assert channel is not None
                for escalation in escalations:
                    payload = {"message_id": message_id, "channel_id": message.channel_id,
                               "nation": escalation.nation, "level": escalation.level,
                               "due_at": iso(escalation.due_at), "precedence": message.precedence.name,
                               "body": message.body}
                    for person_id in sorted(escalation.notify):
                        append_event(tx, at=now, kind="message.escalated", item_type="message", item_id=message_id,
                                     marking=message.marking, payload=payload, recipient_id=person_id)
                    # Re-notify everyone who receives the message that it still awaits this nation.
                    self.channels.emit(tx, channel, kind="message.ack_overdue", item_type="message",
                                       item_id=message_id, marking=message.marking, actor=None, now=now,
                                       payload=payload)
                raised += len(escalations)
        return raised

    async def run_escalations(self, every: float = 5.0) -> None:
        """Background loop (one per server process; the units of work make duplicates harmless)."""
        while True:
            try:
                await asyncio.to_thread(self.escalate_due)
            except Exception:  # keep the loop alive; the next tick retries
                log.exception("escalation tick failed")
            await asyncio.sleep(every)
