"""Intelligence sharing: TAXII 2.1 ingest and paging, Concord side by side with medallion.

Both servers are driven by the same OASIS client (`taxii2-client`) in the same run, on loopback:

* ingest — envelopes of 1,000 indicators until 20,000 are stored, each add waited on until its
  status resource says complete;
* paging — a whole collection of 4,000 objects read page by page (limit 1,000);
* index lag — while Concord ingests at that rate, the time from each envelope's `complete` until
  the indexer that follows the event log (services/intel_index.py) has indexed it (p99);
* index catch-up — the indexer's own rate over a store loaded without it, beside the ingest rate.

`CONCORD_BENCH_INTEL_PARTS` (comma-separated: ingest, paging, index, scale; all by default) runs
only some sections, e.g. the ingest rows and their floors in one run without the 1M-object scale.

Beside ingest, the floors under it on this machine in the same run (bench/intel_floor.py): what
storing the same rows costs bare sqlite3, and what the same client costs against a server that
only parses and answers.

medallion (the OASIS reference TAXII 2.1 server) runs with its memory backend from a generated
data file, through its own CLI (the Flask development server), with `max_page_size` raised to 1,000.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import requests
from taxii2client.common import _HTTPConnection
from taxii2client.v21 import Collection, as_pages

from bench.harness import Row
from bench.intel_floor import floors
from bench.intel_servers import BENCH_USER, Server, concord_postgres_server, concord_server, medallion, prepare_centre

PAGE = 1000
ENVELOPE = 1000
REQUEST_TIMEOUT = 300  # seconds; taxii2-client has none of its own


# --- data -------------------------------------------------------------------------------------


def indicators(count: int, seed: int = 0, marking_refs: list[str] | None = None) -> list[dict[str, Any]]:
    """`count` distinct, valid STIX 2.1 indicators (documentation-range addresses, fictional)."""
    out = []
    for i in range(count):
        n = seed * 10_000_000 + i
        ts = f"2026-01-{1 + (i % 28):02d}T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}.000Z"
        obj: dict[str, Any] = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.UUID(int=(seed << 96) | i, version=4)}",
            "created": ts,
            "modified": ts,
            "name": f"Bench indicator {n}",
            "indicator_types": ["malicious-activity"],
            "pattern": f"[ipv4-addr:value = '10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}']",
            "pattern_type": "stix",
            "valid_from": ts,
        }
        if marking_refs:
            obj["object_marking_refs"] = marking_refs
        out.append(obj)
    return out


# --- clients ----------------------------------------------------------------------------------


def collection(url: str, user: str, password: str) -> Collection:
    conn = _HTTPConnection(user, password, version="2.1")
    conn.session.request = partial(conn.session.request, timeout=REQUEST_TIMEOUT)  # type: ignore[method-assign]
    return Collection(url, conn=conn)


def measure_ingest(target: Collection, objects: list[dict[str, Any]], lag: IndexLag | None = None) -> float:
    """Objects per second until every envelope's status is complete (each one's index lag measured
    by `lag` beside it, when given)."""
    start = time.perf_counter()
    for i in range(0, len(objects), ENVELOPE):
        status = target.add_objects(
            {"objects": objects[i : i + ENVELOPE]}, wait_for_completion=True, poll_interval=0.05
        )
        if status.status != "complete" or status.success_count != len(objects[i : i + ENVELOPE]):
            raise RuntimeError(f"ingest failed: {status.status} {status.failure_count} failures {status.failures[:2]}")
        if lag is not None:
            lag.completed()
    return len(objects) / (time.perf_counter() - start)


class IndexLag:
    """The time from an envelope's `complete` until the indexer's durable position covers the event
    log as it stood then, read from the server's SQLite file by a thread beside the client."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.samples: list[float] = []
        self._pending: queue.Queue[tuple[float, int] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _read(self, sql: str) -> int:
        with contextlib.closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30)) as db:
            return int(db.execute(sql).fetchone()[0] or 0)

    def completed(self) -> None:
        self._pending.put((time.perf_counter(), self._read("SELECT max(position) FROM events")))

    def _watch(self) -> None:
        while (item := self._pending.get()) is not None:
            at, target = item
            while self._read("SELECT position FROM follower_positions WHERE name = 'intel-index'") < target:
                time.sleep(0.005)
            self.samples.append(time.perf_counter() - at)

    def finish(self) -> list[float]:
        self._pending.put(None)
        self._thread.join(timeout=600)
        return self.samples


def measure_paging(target: Collection, expected: int) -> float:
    """Objects per second reading the whole collection page by page."""
    start = time.perf_counter()
    seen = 0
    for envelope in as_pages(target.get_objects, per_request=PAGE):
        seen += len(envelope.get("objects", []))
    elapsed = time.perf_counter() - start
    if seen != expected:
        raise RuntimeError(f"paging returned {seen} objects, expected {expected}")
    return seen / elapsed


def measure(server_factory: Callable[[], contextlib.AbstractContextManager[Server]], quick: bool,
            parts: set[str]) -> dict[str, float]:
    """Ingest and paging figures for one server (a fresh server for each figure)."""
    from bench.harness import percentile

    ingest_count = 2_000 if quick else 20_000
    paging_count = 1_000 if quick else 4_000
    out: dict[str, float] = {"ingest_count": ingest_count, "paging_count": paging_count}
    if "ingest" in parts:
        with server_factory() as server:
            target = collection(server.collection_url, server.user, server.password)
            lag = IndexLag(server.database) if server.database is not None else None
            out["ingest"] = measure_ingest(target, indicators(ingest_count, seed=1), lag)
            if lag is not None:
                samples = lag.finish()
                out["lag_p99"], out["lag_p50"] = percentile(samples, 99), percentile(samples, 50)
    if "paging" in parts:
        with server_factory() as server:
            target = collection(server.collection_url, server.user, server.password)
            measure_ingest(target, indicators(paging_count, seed=2))
            out["paging"] = measure_paging(target, paging_count)
    return out




def _load(centre: Any, username: str, objects: list[dict[str, Any]]) -> float:
    """Objects per second stored through the service (no HTTP), in batches of ENVELOPE, with the
    collector set as the served process and `concord intel import` set it."""
    from concord import collector
    from concord.domain.stix import split_objects

    actor = centre.people.actor_named(username)
    with collector.bulk_work():
        start = time.perf_counter()
        for i in range(0, len(objects), ENVELOPE):
            _members, items = split_objects(json.dumps({"objects": objects[i : i + ENVELOPE]}))
            result = centre.intel.import_batch(actor, items)
            if result.failures:
                raise RuntimeError(f"load refused objects: {result.failures[:2]}")
        return len(objects) / (time.perf_counter() - start)


def measure_index(quick: bool) -> dict[str, float]:
    """The indexer's rate against the ingest rate, and the correlation index's size against the values.

    A store is loaded through the ingest path (which no longer indexes) and the indexer then catches
    up over all of it in one go (`IntelIndexer.catch_up`, what a server's follower does after a
    `concord intel import`): its rate must be at least the ingest rate, or a steady feed would leave
    search further behind every minute. One in ten objects repeats a value the other nation holds.
    """
    from concord.domain.observables import extract

    count = 2_000 if quick else 20_000
    theirs = indicators(count // 2, seed=7)
    ours = indicators(count, seed=8)
    for i in range(0, count, 10):  # one in ten of ours repeats a value IRQ already holds
        ours[i]["pattern"] = theirs[(i // 10) % len(theirs)]["pattern"]
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        centre = prepare_centre(Path(tmp))
        _load(centre, "irq.bench", theirs)
        ingest = _load(centre, BENCH_USER, ours)
        started = time.perf_counter()
        centre.intel_index.catch_up()
        indexing = (len(theirs) + len(ours)) / (time.perf_counter() - started)
        with sqlite3.connect(f"{tmp}/concord.db") as db:
            index_bytes = db.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'intel_observables'").fetchone()[0]
            entries = db.execute("SELECT count(*) FROM intel_observables").fetchone()[0]
            correlations = db.execute("SELECT count(*) FROM intel_correlations").fetchone()[0]
        value_bytes = sum(len(o.value.encode()) for obj in theirs + ours for o in extract(obj))
        centre.close()
    return {"ingest": ingest, "indexing": indexing, "index_ratio": index_bytes / value_bytes, "entries": entries,
            "correlations": correlations, "count": len(theirs) + len(ours)}


def measure_scale(quick: bool) -> dict[str, float]:
    """Concord alone at scale: filtered GET p95, full paging rate, server peak memory."""
    import random

    from bench.harness import percentile

    count = 20_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        directory = Path(tmp)
        centre = prepare_centre(directory)
        for start in range(0, count, 50_000):
            _load(centre, BENCH_USER, indicators(min(50_000, count - start), seed=100 + start // 50_000))
        centre.intel_index.catch_up()  # the store as a running centre holds it: indexed
        centre.close()
        with concord_server(directory) as server:
            target = collection(server.collection_url, server.user, server.password)
            manifest = target.get_manifest(limit=1)
            first_added = manifest["objects"][0]["date_added"]
            rng = random.Random(5)
            session = requests.Session()
            session.auth = (server.user, server.password)
            headers = {"Accept": "application/taxii+json;version=2.1"}
            stamps = [first_added]
            page = session.get(server.collection_url + "manifest/", headers=headers, params={"limit": 1000}).json()
            stamps += [m["date_added"] for m in page.get("objects", [])]
            samples = []
            for _ in range(50 if quick else 200):
                params = {"match[type]": "indicator", "added_after": rng.choice(stamps), "limit": 100}
                started = time.perf_counter()
                reply = session.get(server.collection_url + "objects/", headers=headers, params=params)
                samples.append(time.perf_counter() - started)
                reply.raise_for_status()
            paging = measure_paging(target, count)
            rss = _peak_rss_mb(server.process.pid)
    return {"p95_ms": percentile(samples, 95) * 1000, "paging": paging, "rss_mb": rss, "count": count}


def _peak_rss_mb(pid: int) -> float:
    """Peak resident memory of the server and its child processes (the validation worker), summed."""
    total = 0.0
    for process in (pid, *_children(pid)):
        for line in Path(f"/proc/{process}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = task / "children"
        if children.exists():
            found += [int(c) for c in children.read_text().split()]
    return found


PARTS = ("ingest", "paging", "index", "scale")


def run(quick: bool) -> list[Row]:
    parts = {p.strip() for p in os.environ.get("CONCORD_BENCH_INTEL_PARTS", ",".join(PARTS)).split(",")}
    peer = measure(medallion, quick, parts)
    ours = measure(concord_server, quick, parts)
    # The production store: ingest only (paging and the index rows are the SQLite server's).
    on_postgres = measure(concord_postgres_server, quick, parts & {"ingest"}) if "ingest" in parts else {}
    ingest_n, paging_n = int(ours["ingest_count"]), int(ours["paging_count"])
    rows: list[Row] = []
    if "ingest" in parts:
        floor = floors(indicators(ingest_n, seed=1), ENVELOPE)
        rows += [
            Row(f"TAXII add with taxii2-client, envelopes of {ENVELOPE} until {ingest_n:,} stored", ours["ingest"],
                peer["ingest"], "objects/s", ">= 20x medallion", peer_name="medallion"),
            # The ceiling of the row above on this machine, in the same run (bench/intel_floor.py).
            *(Row(f"  floor: {label}", floor[key], peer["ingest"], "objects/s", "context", peer_name="medallion")
              for key, label in (
                  ("storage", "Concord's acknowledged rows for those envelopes written by bare sqlite3 "
                              "(no Python, no HTTP)"),
                  ("http", "taxii2-client adding them to a server that only parses and answers"),
                  ("both", "both together (a server whose own work took no time)"),
              )),
            Row("  TAXII add as a share of the \"both\" floor", ours["ingest"], floor["both"], "objects/s",
                ">= 80 % (ratio >= 0.8)", peer_name="both floors"),
            # Issue 16: PostgreSQL writers lock only their objects; versions are ordered after commit.
            Row("  the same on PostgreSQL", on_postgres["ingest"], peer["ingest"], "objects/s", ">= 10x medallion",
                peer_name="medallion"),
            Row("Index lag while ingesting at that rate, p99 (complete → searchable)", ours["lag_p99"] * 1000, None,
                "ms", "< 2,000 ms", higher_is_better=False),
            Row("Index lag while ingesting, p50", ours["lag_p50"] * 1000, None, "ms", "context",
                higher_is_better=False),
        ]
    if "paging" in parts:
        rows.append(Row(f"TAXII read all pages (limit {PAGE}) at {paging_n:,} stored", ours["paging"],
                        peer["paging"], "objects/s", ">= 100x medallion", peer_name="medallion"))
    if "index" in parts:
        index = measure_index(quick)
        rows += [
            Row(f"Indexer catching up over {int(index['count']):,} objects (text, values, "
                f"{int(index['correlations']):,} correlations)", index["indexing"], index["ingest"], "objects/s",
                ">= the ingest rate (ratio >= 1)", peer_name="ingest, same store"),
            Row(f"Correlation index size / size of the values ({int(index['entries']):,} entries)",
                index["index_ratio"], None, "x", "<= 3x", higher_is_better=False),
        ]
    if "scale" in parts:
        scale = measure_scale(quick)
        n = f"{int(scale['count']):,}"
        rows += [
            Row(f"Filtered GET (match[type] + added_after) p95 at {n} objects", scale["p95_ms"], None, "ms",
                "< 50 ms", higher_is_better=False),
            Row(f"Full paging at {n} objects", scale["paging"], None, "objects/s", ">= 20,000/s"),
            Row(f"Server peak resident memory at {n} objects (with its worker process)", scale["rss_mb"], None, "MB",
                "< 500 MB", higher_is_better=False),
        ]
    return rows
