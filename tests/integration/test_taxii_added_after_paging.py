"""TAXII pollers that resume with `added_after` (MISP, OpenCTI, federated nodes) get every object
exactly once, whatever page size they use and however the envelopes were cut (TAXII 2.1 §3.4)."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.domain.intel_query import ObjectQuery, VersionMatch, render_timestamp
from concord.domain.stix import timestamp_key
from concord.storage.intel_read import taxii_page
from tests.factories import PASSWORD, person
from tests.intel_factories import TAXII, basic, collection_url, indicator

#: Envelopes of many sizes, each stored with one request.
SIZES = (1, 2, 3, 5, 8, 13, 21, 34, 55, 89)


def _publish(client: TestClient, who: str, sizes: tuple[int, ...] = SIZES) -> list[str]:
    sent: list[str] = []
    for number, size in enumerate(sizes):
        batch = [indicator(f"198.51.100.{number}", name=f"Fictional {number}.{i}") for i in range(size)]
        reply = client.post(collection_url("joint") + "objects/", content=json.dumps({"objects": batch}),
                            headers={**basic(who, PASSWORD), "Content-Type": TAXII})
        assert reply.status_code == 202 and reply.json()["success_count"] == size, reply.text
        sent += [obj["id"] for obj in batch]
    return sent


def test_paging_by_added_after_with_every_limit_sees_every_object_once(client: TestClient, centre: Centre) -> None:
    person_id, who = person(centre, "TUR")
    sent = _publish(client, who)
    reader = centre.people.actor(person_id).reader
    started = time.monotonic()
    with centre.db.read() as conn:  # one connection for the thousands of pages: the test stays cheap
        for limit in range(1, 1001):
            seen: list[str] = []
            added_after: str | None = None
            while True:
                # The manifest's query (no object text): the same paging as the objects endpoint.
                query = ObjectQuery(versions=VersionMatch(all=True, last=False), added_after=added_after, limit=limit)
                page = taxii_page(conn, reader, query, with_raw=False)
                seen += [row.stix_id for row in page.rows]
                if not page.more:
                    break
                # What the poller reads back: X-TAXII-Date-Added-Last, as the server renders it.
                added_after = timestamp_key(render_timestamp(page.rows[-1].date_added))
            assert sorted(seen) == sorted(sent), f"limit={limit}: {len(seen)} seen of {len(sent)}"
    assert time.monotonic() - started < 120  # one store, a thousand page sizes: keep it cheap


def test_a_poller_following_the_header_over_http_loses_nothing(client: TestClient, centre: Centre) -> None:
    # The case: a page of 150 ended inside an envelope of 250 and the poller lost the rest.
    _person_id, who = person(centre, "TUR")
    sent = _publish(client, who, (100, 250, 7))
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 150}
    while True:
        reply = client.get(collection_url("joint") + "objects/", params=params, headers=basic(who, PASSWORD))
        assert reply.status_code == 200, reply.text
        objects = reply.json().get("objects", [])
        if not objects:
            break
        seen += [obj["id"] for obj in objects]
        params = {"limit": 150, "added_after": reply.headers["X-TAXII-Date-Added-Last"]}
    assert sorted(seen) == sorted(sent)
    added = [row["date_added"] for row in client.get(
        collection_url("joint") + "manifest/", headers=basic(who, PASSWORD)).json()["objects"]]
    assert len(set(added)) == len(added)  # no two versions share a date_added
