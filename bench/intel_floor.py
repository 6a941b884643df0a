"""What ingest could reach if Concord's own Python cost nothing: the two floors under TAXII add.

The ingest target (20x medallion) is a ceiling question as much as a speed one, so the bench measures
the ceiling in the same run, with the same envelopes:

* storage floor: exactly the rows Concord's acknowledged transaction stores for the envelopes
  (objects, versions, one status resource; the full-text and correlation indexes follow after
  commit, services/intel_index.py), written by bare `sqlite3` into the migrated schema with
  Concord's pragmas, one durable transaction per envelope. The rows are built before the clock
  starts, so no validation, no parsing, no Python per object beyond the driver's.
* HTTP floor: the same `taxii2-client` adding the same envelopes to a TAXII server (uvicorn, like
  `concord serve`) that only parses the envelope and answers a complete status for it.

A server whose own work took no time would still spend both: 1 / (1/storage + 1/http).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.harness import free_port
from bench.intel_servers import BENCH_USER, Server, prepare_centre, wait_until_up
from bench.taxii_echo import COLLECTION

# --- storage ----------------------------------------------------------------------------------

def storage_floor(objects: list[dict[str, Any]], envelope: int) -> float:
    """Objects per second for bare sqlite3 writing the rows Concord stores for `objects`."""
    from bench.bench_intel import _load  # here, not at the top: bench_intel imports this module

    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        source, target = Path(tmp, "source"), Path(tmp, "target")
        centre = prepare_centre(source)
        _load(centre, BENCH_USER, objects)  # Concord decides what is stored …
        centre.close()
        prepare_centre(target).close()  # … and the same schema, empty, receives it
        with contextlib.closing(sqlite3.connect(source / "concord.db")) as db:
            tables = {name: _rows(db, name) for name in ("intel_objects", "intel_versions")}
        db = sqlite3.connect(target / "concord.db", isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):  # as storage/db.py
            db.execute(f"PRAGMA {pragma}")
        batches = _batches(tables, envelope)
        started = time.perf_counter()
        for _first, _last, batch, status in batches:
            db.execute("BEGIN IMMEDIATE")
            for statement, rows in batch.values():
                db.executemany(statement, rows)
            db.execute(_STATUS, status)
            db.execute("COMMIT")
        elapsed = time.perf_counter() - started
        db.close()
    return len(objects) / elapsed


def _rows(db: sqlite3.Connection, name: str) -> tuple[str, list[tuple[Any, ...]]]:
    """An INSERT for the table's stored columns (row ids left to SQLite, as ingest does) and its rows."""
    columns = [c[1] for c in db.execute(f"PRAGMA table_info({name})") if not (c[5] and c[1] == "id")]
    rows = db.execute(f"SELECT {', '.join(columns)} FROM {name} ORDER BY id").fetchall()  # noqa: S608
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})", rows  # noqa: S608


_STATUS = (
    "INSERT INTO intel_statuses (id, person_id, collection, request_timestamp, total, successes, failures)"
    " VALUES (?, 1, ?, '2026-01-01T00:00:00.000000Z', ?, ?, '[]')"
)


def _batches(
    tables: dict[str, tuple[str, list[tuple[Any, ...]]]], envelope: int
) -> list[tuple[int, int, dict[str, tuple[str, list[tuple[Any, ...]]]], tuple[Any, ...]]]:
    """Per envelope: the object id range, each table's rows for those objects (ids are 1..n) and
    the status resource's row (its successes list each object, as TAXII add's does)."""
    object_column = {"intel_versions": 0}  # where each row names its object
    count = len(tables["intel_objects"][1])
    out = []
    for start in range(0, count, envelope):
        first, last = start + 1, min(start + envelope, count)
        batch = {"intel_objects": (tables["intel_objects"][0], tables["intel_objects"][1][start:last])}
        for name, column in object_column.items():
            statement, rows = tables[name]
            batch[name] = (statement, [r for r in rows if first <= r[column] <= last])
        versions = batch["intel_versions"][1]
        successes = json.dumps([{"id": v[1], "version": v[4]} for v in versions])  # stix_id, version
        out.append((first, last, batch, (str(uuid.uuid4()), COLLECTION, len(versions), successes)))
    return out


# --- HTTP -------------------------------------------------------------------------------------


@contextlib.contextmanager
def echo_server() -> Iterator[Server]:
    """uvicorn serving `bench.taxii_echo` (parse the envelope, answer complete) on loopback."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.taxii_echo:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        cwd=Path(__file__).resolve().parent.parent,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        collection_url = f"{base}/taxii2/echo/collections/{COLLECTION}/"
        wait_until_up(collection_url, ("echo", "echo"), process)
        yield Server(base, collection_url, "echo", "echo", process)
    finally:
        process.terminate()
        process.wait(timeout=30)


def http_floor(objects: list[dict[str, Any]]) -> float:
    from bench.bench_intel import collection, measure_ingest

    with echo_server() as server:
        return measure_ingest(collection(server.collection_url, server.user, server.password), objects)


def floors(objects: list[dict[str, Any]], envelope: int) -> dict[str, float]:
    storage = storage_floor(objects, envelope)
    http = http_floor(objects)
    return {"storage": storage, "http": http, "both": 1 / (1 / storage + 1 / http)}
