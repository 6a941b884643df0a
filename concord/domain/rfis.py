"""Requests for information (RFIs) between nations.

One nation asks one or more others one question on one subject, with a priority, a latest time of
value (LTIOV, after which an answer is of no use) and a marking ceiling for the answers. Each
recipient works its own tasking:

    submitted → accepted → answered            (or submitted → rejected, with a reason)

and the RFI as a whole is closed by the requester once answered, or withdrawn by the requester at
any time before that. The RFI's overall status follows from its taskings (`Rfi.status`).
An RFI is overdue when its LTIOV has passed while a recipient still owes an answer.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from concord.domain import coordination_fields as f
from concord.domain.errors import Forbidden, Invalid, StateConflict
from concord.domain.markings import Level, Marking


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    ROUTINE = "routine"
    LOW = "low"


class RfiStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ANSWERED = "answered"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


#: Statuses in which somebody still owes somebody something.
OPEN_STATUSES = frozenset({RfiStatus.SUBMITTED, RfiStatus.ACCEPTED, RfiStatus.ANSWERED})


class TaskingStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ANSWERED = "answered"


@dataclass(frozen=True, slots=True)
class Answer:
    nation: str
    person_id: int | None
    at: datetime
    text: str
    marking: Marking


@dataclass(frozen=True, slots=True)
class Tasking:
    """One recipient nation's part of an RFI."""

    nation: str
    status: TaskingStatus = TaskingStatus.SUBMITTED
    responded_at: datetime | None = None
    reason: str = ""
    first_answer_at: datetime | None = None

    @property
    def owes_answer(self) -> bool:
        return self.status in (TaskingStatus.SUBMITTED, TaskingStatus.ACCEPTED)


@dataclass(frozen=True, slots=True)
class Rfi:
    id: int | None
    requester: str
    person_id: int | None
    subject: str
    question: str
    priority: Priority
    ltiov: datetime
    ceiling: Level
    marking: Marking
    submitted_at: datetime
    taskings: Mapping[str, Tasking]
    answers: tuple[Answer, ...] = ()
    ended: RfiStatus | None = None  # CLOSED or WITHDRAWN once the requester has ended it
    ended_at: datetime | None = None
    overdue_notified: bool = False
    version: int = 1

    @property
    def recipients(self) -> frozenset[str]:
        return frozenset(self.taskings)

    @property
    def involved(self) -> frozenset[str]:
        return self.recipients | {self.requester}

    @property
    def status(self) -> RfiStatus:
        if self.ended is not None:
            return self.ended
        states = [t.status for t in self.taskings.values()]
        if all(s is TaskingStatus.REJECTED for s in states):
            return RfiStatus.REJECTED
        if all(s in (TaskingStatus.ANSWERED, TaskingStatus.REJECTED) for s in states):
            return RfiStatus.ANSWERED
        if any(s in (TaskingStatus.ACCEPTED, TaskingStatus.ANSWERED) for s in states):
            return RfiStatus.ACCEPTED
        return RfiStatus.SUBMITTED

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def owing(self) -> frozenset[str]:
        """Recipients that have neither answered nor rejected."""
        if self.ended is not None:
            return frozenset()
        return frozenset(n for n, t in self.taskings.items() if t.owes_answer)

    def is_overdue(self, now: datetime) -> bool:
        return now > self.ltiov and bool(self.owing())

    def text_for_matching(self) -> str:
        return f"{self.subject}\n{self.question}"


_FIELDS = ("recipients", "subject", "question", "priority", "ltiov", "ceiling", "marking")


def submit(raw: Mapping[str, Any], requester: str, person_id: int | None, now: datetime) -> Rfi:
    """Validate a new RFI as submitted (JSON-shaped input)."""
    unknown = set(raw) - set(_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid(f"unknown field {name!r}", field=name)
    recipients = f.nations(raw.get("recipients", ()), "recipients")
    if requester in recipients:
        raise Invalid("an RFI goes to other nations, not to the requester's own", field="recipients")
    priority_raw = raw.get("priority", Priority.ROUTINE.value)
    if priority_raw not in {p.value for p in Priority}:
        raise Invalid(f"priority must be one of {', '.join(p.value for p in Priority)}", field="priority")
    ltiov = f.utc_time(raw.get("ltiov"), "ltiov")
    if ltiov <= now:
        raise Invalid("the latest time of value (ltiov) must be in the future", field="ltiov")
    marking = f.marking(raw.get("marking"))
    if marking.originator != requester:
        raise Invalid("the requesting nation is the originator of an RFI's marking",
                      field="marking.originator")
    unseen = sorted(recipients - marking.audience)
    if unseen:
        raise Invalid(f"the marking does not release the RFI to recipient(s) {', '.join(unseen)}",
                      field="recipients")
    return Rfi(
        id=None, requester=requester, person_id=person_id,
        subject=f.text(raw.get("subject"), "subject", max_length=200, single_line=True),
        question=f.text(raw.get("question"), "question", max_length=10_000),
        priority=Priority(priority_raw), ltiov=ltiov,
        ceiling=f.level(raw.get("ceiling", marking.level.name), "ceiling"),
        marking=marking, submitted_at=now,
        taskings={n: Tasking(n) for n in sorted(recipients)},
    )


def accept(rfi: Rfi, nation: str, now: datetime) -> Rfi:
    tasking = _tasking_for(rfi, nation)
    if tasking.status is not TaskingStatus.SUBMITTED:
        raise StateConflict(f"{nation} has already {tasking.status.value} this RFI", field="status")
    return _with_tasking(rfi, replace(tasking, status=TaskingStatus.ACCEPTED, responded_at=now))


def reject(rfi: Rfi, nation: str, reason: Any, now: datetime) -> Rfi:
    tasking = _tasking_for(rfi, nation)
    if tasking.status is not TaskingStatus.SUBMITTED:
        raise StateConflict(f"{nation} has already {tasking.status.value} this RFI", field="status")
    why = f.text(reason, "reason", max_length=2000)
    return _with_tasking(rfi, replace(tasking, status=TaskingStatus.REJECTED, responded_at=now, reason=why))


def answer(rfi: Rfi, nation: str, person_id: int | None, body: Any, marking_raw: Any, now: datetime) -> Rfi:
    """An accepting recipient answers (and may add to its answer until the RFI is closed)."""
    tasking = _tasking_for(rfi, nation)
    if tasking.status not in (TaskingStatus.ACCEPTED, TaskingStatus.ANSWERED):
        raise StateConflict(f"{nation} must accept the RFI before answering it (its part is "
                            f"{tasking.status.value})", field="status")
    marking = f.marking(marking_raw, "answer_marking")
    check_answer_marking(rfi, nation, marking)
    text = f.text(body, "answer", max_length=20_000)
    new = Answer(nation, person_id, now, text, marking)
    answered = replace(tasking, status=TaskingStatus.ANSWERED, first_answer_at=tasking.first_answer_at or now)
    return replace(_with_tasking(rfi, answered), answers=(*rfi.answers, new))


def check_answer_marking(rfi: Rfi, nation: str, marking: Marking) -> None:
    """An answer stays within the RFI's ceiling and is releasable to the nation that asked."""
    if marking.originator != nation:
        raise Invalid("the answering nation is the originator of its answer's marking",
                      field="answer_marking.originator")
    if marking.level > rfi.ceiling:
        raise Invalid(f"the answer is marked {marking.level.name}, above the RFI's ceiling "
                      f"{rfi.ceiling.name}", field="answer_marking.level")
    if rfi.requester not in marking.audience:
        raise Invalid(f"the answer's marking does not release it to the requester {rfi.requester}",
                      field="answer_marking.releasable_to")


def close(rfi: Rfi, nation: str, now: datetime) -> Rfi:
    _require_requester(rfi, nation, "closes")
    if rfi.status not in (RfiStatus.ANSWERED, RfiStatus.REJECTED):
        raise StateConflict(f"an RFI is closed once answered (status is {rfi.status.value}); "
                            "withdraw it instead", field="status")
    return replace(rfi, ended=RfiStatus.CLOSED, ended_at=now, version=rfi.version + 1)


def withdraw(rfi: Rfi, nation: str, now: datetime) -> Rfi:
    _require_requester(rfi, nation, "withdraws")
    if rfi.ended is not None:
        raise StateConflict(f"the RFI is already {rfi.ended.value}", field="status")
    return replace(rfi, ended=RfiStatus.WITHDRAWN, ended_at=now, version=rfi.version + 1)


def mark_overdue_notified(rfi: Rfi, now: datetime) -> Rfi:
    """Record that both sides were told the RFI is overdue, so they are told only once."""
    if not rfi.is_overdue(now):
        raise StateConflict("the RFI is not overdue", field="ltiov")
    if rfi.overdue_notified:
        raise StateConflict("the overdue notice was already sent", field="overdue_notified")
    return replace(rfi, overdue_notified=True, version=rfi.version + 1)


def _tasking_for(rfi: Rfi, nation: str) -> Tasking:
    if rfi.ended is not None:
        raise StateConflict(f"the RFI is {rfi.ended.value}", field="status")
    tasking = rfi.taskings.get(nation)
    if tasking is None:
        raise Forbidden(f"the RFI is not addressed to {nation}", field="nation")
    return tasking


def _with_tasking(rfi: Rfi, tasking: Tasking) -> Rfi:
    return replace(rfi, taskings={**rfi.taskings, tasking.nation: tasking}, version=rfi.version + 1)


def _require_requester(rfi: Rfi, nation: str, verb: str) -> None:
    if nation != rfi.requester:
        raise Forbidden(f"only the requesting nation {verb} an RFI", field="nation")


@dataclass(frozen=True, slots=True)
class NationFigures:
    """How a nation is doing with RFIs: what it owes, what it is owed, how fast it answers."""

    nation: str
    open_received: int = 0
    overdue_received: int = 0
    open_sent: int = 0
    overdue_sent: int = 0
    answered: int = 0
    median_hours_to_answer: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "nation": self.nation, "open_received": self.open_received,
            "overdue_received": self.overdue_received, "open_sent": self.open_sent,
            "overdue_sent": self.overdue_sent, "answered": self.answered,
            "median_hours_to_answer": self.median_hours_to_answer,
        }


def figures(rfis: list[Rfi], nation: str, now: datetime) -> NationFigures:
    """Per-nation figures over the RFIs given (the caller passes only what the reader may see).

    Received RFIs count once per tasking owed by `nation`; the median time to answer runs from
    submission to the nation's first answer.
    """
    open_received = overdue_received = open_sent = overdue_sent = 0
    hours: list[float] = []
    for rfi in rfis:
        tasking = rfi.taskings.get(nation)
        if tasking is not None:
            if tasking.first_answer_at is not None:
                hours.append((tasking.first_answer_at - rfi.submitted_at).total_seconds() / 3600)
            if rfi.ended is None and tasking.owes_answer:
                open_received += 1
                overdue_received += now > rfi.ltiov
        if rfi.requester == nation and rfi.is_open:
            open_sent += 1
            overdue_sent += rfi.is_overdue(now)
    return NationFigures(nation, open_received, overdue_received, open_sent, overdue_sent, len(hours),
                         round(statistics.median(hours), 2) if hours else None)
