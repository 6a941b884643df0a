"""Small STIX factories for the intelligence tests (fictional, documentation-range values)."""

from __future__ import annotations

import base64
import itertools
import uuid
from typing import Any

from concord.domain.intel import collection_id
from concord.domain.intel_markings import TLP2_MARKING_IDS, releasability_marking_definition
from concord.domain.markings import Level, Tlp

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/concord/"
_n = itertools.count(1)


def stix_id(kind: str) -> str:
    return f"{kind}--{uuid.uuid4()}"


def indicator(
    value: str = "198.51.100.7",
    *,
    modified: str = "2026-11-01T10:00:00.000Z",
    refs: list[str] | None = None,
    name: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": stix_id("indicator"),
        "created": "2026-11-01T10:00:00.000Z",
        "modified": modified,
        "name": name or f"Fictional indicator {next(_n)}",
        "pattern_type": "stix",
        "pattern": f"[ipv4-addr:value = '{value}']",
        "valid_from": "2026-11-01T10:00:00Z",
    }
    if refs is not None:
        obj["object_marking_refs"] = refs
    obj.update(extra)
    return obj


def shared_with(
    *nations: str, level: Level = Level.UNCLASSIFIED, tlp: Tlp = Tlp.AMBER
) -> tuple[list[str], list[dict[str, Any]]]:
    """Marking refs (and the Concord definition to send along) for a release to `nations`."""
    definition = releasability_marking_definition(level, nations)
    return [TLP2_MARKING_IDS[tlp], definition["id"]], [definition]


def collection_url(key: str) -> str:
    return f"{ROOT}collections/{collection_id(key)}/"


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Accept": TAXII}


def indexed(centre: Any) -> None:
    """Wait until the intelligence indexer (running in the app's background) has reached every event
    committed so far: waiting on the lag, not on time (services/intel_index.py)."""
    assert centre.intel_index.wait(timeout=60), "the intelligence index did not catch up"
