"""End-to-end fixtures: a real `concord demo` server in a subprocess (fresh SQLite database, fixed demo
password) and Debian's Chromium driven by Python Playwright (no browser download: RECIPES.md).

Every page opened through `Officer` records console errors and uncaught exceptions; a test fails if
any appear. Screenshots go to test-results/screenshots/ (a few are copied to docs/screenshots/).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DEMO_PASSWORD = "e2e-demo-password-1"
SCREENSHOTS = ROOT / "test-results" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}
# How long a page may take to show what a test waits for, actions and assertions alike (Playwright's
# assertions otherwise give up after 5 s: at load 15 the map screen was drawn just after that, and
# test_map's MGRS readout "was not found" in a snapshot that showed it).
WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    realtime: bool = True


def _has_websocket(url: str) -> bool:
    """Whether the server offers /api/ws at all (the realtime feature); a refused handshake is fine."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    try:
        with connect(url.replace("http", "ws", 1) + "/api/ws", open_timeout=5):
            return True
    except InvalidStatus as exc:
        # 401/4401-style refusals mean the route exists but wants a session; 403/404 from the router
        # mean there is no WebSocket route.
        return exc.response.status_code not in (403, 404)
    except OSError:
        return False


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Package scope: the server and the browser stop when the end-to-end tests are done, so their
    # background work does not slow the timing-sensitive tests that run after them.
    if not (ROOT / "concord" / "web" / "dist" / "index.html").is_file():
        pytest.fail("the web UI is not built: run scripts/setup (npm ci && npm run build in web/)", pytrace=False)
    home = tmp_path_factory.mktemp("e2e-server")
    port = _free_port()
    env = {
        **os.environ,
        "CONCORD_DATABASE_URL": f"sqlite:///{home / 'demo.db'}",
        "CONCORD_DATA_DIR": str(home / "var"),
        "CONCORD_DEMO_PASSWORD": DEMO_PASSWORD,
        "CONCORD_LOG_JSON": "false",
        # Cheap password hashing keeps sign-ins fast; the algorithm is the same.
        "CONCORD_ARGON2_TIME_COST": "1",
        "CONCORD_ARGON2_MEMORY_KIB": "8192",
        # Free ports for the TAK listeners too: a centre already running here holds 8087/8089, and a
        # port that is taken fails the start.
        "CONCORD_COT__TCP_PORT": str(_free_port()),
        "CONCORD_COT__TLS_PORT": str(_free_port()),
    }
    log = home / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "concord", "demo", "--port", str(port)],
                                   cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            pytest.fail(f"concord demo exited with {process.returncode}:\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 (local server)
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"concord demo did not answer in 90 s:\n{log.read_text()[-3000:]}", pytrace=False)
        time.sleep(0.3)
    try:
        yield Server(url, process, log, realtime=_has_websocket(url))
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def require_feature(server: Server, path: str) -> None:
    """Fail clearly (never skip) when the API a screen drives is missing from the build."""
    import json

    with urllib.request.urlopen(f"{server.url}/api/openapi.json", timeout=10) as response:  # noqa: S310 (local)
        paths = json.load(response).get("paths", {})
    if path not in paths:
        pytest.fail(f"this build has no {path}: the screen's API is missing", pytrace=False)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is required: apt-get install -y chromium (scripts/setup dev)", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Officer:
    """One person's browser: its own context (cookies), one page, and what went wrong in it."""

    username: str
    context: BrowserContext
    page: Page
    base: str
    errors: list[str] = field(default_factory=list)
    #: Every 4xx/5xx answer the page received, to explain "Failed to load resource" errors.
    refusals: list[str] = field(default_factory=list)

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def sign_in(self, password: str = DEMO_PASSWORD, *, language: str | None = None) -> None:
        """Sign in through the form; then, if given, pick the interface language in the header."""
        self.go("/signin")
        self.page.fill("input[name=username]", self.username)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_selector("[data-testid=who]")
        if language is not None and self.page.locator("select.lang").input_value() != language:
            # Wait until it is saved: a page left at once cancelled the save, so what the account kept
            # (and the next test signing it in met) depended on timing.
            with self.page.expect_response(lambda r: r.url.endswith("/api/me/language")) as saved:
                self.page.select_option("select.lang", language)
            assert saved.value.ok, saved.value.status

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def forgive(self, fragment: str) -> None:
        """Drop one recorded error containing `fragment`: an HTTP refusal the test provoked on purpose
        (Chromium logs every 4xx answer to fetch as a console error)."""
        for i, error in enumerate(self.errors):
            if fragment in error:
                del self.errors[i]
                return
        raise AssertionError(f"expected a console error containing {fragment!r}; got {self.errors}")

    def assert_no_console_errors(self) -> None:
        assert not self.errors, (f"console errors in {self.username}'s browser:\n" + "\n".join(self.errors)
                                 + "\nHTTP refusals:\n" + "\n".join(self.refusals))


def open_officer(browser: Browser, username: str, base: str, *, viewport: dict[str, int] | None = None,
                 expected: Callable[[str], bool] = lambda text: False) -> Officer:
    """A fresh browser context for `username` on the centre at `base`, recording console errors
    (except those `expected` accepts), uncaught exceptions and HTTP refusals."""
    context = browser.new_context(viewport=viewport or VIEWPORT, locale="en-GB", timezone_id="Europe/Istanbul")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    o = Officer(username, context, page, base)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not expected(message.text):
            o.errors.append(f"{message.type}: {message.text}")

    page.on("console", on_console)
    page.on("response", lambda r: o.refusals.append(f"{r.status} {r.request.method} {r.url}")
            if r.status >= 400 else None)
    page.on("pageerror", lambda e: o.errors.append(f"uncaught: {e}"))
    return o


def close_officers(opened: list[Officer]) -> None:
    """Close every context, then fail on any console error one of them recorded."""
    for o in opened:
        o.context.close()
    for o in opened:
        o.assert_no_console_errors()


@pytest.fixture
def officer(browser: Browser, server: Server) -> Iterator[object]:
    """`officer("tur.watch")` opens a fresh browser context for that demo account."""
    opened: list[Officer] = []

    def open_for(username: str) -> Officer:
        # Before the realtime feature is installed the server has no /api/ws: the client's
        # reconnect attempts are expected then, and only then.
        o = open_officer(browser, username, server.url,
                         expected=lambda text: not server.realtime and "/api/ws" in text)
        opened.append(o)
        return o

    yield open_for
    close_officers(opened)
