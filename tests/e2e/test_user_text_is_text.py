"""User-written text is shown as text on every screen, map tooltips and popups included (issue 22).

A TUR liaison officer writes markup into the fields a user can write (an operation's name and
objective, an incident's title and description, a chat message); then officers of both nations open
each screen, hover the operation's area on its map and open the popups of the operating picture.
No element may come from the markup, and the markup must be readable as the text it is.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, Officer, Server

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]

MARK = "data-injected"
PAYLOAD = (f'Op <img src=x {MARK}=1 onerror="document.title=1"><a {MARK}=1 href="https://example.invalid/">'
           f'link</a><b {MARK}=1>bold</b>')
JOINT = {"level": "RESTRICTED", "releasable_to": ["TUR", "IRQ"], "tlp": "AMBER"}


def call(server: Server, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
    request = urllib.request.Request(server.url + path, method=method,  # noqa: S310 (the local test server)
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the local test server)
        raw = response.read()
    return json.loads(raw) if raw else None


def write_markup_everywhere(server: Server) -> dict[str, Any]:
    token = call(server, "POST", "/api/session", body={"username": "tur.liaison", "password": DEMO_PASSWORD})["token"]
    start = datetime.now(UTC) + timedelta(days=2)

    def span(hours: float) -> dict[str, str]:
        return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat()}

    area = {"type": "Polygon", "coordinates": [[[42.3, 37.3], [42.5, 37.3], [42.5, 37.45], [42.3, 37.45],
                                                [42.3, 37.3]]]}
    operation = call(server, "POST", "/api/operations", token, {
        "name": PAYLOAD, "objective": PAYLOAD, "participants": ["TUR", "IRQ"], "area": area, "window": span(24),
        "phases": [{"name": PAYLOAD[:60], "window": span(12)}],
        "forces": [{"nation": "TUR", "name": PAYLOAD[:100], "sidc": "SFGPUCI----D---"}],
        "tasks": [{"title": PAYLOAD, "owner_nation": "IRQ", "due_at": (start + timedelta(hours=2)).isoformat()}],
    })
    incident = call(server, "POST", "/api/incidents", token, {
        "category": "border_violation", "title": PAYLOAD, "description": PAYLOAD,
        "location": {"type": "Point", "coordinates": [42.45, 37.2]},
        "occurred_from": datetime.now(UTC).isoformat(), "marking": JOINT, "partners": ["IRQ"],
    })
    channels = call(server, "GET", "/api/channels", token)
    joint = next(c for c in channels if c["kind"] == "centre")
    call(server, "POST", f"/api/channels/{joint['id']}/messages", token, {"body": PAYLOAD, "marking": JOINT})
    return {"operation": operation["id"], "incident": incident["id"]}


def no_injected_elements(page: Page, where: str) -> None:
    page.wait_for_timeout(300)  # let late renders (maps, lists) settle
    found = page.locator(f"[{MARK}]").count()
    assert found == 0, f"{where}: {found} element(s) created from user-written markup"
    assert page.locator('a[href="https://example.invalid/"]').count() == 0, where
    assert page.title() != "1", f"{where}: the injected handler ran"


def test_markup_in_user_fields_never_becomes_elements(officer: OpenOfficer, server: Server) -> None:
    made = write_markup_everywhere(server)
    for username in ("tur.liaison", "irq.commander"):
        o = officer(username)
        o.sign_in(language="en")
        page = o.page

        o.go(f"/operations/{made['operation']}")
        expect(page.get_by_test_id("operation")).to_contain_text("<b data-injected=1>bold</b>")
        # The map's tooltip: hover the operation's area (the centre of the map's fitted bounds).
        box = page.get_by_test_id("operation-map").bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tooltip = page.locator(".leaflet-tooltip")
        expect(tooltip).to_be_visible()
        expect(tooltip).to_contain_text("<img src=x")
        no_injected_elements(page, f"operation screen, map tooltip ({username})")

        for path in ("/operations", "/incidents", f"/incidents/{made['incident']}", "/chat", "/map"):
            o.go(path)
            page.wait_for_selector("[data-testid=who]")
            no_injected_elements(page, f"{path} ({username})")

        # The operating picture's popups: open each interactive shape's popup in turn.
        o.go("/map")
        page.wait_for_selector(".leaflet-interactive")
        shapes = page.locator("path.leaflet-interactive")
        for i in range(min(shapes.count(), 12)):
            shapes.nth(i).dispatch_event("click")
            no_injected_elements(page, f"operating picture popup {i} ({username})")


def test_the_served_centre_shows_no_banner_and_no_source_maps(server: Server) -> None:
    """Through the real server (`concord demo` runs `concord serve`'s uvicorn): no `server: uvicorn`
    banner, and the web UI's source maps are not served with production settings."""
    with urllib.request.urlopen(server.url + "/", timeout=10) as response:  # noqa: S310 (the local test server)
        assert response.headers.get("server") is None
        page = response.read().decode()
    script = page.split('src="/assets/', 1)[1].split('"', 1)[0]
    try:
        urllib.request.urlopen(f"{server.url}/assets/{script}.map", timeout=10)  # noqa: S310 (local)
        raise AssertionError("a source map was served")
    except urllib.error.HTTPError as refused:
        assert refused.code == 404
        assert refused.headers.get("server") is None
