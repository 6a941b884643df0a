"""Who is online, live in the header: IRQ's commander sees the nation's watch officer come online
and go offline again without reloading (presence frames over /api/ws)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Officer, Server, require_feature

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]


def test_the_watch_officer_on_shift_is_seen_coming_online_and_going_offline(
    officer: OpenOfficer, server: Server
) -> None:
    require_feature(server, "/api/presence")
    commander = officer("irq.commander")
    commander.sign_in(language="en")
    commander.go("/map")
    on_watch = commander.page.get_by_test_id("presence").locator(".watch-person", has_text="Huda")
    expect(on_watch).to_be_visible()  # the demo puts irq.watch on shift
    expect(commander.page.get_by_test_id("online-count")).to_contain_text("online")  # at least the commander

    watch = officer("irq.watch")
    watch.sign_in()
    watch.go("/map")
    expect(on_watch).to_have_attribute("data-online", "true", timeout=15000)

    watch.context.close()  # every connection of the watch officer gone
    expect(on_watch).to_have_attribute("data-online", "false", timeout=15000)
    commander.assert_no_console_errors()
