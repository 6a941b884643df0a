from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from concord.domain.errors import Invalid
from concord.domain.incident_facts import Counts, Location
from concord.domain.markings import Level, Marking, Reader, Tlp, can_see
from concord.domain.sitrep import (
    IncidentRow,
    MessageVolume,
    Period,
    RfiRow,
    Sitrep,
    document_marking,
    dtg,
)

NATIONS = ("TUR", "IRQ", "SYR")
markings = st.builds(
    Marking.build,
    st.sampled_from(list(Level)),
    st.sampled_from(NATIONS),
    st.frozensets(st.sampled_from(NATIONS)),
    st.sampled_from(list(Tlp)),
)


def incident(marking: Marking, *, new: bool = True, killed: int = 0) -> IncidentRow:
    return IncidentRow(1, "t", "Armed attack", "reported", marking.originator, frozenset(),
                       datetime(2026, 11, 28, 3, 0, tzinfo=UTC),
                       Location.parse({"type": "Point", "coordinates": [44.0, 37.1]}),
                       Counts({"killed": killed}), marking, new)


def test_a_day_is_midnight_to_midnight_utc() -> None:
    period = Period.day(date(2026, 11, 28))
    assert period.start == datetime(2026, 11, 28, tzinfo=UTC)
    assert period.contains(datetime(2026, 11, 28, 23, 59, tzinfo=UTC))
    assert not period.contains(datetime(2026, 11, 29, tzinfo=UTC))


def test_bad_periods_are_refused() -> None:
    with pytest.raises(Invalid):
        Period(datetime(2026, 11, 29, tzinfo=UTC), datetime(2026, 11, 28, tzinfo=UTC))
    with pytest.raises(Invalid):
        Period(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 28, tzinfo=UTC))


def test_date_time_group() -> None:
    assert dtg(datetime(2026, 11, 29, 5, 7, tzinfo=UTC)) == "290507Z NOV 26"


def test_banner_shows_highest_level_common_releasability_and_strictest_tlp() -> None:
    marking = document_marking([
        Marking.build("RESTRICTED", "TUR", ["IRQ", "SYR"], "GREEN"),
        Marking.build("SECRET", "IRQ", ["TUR"], "AMBER"),
    ])
    assert marking.banner() == "SECRET // REL TO IRQ, TUR // TLP:AMBER"
    # The national label sits in a Unicode bidi isolate so an Arabic label cannot reorder the line.
    assert marking.banner({"SECRET": "GİZLİ"}) == "SECRET (\u2068GİZLİ\u2069) // REL TO IRQ, TUR // TLP:AMBER"
    alone = document_marking([Marking.build("CONFIDENTIAL", "TUR", ["IRQ"], "RED")])
    assert alone.banner() == "CONFIDENTIAL // TUR ONLY // TLP:RED"
    assert document_marking([]).banner() == "UNCLASSIFIED // TLP:CLEAR"


@given(st.lists(markings, min_size=1, max_size=6))
def test_the_document_marking_is_never_below_any_item(ms: list[Marking]) -> None:
    doc = document_marking(ms)
    assert doc.level == max(m.level for m in ms)
    assert doc.audience is not None
    for m in ms:
        assert doc.audience <= m.audience


@given(st.lists(markings, max_size=6), st.sampled_from(NATIONS), st.sampled_from(list(Level)))
def test_a_report_holding_anything_the_reader_may_not_see_is_refused(
        ms: list[Marking], nation: str, clearance: Level) -> None:
    reader = Reader(1, nation, clearance)
    report = Sitrep("Centre", "Reader", reader, Period.day(date(2026, 11, 28)),
                    datetime(2026, 11, 29, tzinfo=UTC), incidents=[incident(m) for m in ms])
    if all(can_see(reader, m) for m in ms):
        report.ensure_visible_to(reader)
    else:
        with pytest.raises(RuntimeError):
            report.ensure_visible_to(reader)


def test_key_figures_add_up_the_rows() -> None:
    m = Marking.build("RESTRICTED", "TUR", ["IRQ"])
    rfi = RfiRow(3, "s", "TUR", frozenset({"IRQ"}), "high", "accepted",
                 datetime(2026, 11, 28, 20, 0, tzinfo=UTC), True, m)
    report = Sitrep("Centre", "Reader", Reader(1, "TUR", Level.SECRET), Period.day(date(2026, 11, 28)),
                    datetime(2026, 11, 29, tzinfo=UTC),
                    incidents=[incident(m, killed=2), incident(m, new=False, killed=1)], rfis=[rfi],
                    messages=MessageVolume({"FLASH": 1, "ROUTINE": 9}, m))
    figures = report.key_figures()
    assert figures["new_incidents"] == 1 and figures["changed_incidents"] == 1
    assert figures["killed"] == 3 and figures["overdue_rfis"] == 1 and figures["messages"] == 10
