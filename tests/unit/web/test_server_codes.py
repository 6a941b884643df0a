"""Every code the server sends that a person reads on screen has a translation in every catalogue
(UI.md "Languages": the server sends codes, the screen translates them; web/src/codes.ts). A new
role, timeline kind, precedence, STIX type, status, site kind or audited item type without a key in
en.json, tr.json and ar.json fails here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from concord.domain import stix
from concord.domain.conflicts import ConflictStatus
from concord.domain.incidents import IncidentStatus, TimelineKind
from concord.domain.messages import Precedence
from concord.domain.operations import OperationStatus
from concord.domain.people import Role
from concord.domain.releases import ReleaseStatus
from concord.domain.rfis import Priority, RfiStatus
from concord.domain.sites import SiteKind

ROOT = Path(__file__).resolve().parents[3]
CATALOGUES = ROOT / "web" / "src" / "i18n"
ITEM_TYPE = re.compile(r"""item_type\s*=\s*["']([a-z_]+)["']""")


def audited_item_types() -> set[str]:
    """The item types the services write into events and the audit log (what the Audit screen lists)."""
    found: set[str] = set()
    for path in (ROOT / "concord" / "services").rglob("*.py"):
        found |= set(ITEM_TYPE.findall(path.read_text(encoding="utf-8")))
    return found


def keys(prefix: str, codes: Iterable[str]) -> set[str]:
    return {f"{prefix}{code}" for code in codes}


def server_codes() -> set[str]:
    return (
        keys("role.", (r.value for r in Role))
        | keys("timeline.", (k.value for k in TimelineKind))
        | keys("incident.status.", (s.value for s in IncidentStatus))
        | keys("precedence.", (p.name for p in Precedence))
        | keys("stix.", stix._known()[0])
        | keys("stix.", stix._known()[1])   # the feed lists cyber-observables by type too
        | keys("conflict.status.", (s.value for s in ConflictStatus))
        | keys("ops.status.", (s.value for s in OperationStatus))
        | keys("rfi.status.", (s.value for s in RfiStatus))
        | keys("rfi.priority.", (p.value for p in Priority))
        | keys("release.status.", (s.value for s in ReleaseStatus))
        | keys("site.kind.", (k.value for k in SiteKind))
        | keys("item.", audited_item_types())
        | {"audit.action.read"}
    )


def test_the_scan_finds_the_audited_item_types() -> None:
    assert {"message", "operation", "incident", "intel_object"} <= audited_item_types()


@pytest.mark.parametrize("lang", ["en", "tr", "ar"])
def test_every_server_code_a_reader_sees_is_translated(lang: str) -> None:
    catalogue = json.loads((CATALOGUES / f"{lang}.json").read_text(encoding="utf-8"))
    missing = sorted(server_codes() - set(catalogue))
    assert missing == [], f"server codes without a translation in {lang}.json"
