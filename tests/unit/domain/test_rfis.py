from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from concord.domain import rfis
from concord.domain.errors import Forbidden, Invalid, StateConflict
from concord.domain.markings import Level
from concord.domain.rfis import RfiStatus, TaskingStatus

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def raw_rfi(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "recipients": ["IRQ"],
        "subject": "Vehicle movements at the Ibrahim Khalil crossing",
        "question": "Did your border police record unusual truck movements on 28 November after 22:00?",
        "priority": "high",
        "ltiov": "2026-11-30T12:00:00Z",
        "ceiling": "CONFIDENTIAL",
        "marking": {"level": "RESTRICTED", "originator": "TUR", "releasable_to": ["IRQ", "SYR"]},
    }
    raw.update(changes)
    return raw


def answer_marking(level: str = "RESTRICTED", originator: str = "IRQ",
                   to: tuple[str, ...] = ("TUR",)) -> dict[str, Any]:
    return {"level": level, "originator": originator, "releasable_to": list(to)}


def submitted(**changes: Any) -> rfis.Rfi:
    return rfis.submit(raw_rfi(**changes), "TUR", 1, NOW)


def test_submission_makes_one_tasking_per_recipient() -> None:
    rfi = submitted(recipients=["IRQ", "SYR"])
    assert rfi.status is RfiStatus.SUBMITTED
    assert set(rfi.taskings) == {"IRQ", "SYR"}
    assert rfi.ceiling is Level.CONFIDENTIAL
    assert rfi.ltiov == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("changes", "field"), [
    ({"ltiov": "2026-11-29T11:59:00Z"}, "ltiov"),  # in the past
    ({"ltiov": "tomorrow"}, "ltiov"),
    ({"recipients": []}, "recipients"),
    ({"recipients": ["TUR"]}, "recipients"),
    ({"recipients": ["IRN"]}, "recipients"),  # the marking does not release the RFI to IRN
    ({"priority": "whenever"}, "priority"),
    ({"ceiling": "TOP SECRET"}, "ceiling"),
    ({"subject": ""}, "subject"),
    ({"question": None}, "question"),
    ({"marking": {"level": "RESTRICTED", "originator": "IRQ"}}, "marking.originator"),
    ({"marking": "secret"}, "marking"),
    ({"answer": "42"}, "answer"),
])
def test_bad_submissions_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as err:
        submitted(**changes)
    assert err.value.field == field


def test_accept_answer_close() -> None:
    rfi = rfis.accept(submitted(), "IRQ", NOW + timedelta(hours=1))
    assert rfi.status is RfiStatus.ACCEPTED
    with pytest.raises(StateConflict):
        rfis.close(rfi, "TUR", NOW)  # not answered yet
    rfi = rfis.answer(rfi, "IRQ", 7, "Three trucks at 23:40, papers in order.", answer_marking(),
                      NOW + timedelta(hours=3))
    assert rfi.status is RfiStatus.ANSWERED
    assert rfi.taskings["IRQ"].first_answer_at == NOW + timedelta(hours=3)
    rfi = rfis.close(rfi, "TUR", NOW + timedelta(hours=4))
    assert rfi.status is RfiStatus.CLOSED
    with pytest.raises(StateConflict):
        rfis.answer(rfi, "IRQ", 7, "more", answer_marking(), NOW)


def test_only_the_requester_closes_or_withdraws() -> None:
    rfi = rfis.answer(rfis.accept(submitted(), "IRQ", NOW), "IRQ", 7, "x", answer_marking(), NOW)
    with pytest.raises(Forbidden):
        rfis.close(rfi, "IRQ", NOW)
    with pytest.raises(Forbidden):
        rfis.withdraw(rfi, "IRQ", NOW)


def test_rejection_needs_a_reason_and_ends_that_recipients_part() -> None:
    rfi = submitted(recipients=["IRQ", "SYR"])
    with pytest.raises(Invalid) as err:
        rfis.reject(rfi, "SYR", "", NOW)
    assert err.value.field == "reason"
    rfi = rfis.reject(rfi, "SYR", "Outside our area of responsibility", NOW)
    assert rfi.taskings["SYR"].status is TaskingStatus.REJECTED
    assert rfi.status is RfiStatus.SUBMITTED  # IRQ has not responded
    with pytest.raises(StateConflict):
        rfis.accept(rfi, "SYR", NOW)
    rfi = rfis.reject(rfi, "IRQ", "No such records", NOW)
    assert rfi.status is RfiStatus.REJECTED
    assert rfis.close(rfi, "TUR", NOW).status is RfiStatus.CLOSED


def test_answering_needs_acceptance_first_and_a_recipient() -> None:
    rfi = submitted()
    with pytest.raises(StateConflict):
        rfis.answer(rfi, "IRQ", 7, "x", answer_marking(), NOW)
    with pytest.raises(Forbidden):
        rfis.accept(rfi, "IRN", NOW)


@pytest.mark.parametrize(("marking", "field"), [
    (answer_marking(level="SECRET"), "answer_marking.level"),  # above the CONFIDENTIAL ceiling
    (answer_marking(to=()), "answer_marking.releasable_to"),  # the requester could not read it
    ({**answer_marking(to=("TUR",)), "tlp": "RED"}, "answer_marking.releasable_to"),
    (answer_marking(originator="TUR"), "answer_marking.originator"),
])
def test_answers_stay_within_the_ceiling_and_reach_the_requester(marking: dict[str, Any], field: str) -> None:
    rfi = rfis.accept(submitted(), "IRQ", NOW)
    with pytest.raises(Invalid) as err:
        rfis.answer(rfi, "IRQ", 7, "x", marking, NOW)
    assert err.value.field == field


def test_an_answer_at_the_ceiling_is_accepted() -> None:
    rfi = rfis.accept(submitted(), "IRQ", NOW)
    rfi = rfis.answer(rfi, "IRQ", 7, "x", answer_marking(level="CONFIDENTIAL"), NOW)
    assert rfi.answers[0].marking.level is Level.CONFIDENTIAL


def test_withdrawal_ends_an_open_rfi_once() -> None:
    rfi = rfis.withdraw(rfis.accept(submitted(), "IRQ", NOW), "TUR", NOW)
    assert rfi.status is RfiStatus.WITHDRAWN and not rfi.is_open
    with pytest.raises(StateConflict):
        rfis.withdraw(rfi, "TUR", NOW)
    with pytest.raises(StateConflict):
        rfis.accept(rfi, "IRQ", NOW)


def test_overdue_while_somebody_still_owes_an_answer() -> None:
    rfi = submitted(recipients=["IRQ", "SYR"])
    after = rfi.ltiov + timedelta(minutes=1)
    assert not rfi.is_overdue(rfi.ltiov) and rfi.is_overdue(after)
    rfi = rfis.answer(rfis.accept(rfi, "IRQ", NOW), "IRQ", 7, "x", answer_marking(), NOW)
    assert rfi.is_overdue(after) and rfi.owing() == {"SYR"}
    rejected = rfis.reject(rfi, "SYR", "no", NOW)
    assert not rejected.is_overdue(after)
    notified = rfis.mark_overdue_notified(rfi, after)
    assert notified.overdue_notified
    with pytest.raises(StateConflict):
        rfis.mark_overdue_notified(notified, after)
    with pytest.raises(StateConflict):
        rfis.mark_overdue_notified(rfi, NOW)
    assert not rfis.withdraw(rfi, "TUR", NOW).is_overdue(after)


def test_figures_per_nation() -> None:
    one = rfis.answer(rfis.accept(submitted(), "IRQ", NOW), "IRQ", 7, "x", answer_marking(),
                      NOW + timedelta(hours=2))
    two = rfis.answer(rfis.accept(submitted(), "IRQ", NOW), "IRQ", 7, "x", answer_marking(),
                      NOW + timedelta(hours=6))
    three = rfis.answer(rfis.accept(submitted(), "IRQ", NOW), "IRQ", 7, "x", answer_marking(),
                        NOW + timedelta(hours=7))
    waiting = submitted(recipients=["IRQ", "SYR"], ltiov="2026-11-29T18:00:00Z")
    later = NOW + timedelta(hours=8)  # after waiting's LTIOV
    irq = rfis.figures([one, two, three, waiting], "IRQ", later)
    assert (irq.open_received, irq.overdue_received, irq.answered) == (1, 1, 3)
    assert irq.median_hours_to_answer == 6.0
    tur = rfis.figures([one, two, three, waiting], "TUR", later)
    assert (tur.open_sent, tur.overdue_sent, tur.open_received) == (4, 1, 0)
    assert tur.median_hours_to_answer is None
    four = rfis.answer(rfis.accept(submitted(), "IRQ", NOW), "IRQ", 7, "x", answer_marking(),
                       NOW + timedelta(hours=10))
    assert rfis.figures([one, two, three, four], "IRQ", later).median_hours_to_answer == 6.5
