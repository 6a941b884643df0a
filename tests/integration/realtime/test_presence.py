"""Who is online, pushed over /api/ws as ephemeral `presence` frames, through the policy."""

from __future__ import annotations

import asyncio

import pytest

from concord.domain.markings import Level, Marking, Reader
from concord.services.feed import PresenceChange
from concord.services.people import directory_marking
from tests.integration.realtime.conftest import Cast
from tests.integration.realtime.live import Socket


@pytest.mark.parametrize("shared_frames", [True, False], ids=["shared-frames", "own-queue"])
def test_people_coming_online_and_going_offline_are_pushed_once_per_person(cast: Cast) -> None:
    watch = Socket(cast.address, cast.tokens["tur_watch"])
    analyst = cast.ids["irq_analyst"]
    first = Socket(cast.address, cast.tokens["irq_analyst"])
    came = watch.presence_until(analyst, True)
    assert {"person_id": analyst, "nation": "IRQ", "online": True} in came
    # A second connection of the same person, then both closed: one "offline", after the last.
    second = Socket(cast.address, cast.tokens["irq_analyst"])
    first.close()
    assert cast.api("tur_watch").get("/api/presence").status_code == 200
    second.close()
    went = watch.presence_until(analyst, False)
    assert [c for c in went if c["person_id"] == analyst] == [{"person_id": analyst, "nation": "IRQ", "online": False}]
    # the REST snapshot a client takes after every (re)connect agrees
    online = {o["person_id"] for o in cast.api("tur_watch").get("/api/presence").json()}
    assert analyst not in online and cast.ids["tur_watch"] in online
    # presence is not an event: nothing of it enters the log or moves the resume cursor
    assert [f for f in watch.quiet(0.3) if f["type"] == "event"] == []
    watch.close()


def test_presence_changes_reach_only_the_reader_classes_the_policy_lets_see_them(cast: Cast) -> None:
    """The feed decides per reader class with `can_see`, as for every event: the centre-wide
    directory marking reaches every class; a narrower marking reaches only those it releases to."""
    feed = cast.centre.feed

    class Told:
        def __init__(self) -> None:
            self.changes: list[PresenceChange] = []

        def presence(self, changes: tuple[PresenceChange, ...]) -> None:
            self.changes.extend(changes)

    everyone = directory_marking("TUR", ["IRQ", "TUR"])
    tur_only = Marking.build(Level.UNCLASSIFIED, "TUR", ["TUR"], "AMBER+STRICT")
    secret = Marking.build(Level.SECRET, "TUR", ["IRQ", "TUR"], "GREEN")

    async def scenario() -> dict[str, list[PresenceChange]]:
        readers = {"irq_restricted": Reader(None, "IRQ", Level.RESTRICTED),
                   "irq_secret": Reader(None, "IRQ", Level.SECRET),
                   "tur_restricted": Reader(None, "TUR", Level.RESTRICTED)}
        told: dict[str, Told] = {}
        windows = []
        for name, reader in readers.items():
            window = await feed.join(reader)
            told[name] = Told()
            window.watchers.add(told[name])
            windows.append(window)
        try:
            feed._tell_presence({101: everyone, 102: tur_only, 103: secret})
            feed._tell_presence({101: everyone, 103: secret})  # 102 goes offline
        finally:
            for name, window in zip(told, windows, strict=True):
                window.watchers.discard(told[name])
                feed.leave(window)
        return {name: t.changes for name, t in told.items()}

    got = asyncio.run(scenario())

    def seen(name: str) -> list[tuple[int, bool]]:
        return [(c.person_id, c.online) for c in got[name]]

    assert seen("irq_restricted") == [(101, True)]
    assert seen("irq_secret") == [(101, True), (103, True)]
    assert seen("tur_restricted") == [(101, True), (102, True), (102, False)]
    assert all(c.nation == "TUR" for c in got["tur_restricted"])
