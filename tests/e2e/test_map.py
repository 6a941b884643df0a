"""The map in a real browser: its base map, its grid and its life and death with the screens."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Route, expect

from tests.e2e.conftest import Officer

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]

# Animation frames held back on request and run together on release (cancelled ones never), so a
# test can put things in one frame that a person only rarely does. Leaflet takes these functions
# when it loads, so this runs before the page's own scripts.
HOLD_FRAMES = """(() => {
  const request = window.requestAnimationFrame.bind(window);
  const cancel = window.cancelAnimationFrame.bind(window);
  const held = new Map();
  let holding = false, next = 0;
  window.requestAnimationFrame = (cb) => {
    if (!holding) return request(cb);
    const id = -(++next);
    held.set(id, cb);
    return id;
  };
  window.cancelAnimationFrame = (id) => (id < 0 ? held.delete(id) : cancel(id));
  window.__frames = {
    hold() { holding = true; },
    release() {
      holding = false;
      const due = [...held.values()];
      held.clear();
      due.forEach((cb) => setTimeout(cb, 0, performance.now()));  // an error in one is the page's
      return due.length;
    },
  };
})();"""


def test_signing_out_in_the_frame_the_map_redraws_leaves_no_redraw_behind(officer: OpenOfficer) -> None:
    """The base map's canvas asked for a redraw (the theme changed), the view then moved (a drag) and
    redrew it at once, and the screens went (sign-out) before the next frame. Leaflet's canvas forgot
    the frame it had asked for, so it ran on the destroyed canvas: "Cannot read properties of
    undefined (reading 'save')" (CI, the TOTP sign-in test)."""
    o = officer("irq.watch")
    o.page.add_init_script(HOLD_FRAMES)
    o.sign_in()
    o.go("/map")
    canvas = o.page.locator(".leaflet-pane canvas")
    expect(canvas).to_have_count(1)
    o.page.wait_for_load_state("networkidle")

    o.page.evaluate("window.__frames.hold()")
    o.page.get_by_test_id("theme").click()  # the base map restyles: a redraw is asked for
    box = o.page.get_by_test_id("map").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    o.page.mouse.move(x, y)
    o.page.mouse.down()
    o.page.mouse.move(x + 60, y + 30, steps=4)
    o.page.mouse.up()  # the drag ends: the view moved, the canvas redraws now
    o.page.get_by_test_id("sign-out").click()
    expect(o.page.locator("input[name=username]")).to_be_visible()
    o.page.evaluate("window.__frames.release()")
    o.page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert [e for e in o.errors if "uncaught" in e] == []


def test_signing_out_while_the_base_map_loads_leaves_nothing_drawing_on_the_removed_map(officer: OpenOfficer) -> None:
    """The country outlines (hundreds of KB) arrived after the screens had gone (a sign-out soon after
    signing in, on a loaded machine): the base map then measured the removed map's view for its grid
    labels, "Cannot read properties of undefined (reading '_leaflet_pos')" (the TOTP sign-in test)."""
    o = officer("irq.watch")
    held: list[Route] = []
    o.page.route("**/assets/countries-50m*", lambda route: held.append(route))
    o.sign_in()
    o.go("/map")
    expect(o.page.get_by_test_id("coords")).to_be_visible()  # the map is made: it has asked for them
    for _ in range(100):  # the route handler runs as the driver's events are dispatched
        if held:
            break
        o.page.wait_for_timeout(50)
    assert held  # one per map made (the landing screen's and /map's when the sign-in lands there first)
    o.page.get_by_test_id("sign-out").click()
    expect(o.page.locator("input[name=username]")).to_be_visible()
    with o.page.expect_response("**/assets/countries-50m*"):
        for route in held:
            route.continue_()
    o.page.wait_for_load_state("networkidle")
    o.page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert [e for e in o.errors if "uncaught" in e] == []


def test_the_map_loads_compressed_and_the_page_has_an_icon(officer: OpenOfficer) -> None:
    """The browser gets the precompressed brotli files (the map outlines were 756 KB as sent) and
    the icon the page names exists (favicon.ico was a 404)."""
    o = officer("tur.watch")
    encodings: dict[str, str | None] = {}
    o.page.on("response", lambda r: encodings.__setitem__(r.url.rsplit("/", 1)[-1], r.headers.get("content-encoding"))
              if "/assets/" in r.url else None)
    o.sign_in(language="en")
    o.go("/map")
    expect(o.page.locator(".leaflet-pane canvas")).to_have_count(1)
    o.page.wait_for_load_state("networkidle")
    outlines = [name for name in encodings if name.startswith("countries-50m")]
    assert outlines and all(encodings[name] == "br" for name in outlines), encodings
    scripts = [name for name in encodings if name.endswith(".js") and name.startswith(("index-", "symbols-"))]
    assert scripts and all(encodings[name] == "br" for name in scripts), encodings
    icon = o.page.locator("link[rel=icon]").get_attribute("href")
    assert icon == "/favicon.svg"
    answer = o.context.request.get(f"{o.base}{icon}")
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_map_reads_positions_in_mgrs_with_its_grid_zones(officer: OpenOfficer, language: str) -> None:
    """Staff read and pass positions in MGRS: the readout gives the MGRS reference (and degrees and
    minutes) of the point under the pointer, and the grid zones are drawn and named on the map."""
    o = officer("tur.watch")
    o.sign_in(language=language)
    o.go("/map")
    coords = o.page.get_by_test_id("coords")
    expect(coords.locator(".coords-mgrs")).to_have_text(re.compile(r"^\d{1,2}[C-X] [A-Z]{2} \d{5} \d{5}$"))
    box = o.page.get_by_test_id("map").bounding_box()
    assert box is not None
    before = coords.locator(".coords-mgrs").inner_text()
    o.page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    expect(coords.locator(".coords-mgrs")).not_to_have_text(before)
    expect(coords.locator(".coords-ll")).to_have_text(re.compile(r"^\d{2}°\d{2}\.\d′[NS] \d{3}°\d{2}\.\d′[EW]$"))
    # The demo's ground (south-east Türkiye, northern Iraq) lies in zones 37S and 38S.
    labels = o.page.locator(".grid-zone-label")
    expect(labels.filter(has_text=re.compile(r"^38S$"))).to_have_count(1)
    # Place names (GeoNames) on the base map, none overlapping another.
    places = o.page.locator(".place-label .name")
    expect(places.filter(has_text=re.compile(r"^Zaxo$"))).to_have_count(1)  # Zakho, in GeoNames spelling
    boxes = places.evaluate_all("els => els.map((e) => { const r = e.getBoundingClientRect(); "
                                "return [r.left, r.top, r.right, r.bottom]; })")
    assert len(boxes) >= 5
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    # The signed-in person's Latin name keeps its own direction on an Arabic screen (it was cut at
    # its start: "...e (demo)").
    assert o.page.locator(".who-person").evaluate("e => getComputedStyle(e).direction") == "ltr"
    o.screenshot(f"map-mgrs-{language}")
