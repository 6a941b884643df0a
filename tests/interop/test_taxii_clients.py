"""The OASIS clients nobody here wrote, against the running server: taxii2-client and stix2."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import stix2
from stix2 import Filter, TAXIICollectionSink, TAXIICollectionSource
from taxii2client.v21 import Collection, Server, Status, as_pages

from concord.centre import Centre
from concord.domain.intel import collection_id
from tests.factories import PASSWORD, person
from tests.intel_factories import indicator, shared_with
from tests.interop.live_server import serving

pytestmark = pytest.mark.interop


@pytest.fixture
def live(centre: Centre) -> Iterator[tuple[str, dict[str, str]]]:
    people = {"tur": person(centre, "TUR")[1], "irq": person(centre, "IRQ")[1]}
    with serving(centre) as base:
        yield base, people


def _collection(base: str, who: str, key: str) -> Collection:
    return Collection(f"{base}/taxii2/concord/collections/{collection_id(key)}/", user=who, password=PASSWORD)


def test_taxii2_client_discovers_adds_pages_and_reads_versions(live: tuple[str, dict[str, str]]) -> None:
    base, people = live
    server = Server(f"{base}/taxii2/", user=people["tur"], password=PASSWORD)
    assert server.title == "Concord TAXII 2.1 server"
    root = server.default
    assert root is not None
    titles = {c.title for c in root.collections}
    assert titles == {"Joint feed", "Türkiye (TUR) feed", "Iraq (IRQ) feed"}
    tur = next(c for c in root.collections if c.title.startswith("Türkiye"))
    assert tur.can_write and tur.can_read

    refs, defs = shared_with("IRQ")
    batch = [indicator(f"198.51.100.{i}", refs=refs) for i in range(1, 26)]
    status = tur.add_objects({"objects": [*batch, *defs]}, wait_for_completion=True, poll_interval=0.1)
    assert status.status == "complete" and status.success_count == 26 and status.failure_count == 0
    status.refresh()
    assert Status(status.url, user=people["tur"], password=PASSWORD).total_count == 26

    irq = _collection(base, people["irq"], "joint")
    pages = list(as_pages(irq.get_objects, per_request=10))
    seen = [o["id"] for page in pages for o in page.get("objects", [])]
    assert len(pages) == 3 and seen == [o["id"] for o in [*batch, *defs]]
    manifest = irq.get_manifest()
    assert len(manifest["objects"]) == 26

    newer = {**batch[0], "modified": "2026-11-05T00:00:00.000Z", "name": "second version"}
    tur.add_objects({"objects": [newer]}, poll_interval=0.1)
    versions = irq.object_versions(batch[0]["id"])
    assert versions["versions"] == ["2026-11-01T10:00:00.000Z", "2026-11-05T00:00:00.000Z"]
    assert irq.get_object(batch[0]["id"])["objects"][0]["name"] == "second version"


def test_stix2_collection_sink_and_source(live: tuple[str, dict[str, str]]) -> None:
    base, people = live
    refs, defs = shared_with("IRQ")
    sink = TAXIICollectionSink(_collection(base, people["tur"], "TUR"), allow_custom=True)
    made = stix2.Indicator(
        name="Fictional relay",
        pattern="[domain-name:value = 'relay.example']",
        pattern_type="stix",
        object_marking_refs=refs,
    )
    # The sink sends one object per request: the marking definition goes first so the indicator's
    # marking resolves (a marking Concord cannot resolve keeps an object with its originator).
    sink.add([*[stix2.parse(d, allow_custom=True) for d in defs], made])
    source = TAXIICollectionSource(_collection(base, people["irq"], "joint"), allow_custom=True)
    fetched = source.get(made.id)
    assert fetched is not None and fetched.name == "Fictional relay"
    found = source.query([Filter("type", "=", "indicator")])
    assert [o.id for o in found] == [made.id]
    hidden = stix2.Indicator(name="TUR only", pattern="[domain-name:value = 'own.example']", pattern_type="stix")
    sink.add(hidden)
    assert source.get(hidden.id) is None


def test_paging_holds_across_concurrent_inserts(live: tuple[str, dict[str, str]]) -> None:
    base, people = live
    writer = _collection(base, people["tur"], "TUR")
    first = [indicator(f"203.0.113.{i}") for i in range(1, 41)]
    writer.add_objects({"objects": first}, poll_interval=0.1)
    reader = _collection(base, people["irq"], "joint")
    later = [[indicator(f"192.0.2.{1 + 5 * round_ + i}") for i in range(5)] for round_ in range(12)]
    stop = threading.Event()
    added: list[str] = []

    def keep_adding() -> None:  # another client writes the whole time this one pages
        other = _collection(base, people["tur"], "TUR")
        for batch in later:
            if stop.is_set():
                return
            other.add_objects({"objects": batch}, poll_interval=0.1)
            added.extend(o["id"] for o in batch)

    thread = threading.Thread(target=keep_adding)
    thread.start()
    try:
        # TUR's own objects are releasable to TUR only: IRQ pages the joint feed and must see none.
        assert [o for page in as_pages(reader.get_objects, per_request=7) for o in page.get("objects", [])] == []
        tur_reader = _collection(base, people["tur"], "joint")
        seen = [o["id"] for page in as_pages(tur_reader.get_objects, per_request=7) for o in page.get("objects", [])]
    finally:
        stop.set()
        thread.join()
    assert len(seen) == len(set(seen))  # no object twice
    assert seen[:40] == [o["id"] for o in first]  # nothing skipped, in the order added
    assert seen[40:] == added[: len(seen) - 40]  # what arrived meanwhile follows, in order, without gaps
