"""A second process that validates big envelopes and imports while this one writes them.

Validating STIX and deriving what ingest needs (domain/intel_prepare.py) is pure Python and, on a
1,000-object TAXII envelope, cost as much as all the database work. A process runs on one core, so
the work is shared: a batch is cut into chunks; a worker process validates them from the front,
and chunk k+1 is being validated there while chunk k is written here. Whenever the writer would
otherwise wait for the worker, it validates a chunk itself, taken from the back — so the two meet
wherever their speeds (and the machine's other load) put them. Objects cross as their JSON text,
and only the derived values come back (`intel_prepare.to_wire`).

The worker is spoken to over a plain pipe by the thread that needs it — no executor thread in
between, whose every hand-over would wait for the busy writer to release the GIL — and is given at
most a few chunks, no more bytes than the pipe's buffers hold, so neither side can block the other.
It serves one batch at a time; a batch arriving while it is busy is prepared here, as are small
batches (the round trip would cost more than it saves) and every batch on a machine with one core.
If the worker dies or stalls, the batch is finished here and the next big batch starts a new worker.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import socket
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from concord.domain.intel_prepare import Outcome, from_wire, prepare, prepare_texts
from concord.domain.stix import RawItem

log = logging.getLogger(__name__)

#: Objects per chunk: small enough to share the work finely, large enough to amortise a round trip.
CHUNK = 100
#: The first chunk: the writer waits for it, so it is smaller.
FIRST = 50
#: Chunks the worker may hold at once (being validated, queued, or answered but not yet read) ...
AHEAD = 3
#: ... and their size, beyond the first, as a share of the pipe's buffer: the buffers must hold every
#: chunk sent and every answer not yet read, or this process and the worker could each wait for the
#: other to read. An answer is never larger than its chunk plus a little per object.
AHEAD_SHARE = 0.25
#: The buffer asked for each way (Linux grants up to net.core.wmem_max, 4 MiB by default).
PIPE_BUFFER = 4 * 1024 * 1024
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
    if not use_worker or len(items) <= 2 * CHUNK or not available() or not _WORKER.busy.acquire(blocking=False):
        yield prepare(items)
        return
    try:
        yield from _WORKER.chunks(items)
    finally:
        _WORKER.busy.release()


def parts_of(items: Sequence[RawItem]) -> list[Sequence[RawItem]]:
    """How a batch is cut: a small first chunk, so the writer starts early, then `CHUNK` at a time."""
    return [items[:FIRST], *(items[i : i + CHUNK] for i in range(FIRST, len(items), CHUNK))]


def _serve(conn: Connection) -> None:
    """The worker's loop: a chunk's texts in, its wire outcomes out."""
    while True:
        try:
            texts = conn.recv()
        except (EOFError, OSError):
            return  # the parent has gone
        conn.send(prepare_texts(texts))


class _Worker:
    def __init__(self) -> None:
        self.busy = threading.Lock()  # one batch at a time
        self._start_lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self.ahead_bytes = 0

    def start(self) -> Connection:
        with self._start_lock:
            if self._conn is None or self._process is None or not self._process.is_alive():
                # spawn, never fork: this process runs threads (the server's), which fork would copy mid-step.
                context = multiprocessing.get_context("spawn")
                ours, theirs = context.Pipe()
                self.ahead_bytes = int(min(_widen(ours), _widen(theirs)) * AHEAD_SHARE)
                process = context.Process(target=_serve, args=(theirs,), name="concord-validation", daemon=True)
                process.start()
                theirs.close()
                self._process, self._conn = process, ours
            return self._conn

    def chunks(self, items: Sequence[RawItem]) -> Iterator[list[Outcome]]:
        parts = parts_of(items)
        unsent = deque(range(len(parts)))  # the worker takes from the front, this process from the back
        sent: deque[int] = deque()  # given to the worker, answers due in this order
        done: dict[int, list[Outcome]] = {}
        sizes: dict[int, int] = {}  # bytes of each chunk sent
        in_flight = 0
        conn: Connection | None = None
        try:
            conn = self.start()
        except (OSError, ValueError) as error:
            self._discard(error)
        try:
            for wanted in range(len(parts)):
                while wanted not in done:
                    if conn is not None:
                        try:
                            while unsent and len(sent) < AHEAD:
                                texts = [item.text for item in parts[unsent[0]]]
                                size = sum(len(t.encode()) for t in texts)
                                if sent and in_flight + size > self.ahead_bytes:
                                    break
                                index = unsent.popleft()
                                conn.send(texts)
                                sent.append(index)
                                sizes[index] = size
                                in_flight += size
                            if sent and (conn.poll(0) or not unsent):
                                if not conn.poll(STALL_SECONDS):
                                    raise TimeoutError(f"no answer within {STALL_SECONDS:.0f} s")
                                index = sent.popleft()
                                in_flight -= sizes.pop(index)
                                done[index] = [from_wire(w, item) for w, item in zip(conn.recv(), parts[index],
                                                                                     strict=True)]
                                continue
                        except (OSError, EOFError, ValueError, TimeoutError) as error:
                            self._discard(error)
                            conn = None
                            unsent.extendleft(reversed(sent))  # what the worker had is prepared here
                            sent.clear()
                            in_flight = 0
                    # The worker has not answered yet: prepare a chunk here rather than wait.
                    index = unsent.pop() if unsent else wanted
                    done[index] = prepare(parts[index])
                yield done.pop(wanted)
        finally:
            if conn is not None and sent:
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


def _widen(conn: Connection) -> int:
    """Ask for a bigger send buffer on one end of the pipe; the size granted (the kernel's word)."""
    with socket.fromfd(conn.fileno(), socket.AF_UNIX, socket.SOCK_STREAM) as end:  # a duplicate of the fd
        with contextlib.suppress(OSError):  # refused: the default stays, and so does its smaller share
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, PIPE_BUFFER)
        return int(end.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))


_WORKER = _Worker()
