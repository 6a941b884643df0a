"""Read-then-write races on PostgreSQL, where writers no longer take turns on a centre-wide lock: two
requests deciding on the same key at once give the right outcome (no 500, no lost or doubled effect).

Each race is made certain, not left to luck: the threads meet at a barrier after the read and before
the write. Where the service opens its own unit of work the meeting point is the clock, which every
writer reads after deciding; a writer held back by a row lock never reaches it, so the barrier then
times out and the other goes on alone (the fixed behaviour: the second decides on the first's outcome).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import shapely
from sqlalchemy import select

from concord.centre import Centre
from concord.clock import FixedClock
from concord.domain.channels import Membership
from concord.domain.errors import StateConflict
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.people import Role
from concord.domain.sites import SiteKind, SiteSpec, SiteStatus
from concord.domain.tracks import Track
from concord.storage import channels as channel_store
from concord.storage import incidents as incident_store
from concord.storage import tracks as track_store
from concord.storage.events import events
from tests.conftest import _wipe_postgres, fast_settings
from tests.factories import PASSWORD, person

AT = datetime(2026, 1, 1, tzinfo=UTC)
MEET_SECONDS = 3.0


class MeetingClock(FixedClock):
    """A test clock at which the threads of a race meet, once each, the first time they read it."""

    def __init__(self) -> None:
        super().__init__(AT)
        self.barrier: threading.Barrier | None = None
        self._local = threading.local()

    def arm(self) -> None:
        """The calling thread meets the others at its next reading of the clock."""
        self._local.pending = True

    def now(self) -> datetime:
        barrier = self.barrier
        if barrier is not None and getattr(self._local, "pending", False):
            self._local.pending = False
            # Broken when the other is waiting on a lock this one holds: go on alone.
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(MEET_SECONDS)
        return super().now()


@pytest.fixture
def clock() -> MeetingClock:
    return MeetingClock()


@pytest.fixture
def centre(postgres_database: str, tmp_path: Path, clock: MeetingClock) -> Iterator[Centre]:
    _wipe_postgres(postgres_database)
    the_centre = Centre(fast_settings(postgres_database, tmp_path / "data"), clock=clock)
    the_centre.nations.add("TUR", "Türkiye")
    the_centre.nations.add("IRQ", "Iraq")
    yield the_centre
    the_centre.close()


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Run `calls` in threads at once; each one's result or the exception it raised."""
    outcomes: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            outcomes[i] = calls[i]()
        except BaseException as exc:  # reported to the test
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def failures(outcomes: list[Any]) -> list[BaseException]:
    return [o for o in outcomes if isinstance(o, BaseException)]


def race(clock: MeetingClock, *calls: Callable[[], Any]) -> list[Any]:
    """Run `calls` at once, meeting at the clock; each one's result or the exception it raised."""
    clock.barrier = threading.Barrier(len(calls))

    def armed(call: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            clock.arm()
            return call()
        return run

    outcomes = together(*(armed(c) for c in calls))
    clock.barrier = None
    return outcomes


def events_of(centre: Centre, kind: str, item_id: int | str) -> list[int | None]:
    """The recipient of each `kind` event written about `item_id` (ordered yet or not; None: not addressed)."""
    with centre.db.read() as conn:
        return sorted((r[0] for r in conn.execute(select(events.c.recipient_id).where(
            events.c.kind == kind, events.c.item_id == str(item_id)))), key=lambda r: r or 0)


def open_direct(centre: Centre, opener: int, other: int) -> Any:
    actor = centre.people.actor(opener)
    marking = Marking.build(Level.RESTRICTED, actor.nation, [centre.people.actor(other).nation])
    return centre.channels.create_channel(actor, kind="direct", name="pair", members=[opener, other],
                                          max_marking=marking)


def test_two_tabs_opening_one_conversation_get_the_same_channel(centre: Centre, clock: MeetingClock) -> None:
    for _ in range(3):
        tur_id, _ = person(centre, "TUR")
        irq_id, _ = person(centre, "IRQ")
        first, second = race(clock, lambda: open_direct(centre, tur_id, irq_id),  # noqa: B023 - joined below
                             lambda: open_direct(centre, irq_id, tur_id))  # noqa: B023
        assert not isinstance(first, BaseException), first
        assert not isinstance(second, BaseException), second
        assert first.id == second.id
        assert sorted(first.members) == sorted(second.members) == sorted([tur_id, irq_id])
        assert events_of(centre, "channel.created", first.id) == sorted([tur_id, irq_id])  # one each


def test_adding_one_member_twice_at_once_adds_them_once(centre: Centre) -> None:
    [channel, *_] = centre.channels.ensure_standard_channels()
    assert channel.id is not None
    member_id, _ = person(centre, "TUR")
    barrier = threading.Barrier(2)

    def add() -> bool:
        assert channel.id is not None
        with centre.db.write() as tx:
            barrier.wait(10)  # both have decided the person is not a member yet
            return channel_store.add_member(tx.conn, channel.id, Membership(member_id, True), AT)

    added = together(add, add)
    assert failures(added) == []
    assert sorted(added) == [False, True]
    with centre.db.read() as conn:
        assert channel_store.member_ids(conn, channel.id).count(member_id) == 1


def test_two_officers_acknowledging_one_site_acknowledge_it_once(centre: Centre, clock: MeetingClock) -> None:
    commander = centre.people.actor(person(centre, "TUR", (Role.COMMANDER,))[0])
    officers = [centre.people.actor(person(centre, nation, (Role.WATCH_OFFICER,))[0]) for nation in ("TUR", "IRQ")]
    site = centre.sites.add(commander, SiteSpec(SiteKind.HOSPITAL, "Field hospital", shapely.Point(43.1, 36.9),
                                                250.0, Marking.build(Level.RESTRICTED, "TUR", ["IRQ"], Tlp.AMBER)))
    assert site.status == SiteStatus.NOTIFIED

    outcomes = race(clock, *[lambda o=o: centre.sites.acknowledge(o, site.id) for o in officers])

    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], StateConflict), outcomes
    assert events_of(centre, "site.acknowledged", site.id) == [None]  # one
    [winner] = [o for o in outcomes if not isinstance(o, BaseException)]
    assert winner.status == SiteStatus.ACKNOWLEDGED


def test_a_double_submitted_new_person_is_created_once(centre: Centre, clock: MeetingClock) -> None:
    admin = centre.people.actor(person(centre, "TUR", (Role.ADMINISTRATOR,))[0])

    def create() -> int:
        return centre.people.create(admin, username="tur.double", display_name="Double Submit", nation="TUR",
                                    clearance=Level.SECRET, password=PASSWORD)

    outcomes = race(clock, create, create)

    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], StateConflict), outcomes
    assert refused[0].details == {"field": "username"}
    [person_id] = [o for o in outcomes if not isinstance(o, BaseException)]
    assert events_of(centre, "person.created", person_id) == [None]


def test_two_ends_of_one_appointment_end_it_once(centre: Centre, clock: MeetingClock) -> None:
    admin = centre.people.actor(person(centre, "TUR", (Role.ADMINISTRATOR,))[0])
    officer_id, _ = person(centre, "TUR", ())
    appointment_id = centre.people.appoint(None, person_id=officer_id, role=Role.WATCH_OFFICER)

    outcomes = race(clock, *[lambda: centre.people.end_appointment(admin, appointment_id)] * 2)

    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], StateConflict), outcomes
    assert events_of(centre, "appointment.ended", appointment_id) == [None]


def test_one_incident_category_added_twice_at_once_is_added_once(centre: Centre) -> None:
    barrier = threading.Barrier(2)

    def add() -> bool:
        with centre.db.write() as tx:
            assert "flood_relief" not in incident_store.vocabulary(tx.conn).labels
            barrier.wait(10)  # both have found the code free
            return incident_store.add_category(tx.conn, "flood_relief", {"en": "Flood relief"}, "TUR", AT)

    added = together(add, add)
    assert failures(added) == []
    assert sorted(added) == [False, True]


def test_a_partner_reporting_a_new_track_uid_at_the_same_moment_does_not_take_it_over(centre: Centre) -> None:
    barrier = threading.Barrier(2)

    def report(nation: str, delay: float) -> None:
        track = Track("shared-uid-1", nation, "a-f-G", None, 36.9, 43.1, None, None, None, AT, AT, None)
        save = track_store.Save(track, Marking.build(Level.RESTRICTED, nation, [], Tlp.AMBER_STRICT), "<event/>")
        with centre.db.write() as tx:
            assert track_store.owner_nations(tx.conn, track_store.cot_tracks, {track.uid}) == {}
            barrier.wait(10)  # both have found the uid unowned
            time.sleep(delay)  # TUR writes first; IRQ's write then waits for TUR's commit
            track_store.save_tracks(tx.conn, [save], person_id=None)

    assert failures(together(lambda: report("TUR", 0.0), lambda: report("IRQ", 0.5))) == []
    with centre.db.read() as conn:
        assert track_store.owner_nations(conn, track_store.cot_tracks, {"shared-uid-1"}) == {"shared-uid-1": "TUR"}
        callsign = conn.execute(select(track_store.cot_tracks.c.callsign)).scalar_one()
    assert callsign == "TUR"


def test_one_nation_added_twice_at_once_joins_once(centre: Centre, clock: MeetingClock) -> None:
    outcomes = race(clock, *[lambda: centre.nations.add("JOR", "Jordan")] * 2)

    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], StateConflict), outcomes
    assert events_of(centre, "nation.joined", "JOR") == [None]


def test_two_processes_setting_up_the_standard_channels_at_once_make_each_once(
        centre: Centre, clock: MeetingClock) -> None:
    first, second = race(clock, centre.channels.ensure_standard_channels, centre.channels.ensure_standard_channels)
    assert not isinstance(first, BaseException), first
    assert not isinstance(second, BaseException), second
    assert sorted(c.kind.value + (c.nation or "") for c in first + second) == ["centre", "nationIRQ", "nationTUR"]
    with centre.db.read() as conn:
        kinds = sorted(r[0] + (r[1] or "") for r in conn.execute(
            select(channel_store.channels.c.kind, channel_store.channels.c.nation)))
    assert kinds == ["centre", "nationIRQ", "nationTUR"]


def test_two_processes_scanning_for_overdue_rfis_at_once_tell_once(centre: Centre, clock: MeetingClock,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from concord.clock import iso
    from concord.services import rfis as rfi_service
    from tests.integration.test_rfis_api import rfi_body

    tur_id, _ = person(centre, "TUR", (Role.LIAISON_OFFICER,))
    body = rfi_body(clock, ltiov=iso(clock.now() + timedelta(hours=2)))
    body["marking"] = {**body["marking"], "originator": "TUR"}
    submitted = centre.rfis.submit(centre.people.actor(tur_id), body)
    clock.advance(timedelta(hours=3))
    # The scans meet after their read (the service reads the clock before it): a scan held back by
    # the first one's row locks never gets there, and the first goes on alone.
    scanned = rfi_service.store.overdue_unnotified
    met = threading.Barrier(2)

    def scan_then_meet(conn: Any, now: datetime) -> Any:
        found = scanned(conn, now)
        with contextlib.suppress(threading.BrokenBarrierError):
            met.wait(MEET_SECONDS)
        return found

    monkeypatch.setattr(rfi_service.store, "overdue_unnotified", scan_then_meet)
    first, second = race(clock, centre.rfis.notify_overdue, centre.rfis.notify_overdue)
    assert not isinstance(first, BaseException) and not isinstance(second, BaseException), (first, second)
    assert sorted([first, second]) == [0, 1]  # one told
    assert events_of(centre, "rfi.overdue", submitted.rfi.id) == [None]
