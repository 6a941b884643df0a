"""A second process that validates big envelopes and imports while this one writes them.

Validating STIX and deriving what ingest needs (domain/intel_prepare.py) is pure Python and, on a
1,000-object TAXII envelope, cost as much as all the database work. A process runs on one core, so
the two are split: the first chunk of a batch is prepared here, the rest in a worker process, so
chunk k+1 is being validated there while chunk k is written here. Objects cross as their JSON
text, and only the derived values come back (`intel_prepare.to_wire`).

The worker is spoken to over a plain pipe by the thread that needs it — no executor thread in
between, whose every hand-over would wait for the busy writer to release the GIL. It serves one
batch at a time; a batch arriving while it is busy is prepared here, as are small batches (the
round trip would cost more than it saves) and every batch on a machine with one core. If the
worker dies or stalls, the batch is finished here and the next big batch starts a new worker.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from concord.domain.intel_prepare import Outcome, from_wire, prepare, prepare_texts
from concord.domain.stix import RawItem

log = logging.getLogger(__name__)

#: Objects per chunk: small enough that the writer soon has work, large enough to amortise a round trip.
CHUNK = 200
#: A chunk the worker has not answered within this long means it is stuck: it is replaced.
STALL_SECONDS = 60.0


def available() -> bool:
    """A second core exists to run the worker on."""
    return (os.cpu_count() or 1) > 1


def warm() -> None:
    """Start the worker now rather than on the first big batch (for the served process)."""
    if available():
        _WORKER.start()


def chunks(items: Sequence[RawItem], *, use_worker: bool = True) -> Iterator[list[Outcome]]:
    """The outcomes of `items`, in order, a chunk at a time (each ready as soon as it is validated)."""
    if not use_worker or len(items) <= CHUNK or not available() or not _WORKER.busy.acquire(blocking=False):
        yield prepare(items)
        return
    try:
        yield from _WORKER.chunks(items)
    finally:
        _WORKER.busy.release()


def _serve(conn: Connection) -> None:
    """The worker's loop: (chunk size, texts) in, one message of wire outcomes per chunk out."""
    while True:
        try:
            size, texts = conn.recv()
        except (EOFError, OSError):
            return  # the parent has gone
        for start in range(0, len(texts), size):
            conn.send(prepare_texts(texts[start : start + size]))


class _Worker:
    def __init__(self) -> None:
        self.busy = threading.Lock()  # one batch at a time
        self._start_lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None

    def start(self) -> Connection:
        with self._start_lock:
            if self._conn is None or self._process is None or not self._process.is_alive():
                # spawn, never fork: this process runs threads (the server's), which fork would copy mid-step.
                context = multiprocessing.get_context("spawn")
                ours, theirs = context.Pipe()
                process = context.Process(target=_serve, args=(theirs,), name="concord-validation", daemon=True)
                process.start()
                theirs.close()
                self._process, self._conn = process, ours
            return self._conn

    def chunks(self, items: Sequence[RawItem]) -> Iterator[list[Outcome]]:
        first, rest = items[:CHUNK], items[CHUNK:]
        parts = [rest[i : i + CHUNK] for i in range(0, len(rest), CHUNK)]
        conn: Connection | None
        try:
            conn = self.start()
            conn.send((CHUNK, [item.text for item in rest]))
        except (OSError, EOFError, ValueError) as error:
            self._discard(error)
            conn = None
        answered = 0
        try:
            yield prepare(first)
            for part in parts:
                wires = None
                if conn is not None:
                    try:
                        if not conn.poll(STALL_SECONDS):
                            raise TimeoutError(f"no answer within {STALL_SECONDS:.0f} s")
                        wires = conn.recv()
                        answered += 1
                    except (OSError, EOFError, TimeoutError) as error:
                        self._discard(error)
                        conn = None
                if wires is None:
                    yield prepare(part)
                else:
                    yield [from_wire(w, item) for w, item in zip(wires, part, strict=True)]
        finally:
            if conn is not None and answered < len(parts):
                self._discard(RuntimeError("batch abandoned"))  # its answers must not reach the next batch

    def _discard(self, error: BaseException) -> None:
        log.warning("validation worker replaced, validating in process meanwhile: %s", error)
        with self._start_lock:
            process, conn, self._process, self._conn = self._process, self._conn, None, None
        if conn is not None:
            conn.close()
        if process is not None and process.is_alive():
            process.kill()
            process.join(timeout=5)


_WORKER = _Worker()
