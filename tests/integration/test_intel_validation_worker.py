"""Big batches are validated in a second process while this one writes: same outcome, and it copes
when that process dies or stalls."""

from __future__ import annotations

import json
import logging
import os
import signal
from typing import Any

import pytest
from sqlalchemy import func, select

from concord.centre import Centre
from concord.domain.intel_prepare import prepare
from concord.domain.markings import Level, Tlp
from concord.domain.stix import RawItem, split_objects
from concord.services import validation_pool
from concord.storage.intel import intel_objects, intel_versions
from tests.factories import person
from tests.intel_factories import indicator, shared_with

CHUNK = validation_pool.CHUNK


@pytest.fixture(autouse=True)
def _worker_even_on_one_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """The product leaves the worker out on a one-core machine; these tests use it wherever they run."""
    monkeypatch.setattr(validation_pool, "available", lambda: True)


def _items(objects: list[dict[str, Any]]) -> list[RawItem]:
    return split_objects(json.dumps({"objects": objects}))[1]


def _big_batch() -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """3½ chunks: a definition at the very end governs objects of the first chunk; an object has a
    newer version two chunks later; some objects are invalid, one in each chunk the worker gets."""
    refs, definitions = shared_with("TUR", "IRQ", level=Level.CONFIDENTIAL, tlp=Tlp.GREEN)
    objects = [indicator(f"198.51.{i // 250}.{i % 250}", refs=refs) for i in range(CHUNK * 3 + CHUNK // 2)]
    early = objects[5]
    later = {**early, "modified": "2026-11-02T10:00:00.000Z", "name": "Fictional indicator, second version"}
    objects[CHUNK * 2 + 7] = later
    for k in (1, 2, 3):
        objects[CHUNK * k + 3] = {"type": "indicator", "spec_version": "2.1", "id": "indicator--bad"}
    return [*objects, *definitions], early, later


def test_the_worker_gives_what_validating_here_gives() -> None:
    objects, _early, _later = _big_batch()
    items = _items(objects)
    chunks = list(validation_pool.chunks(items))
    assert [len(c) for c in chunks] == [len(p) for p in validation_pool.parts_of(items)]
    assert [o for chunk in chunks for o in chunk] == prepare(items)


def test_a_big_batch_is_stored_as_in_one_pass(centre: Centre, monkeypatch: pytest.MonkeyPatch) -> None:
    person(centre, "TUR", username="tur.worker")
    actor = centre.people.actor_named("tur.worker")
    objects, early, later = _big_batch()
    here: list[int] = []  # objects validated in this process
    real_prepare = validation_pool.prepare
    monkeypatch.setattr(validation_pool, "prepare", lambda items: here.append(len(items)) or real_prepare(items))

    result = centre.intel.import_batch(actor, _items(objects))

    assert sum(here) < len(objects)  # the worker validated some chunks; this process the others
    assert len(result.failures) == 3 and all("id" in f["message"] for f in result.failures)
    assert len(result.successes) == len(objects) - 3
    with centre.db.read() as conn:
        stored = conn.execute(select(func.count()).select_from(intel_objects)).scalar()
        versions = conn.execute(
            select(intel_versions.c.version, intel_versions.c.is_latest)
            .join(intel_objects, intel_objects.c.id == intel_versions.c.object_id)
            .where(intel_objects.c.stix_id == early["id"]).order_by(intel_versions.c.version)
        ).all()
        title, releasable = conn.execute(
            select(intel_objects.c.title, intel_objects.c.m_releasable_to).where(intel_objects.c.stix_id == early["id"])
        ).one()
    assert stored == len(objects) - 3 - 1  # the second version is not a new object
    assert [latest for _version, latest in versions] == [False, True]
    assert title == later["name"]
    assert releasable == "|IRQ|TUR|"  # the definition sent last applied to the first chunk


def test_a_dead_worker_is_replaced_and_the_batch_still_lands(
    centre: Centre, caplog: pytest.LogCaptureFixture
) -> None:
    person(centre, "TUR", username="tur.worker2")
    actor = centre.people.actor_named("tur.worker2")
    validation_pool.warm()
    first = validation_pool._WORKER._process
    assert first is not None and first.pid is not None
    os.kill(first.pid, signal.SIGKILL)
    first.join(timeout=10)

    objects = [indicator(f"203.0.113.{i % 250}", name=f"Fictional {i}") for i in range(CHUNK * 3)]
    with caplog.at_level(logging.WARNING, logger="concord.services.validation_pool"):
        result = centre.intel.import_batch(actor, _items(objects))
    assert not result.failures and len(result.successes) == len(objects)

    more = [indicator(f"192.0.2.{i % 250}", name=f"Fictional more {i}") for i in range(CHUNK * 2)]
    assert not centre.intel.import_batch(actor, _items(more)).failures
    second = validation_pool._WORKER._process
    assert second is not None and second.is_alive() and second.pid != first.pid


class _Silent:
    """A worker connection that never answers."""

    def send(self, _message: object) -> None:
        pass

    def poll(self, _timeout: float) -> bool:
        return False

    def close(self) -> None:
        pass


def test_a_stalled_worker_is_dropped_and_the_batch_finished_here(monkeypatch: pytest.MonkeyPatch) -> None:
    objects = [indicator(f"198.51.100.{i % 250}") for i in range(CHUNK * 3 + 5)]
    items = _items(objects)
    worker = validation_pool._Worker()
    monkeypatch.setattr(worker, "start", lambda: _Silent())
    assert [o for chunk in worker.chunks(items) for o in chunk] == prepare(items)
    assert worker._conn is None


def test_small_batches_and_a_busy_worker_stay_here(monkeypatch: pytest.MonkeyPatch) -> None:
    items = _items([indicator() for _ in range(CHUNK * 2)])
    assert list(validation_pool.chunks(items)) == [prepare(items)]
    big = _items([indicator() for _ in range(CHUNK * 3)])
    with validation_pool._WORKER.busy:  # another batch holds the worker
        assert list(validation_pool.chunks(big)) == [prepare(big)]


def test_big_objects_never_leave_the_two_processes_waiting_on_each_other() -> None:
    """Chunks far larger than the pipe's buffers: the writer keeps at most one such chunk out."""
    import threading

    filler = "Fictional narrative of a border patrol, exercise text only. " * 500  # ~30 KB each
    objects = [indicator(f"198.51.100.{i % 250}", description=f"{i} {filler}") for i in range(CHUNK * 3 + 7)]
    items = _items(objects)
    got: list[Any] = []
    runner = threading.Thread(target=lambda: got.extend(o for c in validation_pool.chunks(items) for o in c),
                              daemon=True)
    runner.start()
    runner.join(timeout=120)
    assert not runner.is_alive(), "the writer and the worker waited on each other"
    assert got == prepare(items)


def test_a_big_batch_correlates_once_and_leaves_out_what_it_revokes(centre: Centre) -> None:
    """The indexer takes the whole batch: a value the partner holds correlates wherever it sits in
    the batch, and an object revoked by a later chunk of the same batch never joins the index."""
    from concord.storage.intel_correlation import entry_count, intel_correlations

    for nation in ("TUR", "IRQ"):
        person(centre, nation, username=f"{nation.lower()}.corr")
    refs, definitions = shared_with("TUR", "IRQ", tlp=Tlp.GREEN)
    theirs = indicator("198.51.100.200", refs=refs)
    assert not centre.intel.import_batch(centre.people.actor_named("irq.corr"), _items([theirs, *definitions])).failures
    centre.intel_index.catch_up()
    entries_before = _entries(centre, entry_count)

    ours = [indicator(f"203.0.113.{i % 250}", name=f"Fictional {i}", refs=refs) for i in range(CHUNK * 3)]
    ours[CHUNK * 2 + 1] = indicator("198.51.100.200", refs=refs, name="Fictional match, late chunk")
    revoked_early = ours[3] = indicator("198.51.100.201", refs=refs, name="Fictional, revoked later")
    ours.append({**revoked_early, "modified": "2026-11-02T10:00:00.000Z", "revoked": True})
    result = centre.intel.import_batch(centre.people.actor_named("tur.corr"), _items([*ours, *definitions]))
    centre.intel_index.catch_up()  # no server runs here: the indexer catches up in this thread

    assert not result.failures
    with centre.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(intel_correlations)).scalar() == 1
    # One entry per object and value: the 298 unremarkable objects and the match; none for the
    # object revoked later in the batch.
    assert _entries(centre, entry_count) - entries_before == 298 + 1


def _entries(centre: Centre, entry_count: Any) -> int:
    with centre.db.read() as conn:
        return int(entry_count(conn))
