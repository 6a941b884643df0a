"""A process running the intelligence indexer (services/intel_index.py) as a server does (its follower
of the event log) until it has reached a given event position. Run by
tests/integration/test_intel_index.py:

    python -m tests.integration.intel_index_worker URL LAST_POSITION CRASH_BATCH

Batches take two publications each. With CRASH_BATCH > 0 it prints `MID` once that batch's work is
done (text indexed, correlations recorded and announced, nothing committed) and waits there to be
killed."""

from __future__ import annotations

import sys
import time

from concord.clock import SystemClock
from concord.services.follow import Followers, Progress
from concord.services.intel_index import IntelIndexer
from concord.storage.db import Database, Tx
from tests.integration.follower_until import follow_until


class _Crashing(IntelIndexer):
    def __init__(self, db: Database, crash_batch: int) -> None:
        self.crash_batch = crash_batch
        self.batches = 0
        super().__init__(db, SystemClock(), batch_events=2)

    def work(self, tx: Tx, position: int, latest: int) -> Progress:
        progress = super().work(tx, position, latest)
        self.batches += 1
        if self.batches == self.crash_batch:
            print("MID", flush=True)
            time.sleep(120)  # killed here, the batch's work done and not committed
        return progress


def main(url: str, last: int, crash_batch: int) -> None:
    db = Database(url)
    indexer = _Crashing(db, crash_batch)
    follow_until(lambda bus: indexer.follower(bus, Followers(), poll_seconds=0.1), last)
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
