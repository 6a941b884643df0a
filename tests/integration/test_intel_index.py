"""Search and correlation as indexes fed from the event log after commit (issue 18), on SQLite and
PostgreSQL: what an acknowledged publish guarantees at once, what follows it, how the lag shows,
and an indexer killed mid-batch (a real process, SIGKILL) that loses no correlation and announces
none twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from concord.app import create_app
from concord.centre import Centre
from concord.domain.markings import Level, Marking, Tlp
from concord.services.intel_index import NAME
from concord.services.intel_read import ListFilter
from concord.storage.events import events, latest_event_id
from concord.storage.follower_positions import load_position
from concord.storage.intel_correlation import intel_correlations
from tests.factories import ApiClient, person, sign_in
from tests.intel_factories import indexed, indicator

ROOT = Path(__file__).resolve().parents[2]
SHARED = {"level": "RESTRICTED", "releasable_to": ["IRQ", "TUR"], "tlp": "AMBER"}
OWN = {"level": "RESTRICTED", "releasable_to": [], "tlp": "AMBER"}


def _publish(api: ApiClient, objects: list[dict[str, Any]], marking: dict[str, Any]) -> list[dict[str, Any]]:
    reply = api.post("/api/intel/objects", json={"objects": objects, "marking": marking})
    assert reply.status_code == 201, reply.text
    return list(reply.json()["items"])


def _search(api: ApiClient, q: str) -> tuple[set[str], dict[str, Any]]:
    reply = api.get("/api/intel/objects", params={"q": q})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    return {i["title"] for i in body["items"]}, body["indexing"]


def test_a_publish_is_visible_at_once_and_searchable_once_indexed(centre: Centre) -> None:
    """No indexer runs here (the app's background is not started), so the lag stays until caught up."""
    client = TestClient(create_app(centre=centre))  # no `with`: no lifespan, no background indexer
    tur = sign_in(client, person(centre, "TUR")[1])
    irq = sign_in(client, person(centre, "IRQ")[1])
    [shared] = _publish(tur, [indicator("192.0.2.61", name="Osprey relay, shared")], SHARED)
    _publish(tur, [indicator("192.0.2.62", name="Osprey relay, national"),
                   indicator("192.0.2.63", name="Osprey relay, national too")], OWN)
    _publish(irq, [indicator("192.0.2.61", name="Osprey relay seen by IRQ")], SHARED)

    # Durable and visible by id and by listing at once, to everyone the policy lets see it.
    assert irq.get(f"/api/intel/objects/{shared['id']}").status_code == 200
    assert "Osprey relay, shared" in {i["title"] for i in irq.get("/api/intel/objects").json()["items"]}
    # Search says how far behind it is, counting only what the reader may see.
    assert _search(tur, "osprey") == (set(), {"behind": 4, "message": "indexing, 4 objects behind"})
    assert _search(irq, "osprey") == (set(), {"behind": 2, "message": "indexing, 2 objects behind"})
    assert irq.get("/api/intel/correlations").json() == []

    centre.intel_index.catch_up()
    assert _search(irq, "osprey") == ({"Osprey relay, shared", "Osprey relay seen by IRQ"},
                                      {"behind": 0, "message": "up to date"})
    assert len(_search(tur, "osprey")[0]) == 4
    assert [c["value"] for c in irq.get("/api/intel/correlations").json()] == ["192.0.2.61"]
    assert irq.get("/api/intel/objects").json().get("indexing") is None  # said only on a search
    client.close()


def test_narrowing_release_hides_an_indexed_object_from_search_at_once(centre: Centre, client: TestClient) -> None:
    tur = sign_in(client, person(centre, "TUR")[1])
    irq = sign_in(client, person(centre, "IRQ")[1])
    [row] = _publish(tur, [indicator("192.0.2.71", name="Heron crossing point")], SHARED)
    indexed(centre)
    assert _search(irq, "heron")[0] == {"Heron crossing point"}
    assert tur.put(f"/api/intel/objects/{row['id']}/release", json=OWN).status_code == 204
    # No wait: the policy is in the search's own query, whatever the index holds.
    assert _search(irq, "heron")[0] == set()
    assert irq.get(f"/api/intel/objects/{row['id']}").status_code == 404
    assert _search(tur, "heron")[0] == {"Heron crossing point"}


def test_metrics_show_the_indexer_position_and_lag(centre: Centre, client: TestClient) -> None:
    tur = sign_in(client, person(centre, "TUR")[1])
    _publish(tur, [indicator("192.0.2.81", name="Plover")], OWN)
    indexed(centre)
    text = client.get("/metrics").text
    with centre.db.read() as conn:
        saved = load_position(conn, NAME) or 0
    metrics = {line.split()[0]: float(line.split()[1]) for line in text.splitlines() if f'"{NAME}"' in line}
    # Everything up to the saved position is indexed; the follower may have moved past it (later
    # events need nothing from it) without saving.
    assert metrics[f'concord_follower_position{{follower="{NAME}"}}'] >= saved > 0
    assert f'concord_follower_lag_events{{follower="{NAME}"}}' in metrics


# --- the indexer killed mid-batch --------------------------------------------------------------

PAIRS = 6  # TUR publishes six values one by one, then IRQ the same six: twelve publications


def _worker(url: str, last: int, crash_batch: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.intel_index_worker", url, str(last), str(crash_batch)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"})


def _recorded(centre: Centre) -> tuple[list[tuple[Any, ...]], list[str]]:
    """The correlations recorded, and the ids of the correlations announced (one event each)."""
    with centre.db.read() as conn:
        rows = [tuple(r) for r in conn.execute(select(intel_correlations.c.id, intel_correlations.c.object_a,
                                                      intel_correlations.c.object_b, intel_correlations.c.value))]
        announced = [str(i) for i in conn.execute(select(events.c.item_id)
                                                  .where(events.c.kind == "intel.correlated")).scalars()]
    return rows, announced


def test_an_indexer_killed_mid_batch_loses_no_correlation_and_announces_none_twice(centre: Centre,
                                                                                  database_url: str) -> None:
    tur = centre.people.actor_named(person(centre, "TUR", username="tur.kill")[1])
    irq = centre.people.actor_named(person(centre, "IRQ", username="irq.kill")[1])
    both = Marking.build(Level.RESTRICTED, "TUR", ["IRQ"], Tlp.AMBER)
    values = [f"198.51.100.{i + 10}" for i in range(PAIRS)]
    for value in values:
        centre.intel.publish(tur, [indicator(value, name=f"Kite TUR {value}")], both)
    for value in values:
        centre.intel.publish(irq, [indicator(value, name=f"Kite IRQ {value}")],
                             Marking.build(Level.RESTRICTED, "IRQ", ["TUR"], Tlp.AMBER))
    with centre.db.read() as conn:
        last = latest_event_id(conn)
        start = load_position(conn, NAME) or 0

    # Two publications a batch: batches 1-3 index TUR's, batch 4 correlates IRQ's first two values,
    # batch 5 (two more) is killed after its work, before its commit.
    first = _worker(database_url, last, crash_batch=5)
    assert first.stdout is not None
    assert first.stdout.readline().strip() == "MID", first.stderr.read() if first.stderr else ""
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    first.stdout.close()
    if first.stderr is not None:
        first.stderr.close()
    rows, announced = _recorded(centre)
    assert sorted(r[3] for r in rows) == values[:2]          # batch 4's, committed; batch 5's rolled back
    assert sorted(announced) == sorted(str(r[0]) for r in rows)
    with centre.db.read() as conn:
        assert start < (load_position(conn, NAME) or 0) < last

    second = _worker(database_url, last)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert out.strip() == "DONE errors=0"
    rows, announced = _recorded(centre)
    assert sorted(r[3] for r in rows) == values                # every correlation, each once
    assert len({(r[1], r[2], r[3]) for r in rows}) == PAIRS
    assert Counter(announced) == Counter(str(r[0]) for r in rows)  # each announced exactly once
    with centre.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(intel_correlations)).scalar() == PAIRS
        assert (load_position(conn, NAME) or 0) >= last  # past its own announcements too
    assert len(centre.intel_read.list_objects(tur, ListFilter(text="kite"))) == 2 * PAIRS
