"""Requests for information: the RFI, one tasking per recipient nation, answers with their own markings.

An RFI is read through its own marking; each answer additionally through the answer's marking, so a
reader who may see the question does not necessarily see every answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

from concord.clock import utc
from concord.domain.errors import NotFound, StateConflict
from concord.domain.markings import Level, Reader
from concord.domain.rfis import Answer, Priority, Rfi, RfiStatus, Tasking, TaskingStatus
from concord.storage.dialect import for_update
from concord.storage.policy import marking_from_row, marking_values, visible_to
from concord.storage.schema import TS, BigId, marking_columns, metadata

rfis = Table(
    "rfis", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("requester", String(3), nullable=False, index=True),
    Column("person_id", BigId, nullable=True),
    Column("recipients", String(400), nullable=False),  # "|IRQ|SYR|"
    Column("subject", String(200), nullable=False),
    Column("question", Text, nullable=False),
    Column("priority", String(16), nullable=False),
    Column("ltiov", TS, nullable=False),
    Column("ceiling", SmallInteger, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # derived, kept for queries
    Column("submitted_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("ended", String(16), nullable=True),
    Column("ended_at", TS, nullable=True),
    Column("overdue_notified", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    *marking_columns(),
)

rfi_taskings = Table(
    "rfi_taskings", metadata,
    Column("rfi_id", BigId, ForeignKey("rfis.id"), primary_key=True),
    Column("nation", String(3), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("responded_at", TS, nullable=True),
    Column("reason", Text, nullable=False),
    Column("first_answer_at", TS, nullable=True),
)

rfi_answers = Table(
    "rfi_answers", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("rfi_id", BigId, ForeignKey("rfis.id"), nullable=False, index=True),
    Column("nation", String(3), nullable=False),
    Column("person_id", BigId, nullable=True),
    Column("at", TS, nullable=False),
    Column("text", Text, nullable=False),
    *marking_columns(),
)


def _bars(nations: frozenset[str]) -> str:
    return "|" + "|".join(sorted(nations)) + "|"


def _values(rfi: Rfi, now: datetime) -> dict[str, Any]:
    return {
        "requester": rfi.requester, "person_id": rfi.person_id, "recipients": _bars(rfi.recipients),
        "subject": rfi.subject, "question": rfi.question, "priority": rfi.priority.value, "ltiov": rfi.ltiov,
        "ceiling": int(rfi.ceiling), "status": rfi.status.value, "submitted_at": rfi.submitted_at,
        "updated_at": now, "ended": rfi.ended.value if rfi.ended else None, "ended_at": rfi.ended_at,
        "overdue_notified": rfi.overdue_notified, "version": rfi.version, **marking_values(rfi.marking),
    }


def add_rfi(conn: Connection, rfi: Rfi) -> int:
    rfi_id = int(conn.execute(insert(rfis).values(**_values(rfi, rfi.submitted_at))
                              .returning(rfis.c.id)).scalar_one())
    _write_taskings(conn, rfi_id, rfi)
    return rfi_id


def save_rfi(conn: Connection, rfi: Rfi, expected_version: int, now: datetime,
             new_answer: Answer | None = None) -> None:
    result = conn.execute(update(rfis).where(rfis.c.id == rfi.id, rfis.c.version == expected_version)
                          .values(**_values(rfi, now)))
    if result.rowcount != 1:
        raise StateConflict("the RFI was changed by someone else; reload it and try again", field="version")
    assert rfi.id is not None
    conn.execute(delete(rfi_taskings).where(rfi_taskings.c.rfi_id == rfi.id))
    _write_taskings(conn, rfi.id, rfi)
    if new_answer is not None:
        conn.execute(insert(rfi_answers).values(
            rfi_id=rfi.id, nation=new_answer.nation, person_id=new_answer.person_id, at=new_answer.at,
            text=new_answer.text, **marking_values(new_answer.marking)))


def _write_taskings(conn: Connection, rfi_id: int, rfi: Rfi) -> None:
    conn.execute(insert(rfi_taskings), [
        {"rfi_id": rfi_id, "nation": t.nation, "status": t.status.value, "responded_at": t.responded_at,
         "reason": t.reason, "first_answer_at": t.first_answer_at} for t in rfi.taskings.values()])


def _rfi(row: Mapping[str, Any], taskings: list[Tasking], answers: tuple[Answer, ...]) -> Rfi:
    return Rfi(
        id=row["id"], requester=row["requester"], person_id=row["person_id"], subject=row["subject"],
        question=row["question"], priority=Priority(row["priority"]), ltiov=utc(row["ltiov"]),
        ceiling=Level(row["ceiling"]), marking=marking_from_row(row), submitted_at=utc(row["submitted_at"]),
        taskings={t.nation: t for t in taskings}, answers=answers,
        ended=RfiStatus(row["ended"]) if row["ended"] else None,
        ended_at=utc(row["ended_at"]) if row["ended_at"] is not None else None,
        overdue_notified=row["overdue_notified"], version=row["version"],
    )


def _load(conn: Connection, reader: Reader | None, rows: list[Any]) -> list[Rfi]:
    """Attach taskings and (the answers `reader` may see; all for the system) to RFI rows."""
    ids = [r.id for r in rows]
    if not ids:
        return []
    taskings: dict[int, list[Tasking]] = {i: [] for i in ids}
    for t in conn.execute(select(rfi_taskings).where(rfi_taskings.c.rfi_id.in_(ids))):
        taskings[t.rfi_id].append(Tasking(
            t.nation, TaskingStatus(t.status), utc(t.responded_at) if t.responded_at else None, t.reason,
            utc(t.first_answer_at) if t.first_answer_at else None))
    answers: dict[int, list[Answer]] = {i: [] for i in ids}
    query = select(rfi_answers).where(rfi_answers.c.rfi_id.in_(ids)).order_by(rfi_answers.c.id)
    if reader is not None:
        query = query.where(visible_to(rfi_answers, reader))
    for a in conn.execute(query):
        mapping: Any = a._mapping
        answers[a.rfi_id].append(Answer(a.nation, a.person_id, utc(a.at), a.text, marking_from_row(mapping)))
    return [_rfi(r._mapping, taskings[r.id], tuple(answers[r.id])) for r in rows]


def get_rfi(conn: Connection, reader: Reader, rfi_id: int) -> Rfi:
    row = conn.execute(select(rfis).where(rfis.c.id == rfi_id, visible_to(rfis, reader))).first()
    if row is None:
        raise NotFound(f"no RFI {rfi_id}", field="rfi_id")
    return _load(conn, reader, [row])[0]


def list_rfis(conn: Connection, reader: Reader, *, box: str = "all", status: str | None = None,
              open_only: bool = False, limit: int = 1000) -> list[Rfi]:
    """`box`: "inbox" (addressed to the reader's nation), "outbox" (from it) or "all" visible."""
    query = select(rfis).where(visible_to(rfis, reader))
    if box == "inbox":
        query = query.where(rfis.c.recipients.like(f"%|{reader.nation}|%"))
    elif box == "outbox":
        query = query.where(rfis.c.requester == reader.nation)
    if status:
        query = query.where(rfis.c.status == status)
    if open_only:
        query = query.where(rfis.c.ended.is_(None))
    query = query.order_by(rfis.c.ltiov, rfis.c.id).limit(limit)
    return _load(conn, reader, list(conn.execute(query)))


def rfis_in_period(conn: Connection, reader: Reader, start: datetime, end: datetime) -> list[Rfi]:
    """RFIs still open at the end of the period or changed within it."""
    c = rfis.c
    query = (select(rfis)
             .where(visible_to(rfis, reader), c.submitted_at < end,
                    (c.ended.is_(None)) | ((c.updated_at >= start) & (c.updated_at < end)))
             .order_by(c.ltiov, c.id))
    return _load(conn, reader, list(conn.execute(query)))


def overdue_unnotified(conn: Connection, now: datetime) -> list[Rfi]:
    """System scan (no reader: nothing is returned to a person, only events are written). The rows
    stay locked until the caller commits: a second process scanning at once waits, then no longer
    finds them (PostgreSQL re-checks `overdue_notified` on the row it waited for)."""
    query = for_update(conn, select(rfis).where(rfis.c.ended.is_(None), rfis.c.ltiov < now,
                                                rfis.c.overdue_notified.is_(False)).order_by(rfis.c.id))
    return [r for r in _load(conn, None, list(conn.execute(query))) if r.is_overdue(now)]

