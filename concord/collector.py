"""CPython's garbage collector in the served process and in bulk work (imports).

Ingest builds about 10⁵ short-lived objects per 1,000-object envelope. With CPython's default
young-generation threshold (700 allocations) that runs hundreds of collections per envelope, each
walking the objects still being built — a fifth of ingest's time, measured on TAXII add — although
reference counting frees nearly all of them anyway. A collection every 100,000 allocations still
finds the rare cycle within milliseconds.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Young generation every 100,000 allocations; the older generations as CPython's defaults scale.
BULK_THRESHOLD = (100_000, 50, 100)


def settle_served_process() -> None:
    """For `concord serve`, once everything is built: what exists now lives as long as the process,
    so it moves out of the collector's sight (`gc.freeze`; otherwise every full collection walks it
    again, about a sixth of a bulk request's time), and the bulk threshold holds from then on.
    Only for a process that serves: tests build many apps and would keep each one alive."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*BULK_THRESHOLD)


@contextmanager
def bulk_work() -> Iterator[None]:
    """The bulk threshold for a stretch of work (an import), then the threshold from before."""
    before = gc.get_threshold()
    gc.set_threshold(*BULK_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)
