"""Deconfliction through the whole stack: start-up rebuild from storage, and a proposal over HTTP.

A SQLite centre is filled with 100,000 approved operations and 10,000 protected sites (fictional,
random over the region), then:

* the start-up rebuild: `DeconflictionService.rebuild()` reads every footprint from storage (WKB,
  one vectorised parse) and builds the index (target < 5 s);
* the API call: `POST /api/operations/{id}/propose` of a new draft, through authentication, the unit
  of work, the catch-up from the event log, the check, the conflict records and their events, and
  the response (target < 30 ms median).

No peer here: the engine's ratio against the naive check is in `bench_deconfliction`.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import insert

from bench.bench_deconfliction import EPOCH, _operations, _sites
from bench.harness import Row
from concord.app import create_app
from concord.centre import Centre
from concord.clock import FixedClock, iso
from concord.domain.geo import to_geojson
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.people import Role
from concord.settings import Settings
from concord.storage.operations import operations
from concord.storage.policy import marking_values
from concord.storage.sites import protected_sites

PASSWORD = "bench password 0123456789"  # noqa: S105 (a throwaway account in a temporary database)


def _fill(centre: Centre, n_ops: int, n_sites: int) -> None:
    rng = np.random.default_rng(5)
    marking = marking_values(Marking.build(Level.RESTRICTED, "TUR", ["IRQ"]))
    now = centre.clock.now()
    op_rows: list[dict[str, Any]] = []
    for fp in _operations(rng, n_ops, "operation"):
        assert fp.starts_at is not None and fp.ends_at is not None
        window = {"starts_at": iso(fp.starts_at), "ends_at": iso(fp.ends_at)}
        op_rows.append({
            "name": "Bench operation", "lead_nation": "TUR", "participants": "|IRQ|TUR|", "status": "approved",
            "version": 1, "starts_at": fp.starts_at, "ends_at": fp.ends_at,
            "altitude_low_m": fp.altitude[0] if fp.altitude else None,
            "altitude_high_m": fp.altitude[1] if fp.altitude else None,
            "area_wkb": shapely.to_wkb(fp.geometry),
            "plan": {"name": "Bench operation", "objective": "bench", "lead_nation": "TUR",
                     "participants": ["IRQ", "TUR"], "area": to_geojson(fp.geometry), "window": window,
                     "altitude": None, "phases": [], "forces": [], "tasks": [], "links": []},
            "created_by": None, "created_at": now, "updated_at": now, **marking,
        })
    site_rows = [{
        "kind": "school", "name": "Bench school", "geometry": to_geojson(fp.geometry),
        "geometry_wkb": shapely.to_wkb(fp.geometry), "buffer_m": fp.buffer_m, "starts_at": None, "ends_at": None,
        "notes": "", "status": "notified", "added_by": None, "added_at": now,
        **marking_values(Marking.build(Level.UNCLASSIFIED, "IRQ", ["TUR"], Tlp.CLEAR)),
    } for fp in _sites(rng, n_sites)]
    with centre.db.write() as tx:
        for start in range(0, len(op_rows), 5_000):
            tx.conn.execute(insert(operations), op_rows[start:start + 5_000])
        tx.conn.execute(insert(protected_sites), site_rows)


def _body(rng: np.random.Generator) -> dict[str, Any]:
    lon, lat = rng.uniform(38.0, 48.0), rng.uniform(33.0, 38.0)
    start = EPOCH + timedelta(hours=float(rng.uniform(0, 365 * 24)))
    area = {"type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.05, lat], [lon + 0.05, lat + 0.04],
                                                [lon, lat + 0.04], [lon, lat]]]}
    return {"name": "Bench proposal", "objective": "bench", "participants": ["IRQ", "TUR"], "area": area,
            "window": {"starts_at": iso(start), "ends_at": iso(start + timedelta(hours=48))}}


def run(quick: bool) -> list[Row]:
    n_ops, n_sites, n_calls = (10_000, 1_000, 20) if quick else (100_000, 10_000, 60)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}", data_dir=Path(tmp) / "data",
                            argon2_time_cost=1, argon2_memory_kib=8192, log_json=False)
        centre = Centre(settings, clock=FixedClock(EPOCH))
        centre.migrate()
        centre.nations.add("TUR", "Türkiye")
        centre.nations.add("IRQ", "Iraq")
        person_id = centre.people.create(None, username="tur.bench", display_name="Bench planner", nation="TUR",
                                         clearance=Level.SECRET, password=PASSWORD)
        centre.people.appoint(None, person_id=person_id, role=Role.LIAISON_OFFICER)
        _fill(centre, n_ops, n_sites)

        started = time.perf_counter()
        loaded = centre.deconfliction.rebuild()
        rebuild_s = time.perf_counter() - started

        rng = np.random.default_rng(9)
        samples, conflicts = [], 0
        with TestClient(create_app(centre=centre)) as client:
            token = client.post("/api/session", json={"username": "tur.bench", "password": PASSWORD}).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            for _ in range(n_calls):
                draft = client.post("/api/operations", json=_body(rng), headers=headers).json()
                started = time.perf_counter()
                response = client.post(f"/api/operations/{draft['id']}/propose", headers=headers)
                samples.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
                conflicts += response.json()["blocking_conflicts"]
        centre.close()
    size = f"{n_ops:,} ops + {n_sites:,} sites"
    return [
        Row(f"start-up rebuild from storage ({loaded:,} footprints, SQLite)", rebuild_s, None, "s", "< 5 s",
            higher_is_better=False),
        Row(f"POST /operations/{{id}}/propose, median ({size}; {conflicts / n_calls:.1f} conflicts/call)",
            statistics.median(samples) * 1e3, None, "ms", "< 30 ms", higher_is_better=False),
    ]
