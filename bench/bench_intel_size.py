"""Intelligence as the store fills: reads and ingest at 10k, 100k and 1M stored, on SQLite and PostgreSQL.

One centre per store is filled through the real ingest path (`IntelService.import_batch`, what
`concord intel import` and a TAXII envelope run: validation, derived values, events, audit) in
envelopes of 1,000 indicators, and after each fill the indexer (services/intel_index.py) catches up
over what was added, as a server's follower would: its rate is given beside the fill's ingest rate.
At each size, with the same centre, the reads the TAXII and REST endpoints run for one nation's
analyst in their own feed are timed through the read service (the HTTP and JSON layers cost the
same at any size and are timed in bench_intel beside medallion):

* by id — a TAXII object read (latest version) of a random stored id;
* `match[id]` — five random ids in one page, objects and manifest;
* versions — every version of a random id;
* filtered page — 100 objects of `match[type]=indicator` after a random `added_after`.

Ingest is the time of one more envelope at that size (median of three): the acknowledged
transaction, without the indexes that follow it. Each row gives the value at
the largest size beside the value at the smallest (the floor) and the growth per tenfold store;
reads flat in N grow by less than log N does (1.2 times from 100k to 1M, allowed 1.5 for this
shared machine's noise); ingest at the largest size stays within 1.5 times the smallest. A row that misses
says FAILS in its figure. The machine's load before and after each store's section is printed
(the table gives it for the whole section).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.bench_intel import ENVELOPE, indicators
from bench.harness import Row, throwaway_postgres
from bench.intel_servers import BENCH_USER, prepare_centre

SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000, 100_000)
READ_REPEAT = 200
NOISE = 1.25  # what this shared two-core machine's timing noise is allowed on top of log N


def envelope_items(seed: int) -> list[Any]:
    from concord.domain.stix import split_objects

    _members, items = split_objects(json.dumps({"objects": indicators(ENVELOPE, seed=seed)}))
    return items


@contextlib.contextmanager
def store(kind: str) -> Iterator[str]:
    """A database URL for a fresh, empty store of that kind, removed afterwards."""
    if kind == "PostgreSQL":
        with throwaway_postgres() as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="bench-size-") as directory:
        yield f"sqlite:///{directory}/concord.db"


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def measure_reads(centre: Any, actor: Any, stored: int, rng: random.Random) -> dict[str, float]:
    from concord.domain.intel import collection_id
    from concord.domain.intel_query import ObjectQuery, VersionMatch

    feed = collection_id("TUR")
    envelopes = stored // ENVELOPE

    def by_id() -> object:
        return centre.intel_read.page(actor, feed, ObjectQuery(), stix_id=_random_id(rng, envelopes))

    def match_ids(with_raw: bool) -> Callable[[], object]:
        def read() -> object:
            ids = frozenset(_random_id(rng, envelopes) for _ in range(5))
            return centre.intel_read.page(actor, feed, ObjectQuery(ids=ids), with_raw=with_raw)
        return read

    def versions() -> object:
        query = ObjectQuery(versions=VersionMatch(last=False, all=True))
        return centre.intel_read.page(actor, feed, query, stix_id=_random_id(rng, envelopes), with_raw=False)

    positions = _stored_positions(centre, stored, rng)

    def filtered_page() -> object:
        query = ObjectQuery(types=frozenset({"indicator"}), added_after=rng.choice(positions), limit=100)
        return centre.intel_read.page(actor, feed, query)

    return {
        "TAXII object by id": median_ms(by_id, READ_REPEAT),
        "TAXII objects match[id] (5 ids)": median_ms(match_ids(True), READ_REPEAT),
        "TAXII manifest match[id] (5 ids)": median_ms(match_ids(False), READ_REPEAT),
        "TAXII versions of an object": median_ms(versions, READ_REPEAT),
        "TAXII filtered page (type, added_after, 100)": median_ms(filtered_page, READ_REPEAT // 4),
    }


def _random_id(rng: random.Random, envelopes: int) -> str:
    """The STIX id of a random indicator of the fill (bench_intel.indicators' ids)."""
    seed, i = rng.randrange(envelopes), rng.randrange(ENVELOPE)
    return f"indicator--{uuid.UUID(int=(seed << 96) | i, version=4)}"


def _stored_positions(centre: Any, stored: int, rng: random.Random) -> list[str]:
    """`date_added` keys of random stored versions: `added_after` values that land inside the feed."""
    from sqlalchemy import select

    from concord.storage.intel import intel_versions

    rows = [rng.randrange(1, stored + 1) for _ in range(50)]
    with centre.db.read() as conn:
        found = conn.execute(select(intel_versions.c.date_added).where(intel_versions.c.id.in_(rows))).scalars()
        return [str(key) for key in found]


def fill(centre: Any, actor: Any, start: int, stop: int) -> None:
    for seed in range(start // ENVELOPE, stop // ENVELOPE):
        result = centre.intel.import_batch(actor, envelope_items(seed))
        if result.failures:
            raise RuntimeError(f"bench envelope {seed} refused: {result.failures[:1]}")


def measure_store(kind: str, sizes: tuple[int, ...]) -> list[Row]:
    from concord import collector

    rng = random.Random(7)
    load_before = os.getloadavg()[0]
    results: dict[str, dict[int, float]] = {}
    with store(kind) as url, tempfile.TemporaryDirectory(prefix="bench-size-data-") as data:
        centre = prepare_centre(Path(data), database_url=url)
        actor = centre.people.actor_named(BENCH_USER)
        try:
            stored = 0
            extra_seed = 1 << 20  # envelopes timed for ingest use ids apart from the fill's
            with collector.bulk_work():
                for size in sizes:
                    started = time.perf_counter()
                    fill(centre, actor, stored, size)
                    filled = time.perf_counter() - started
                    started = time.perf_counter()
                    centre.intel_index.catch_up()
                    caught_up = time.perf_counter() - started
                    rates = ((size - stored) / filled, (size - stored) / caught_up)
                    stored = size
                    centre.db.refresh_statistics()
                    print(f"  {kind}: {size:,} stored (filled in {filled:.0f} s, indexed in {caught_up:.0f} s)",
                          flush=True)
                    for figure, value in measure_reads(centre, actor, size, rng).items():
                        results.setdefault(figure, {})[size] = value
                    samples = []
                    for _ in range(3):
                        items = envelope_items(extra_seed)
                        extra_seed += 1
                        started = time.perf_counter()
                        centre.intel.import_batch(actor, items)
                        samples.append((time.perf_counter() - started) * 1000)
                    results.setdefault("ingest, one envelope of 1,000", {})[size] = statistics.median(samples)
                    centre.intel_index.catch_up()
        finally:
            centre.close()
    load_after = os.getloadavg()[0]
    print(f"  {kind}: load average {load_before:.2f} before, {load_after:.2f} after", flush=True)

    rows = [Row(f"indexer catching up over the last fill (to {_n(sizes[-1])}), {kind}", rates[1], rates[0],
                "objects/s", ">= the ingest rate (ratio >= 1)", peer_name="ingest of that fill")]
    small, large = sizes[0], sizes[-1]
    decades = math.log10(large / small)
    for figure, by_size in results.items():
        growth = (by_size[large] / by_size[small]) ** (1 / decades)  # per ×10 of the store
        if figure.startswith("ingest"):
            ok = by_size[large] <= 1.5 * by_size[small]
            target = f"at {_n(large)} ≤ 1.5× at {_n(small)}"
        else:
            log_growth = math.log(large) / math.log(large / 10)
            ok = growth <= log_growth * NOISE
            target = f"growth per ×10 ≤ {log_growth:.2f} (log N) ×{NOISE} noise"
        verdict = "" if ok else " — FAILS"
        rows.append(Row(f"{figure} at {_n(large)}, {kind}{verdict}", by_size[large], by_size[small], "ms", target,
                        higher_is_better=False, peer_name=f"at {_n(small)}"))
        rows.append(Row(f"{figure}, growth per ×10 of the store, {kind}{verdict}", growth, None, "×", target,
                        higher_is_better=False))
    return rows


def _n(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1_000}k"


def run(quick: bool = False) -> list[Row]:
    sizes = QUICK_SIZES if quick else SIZES
    return measure_store("SQLite", sizes) + measure_store("PostgreSQL", sizes)
