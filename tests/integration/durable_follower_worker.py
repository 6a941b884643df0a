"""A process running one durable follower (services/follow.py `durable_step`) until it has handled
every event up to a given id: each event it handles becomes a row of `handled_test`, whose primary
key makes handling an event twice an error. Run by tests/integration/test_durable_follower.py:

    python -m tests.integration.durable_follower_worker URL LAST_ID CRASH_BATCH PAUSE

With CRASH_BATCH > 0 it prints `MID` in the middle of that batch (rows written, nothing committed)
and waits there to be killed."""

from __future__ import annotations

import sys
import time

from sqlalchemy import select, text

from concord.clock import SystemClock
from concord.services.follow import Follower, Progress, durable, durable_step
from concord.storage.db import Database, Tx
from concord.storage.events import events
from tests.integration.follower_until import follow_until

NAME = "test-durable"
BATCH = 5


def main(url: str, last_id: int, crash_batch: int, pause: float) -> None:
    db = Database(url)
    batches = 0

    def work(tx: Tx, position: int, latest: int) -> Progress:
        nonlocal batches
        batches += 1
        ids = [int(i) for i in tx.conn.execute(
            select(events.c.id).where(events.c.id > position).order_by(events.c.id).limit(BATCH)).scalars()]
        for n, event_id in enumerate(ids):
            tx.conn.execute(text("INSERT INTO handled_test (event_id) VALUES (:e)"), {"e": event_id})
            if batches == crash_batch and n == 2:
                print("MID", flush=True)
                time.sleep(60)          # killed here, the batch half done
        time.sleep(pause)               # widens the window in which another process could interfere
        return Progress(ids[-1] if ids else position, more=len(ids) == BATCH)

    follow_until(lambda bus: Follower(NAME, bus, durable_step(db, NAME, work, SystemClock()), start=durable(db, NAME),
                                      poll_seconds=0.1), last_id)
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
