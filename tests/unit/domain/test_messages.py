from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from concord.domain.attachments import AttachmentLimits, Upload
from concord.domain.channels import Membership, Participant, new_channel
from concord.domain.errors import Forbidden, Invalid, NotFound, StateConflict, TooLarge
from concord.domain.markings import Level, Marking
from concord.domain.messages import (
    MessageLimits,
    Precedence,
    Receipt,
    compose,
    edit,
    mark_acknowledged,
    mark_delivered,
    mark_read,
    retract,
)
from tests.factories import tiny_png

T0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
JOINT = Marking.build("SECRET", "TUR", ["IRQ"], "AMBER")
CENTRE = replace(new_channel("centre", "Joint watch", JOINT), id=1)
author = Participant(1, "TUR", Level.SECRET, frozenset({"watch_officer"}))
other = Participant(2, "IRQ", Level.SECRET, frozenset({"liaison"}))


def post(body: str = "Convoy delayed at checkpoint ALPHA", precedence: str = "ROUTINE", **kw: object):  # type: ignore[no-untyped-def]
    message = compose(CENTRE, author, None, body=body, precedence=precedence, marking=JOINT, now=T0, **kw)  # type: ignore[arg-type]
    return replace(message, id=100)


def test_precedence_orders_flash_above_immediate_above_priority_above_routine() -> None:
    assert sorted(Precedence, reverse=True) == [
        Precedence.FLASH,
        Precedence.IMMEDIATE,
        Precedence.PRIORITY,
        Precedence.ROUTINE,
    ]
    assert [p.prosign for p in sorted(Precedence, reverse=True)] == ["Z", "O", "P", "R"]
    assert Precedence.parse("flash") is Precedence.FLASH
    assert Precedence.parse("O") is Precedence.IMMEDIATE
    for bad in ("URGENT", "", 3, None):
        with pytest.raises(Invalid) as err:
            Precedence.parse(bad)
        assert err.value.field == "precedence"


def test_a_composed_message_keeps_what_was_said() -> None:
    message = post("  Hello\r\nİyi nöbetler — مرحبا  ", "FLASH")
    assert message.body == "  Hello\nİyi nöbetler — مرحبا"
    assert message.precedence is Precedence.FLASH
    assert (message.author_id, message.author_nation, message.channel_id) == (1, "TUR", 1)
    assert message.posted_at == T0 and message.version == 1 and not message.retracted


def test_body_limits_name_the_field() -> None:
    with pytest.raises(Invalid) as err:
        post("   \n ")
    assert err.value.field == "body"
    with pytest.raises(TooLarge) as too_large:
        post("x" * 4001)
    assert too_large.value.field == "body"
    post("x" * 4000)
    with pytest.raises(Invalid) as err:
        post("bell\x07")
    assert err.value.field == "body"
    with pytest.raises(TooLarge):
        post("x" * 11, limits=MessageLimits(max_body_chars=10))


def test_who_may_post_is_checked_before_anything_is_composed() -> None:
    nation = replace(
        new_channel("nation", "IRQ", Marking.build("SECRET", "IRQ", [], "AMBER"), nation="IRQ"), id=2
    )
    with pytest.raises(NotFound):
        compose(nation, author, None, body="hi", precedence="ROUTINE", marking=JOINT, now=T0)
    op = replace(new_channel("operation", "op", JOINT, subject_id="op-1"), id=3)
    with pytest.raises(Forbidden):
        compose(
            op, author, Membership(1, may_post=False), body="hi", precedence="ROUTINE", marking=JOINT, now=T0
        )
    with pytest.raises(Invalid) as err:
        compose(
            CENTRE,
            author,
            None,
            body="hi",
            precedence="ROUTINE",
            now=T0,
            marking=Marking.build("SECRET", "TUR", ["IRQ", "SYR"]),
        )
    assert err.value.field == "marking.releasable_to"


def test_attachments_are_checked_and_numbered_in_order() -> None:
    ok = Upload("route.geojson", "application/geo+json", b'{"type": "Point", "coordinates": [43.1, 37.1]}')
    notes = Upload("notes.txt", "text/plain; charset=utf-8", "Nöbet notu — ملاحظة".encode())
    message = post(uploads=[ok, notes])
    assert [(a.number, a.filename, a.content_type) for a in message.attachments] == [
        (1, "route.geojson", "application/geo+json"), (2, "notes.txt", "text/plain")]
    assert message.attachments[1].sha256 == hashlib.sha256(notes.content).hexdigest()
    cases = [
        ([Upload("a.exe", "application/x-msdownload", b"MZ" + bytes(200))], Invalid, "files[0].content_type"),
        ([ok, Upload("../../etc/passwd", "text/plain", b"x")], Invalid, "files[1].filename"),
        ([Upload("big.txt", "text/plain", b"x" * (10 * 1024 * 1024 + 1))], TooLarge, "files[0].size"),
        ([ok] * 6, TooLarge, "files"),
    ]
    for uploads, error, field in cases:
        with pytest.raises(error) as err:
            post(uploads=uploads)
        assert err.value.field == field
    tight = MessageLimits(
        attachments=AttachmentLimits(max_bytes=100, max_count=1, allowed_types=frozenset({"text/plain"}))
    )
    with pytest.raises(TooLarge):
        post(uploads=[Upload("n.txt", "text/plain; charset=utf-8", b"x" * 101)], limits=tight)


def test_edit_keeps_the_history_and_only_the_author_may_edit() -> None:
    message = post("Checkpoint ALPHA closed")
    later = T0 + timedelta(minutes=3)
    edited, revision = edit(message, 1, "Checkpoint ALPHA closed until 1400Z", later)
    assert (edited.body, edited.version, edited.edited_at) == (
        "Checkpoint ALPHA closed until 1400Z",
        2,
        later,
    )
    assert (revision.version, revision.body, revision.replaced_by) == (1, "Checkpoint ALPHA closed", 1)
    with pytest.raises(Forbidden):
        edit(message, 2, "mine now", later)
    with pytest.raises(Invalid) as err:
        edit(message, 1, "Checkpoint ALPHA closed ", later)
    assert err.value.field == "body"


def test_an_edit_may_drop_attachments_and_the_revision_keeps_them() -> None:
    message = post("Two annexes", uploads=[Upload("a.png", "image/png", tiny_png()),
                                          Upload("b.txt", "text/plain", b"annex B")])
    later = T0 + timedelta(minutes=1)
    edited, revision = edit(message, 1, None, later, remove=[1])
    assert edited.body == "Two annexes" and [a.number for a in edited.attachments] == [2]
    assert [a.number for a in revision.attachments] == [1, 2] and edited.version == 2
    again, _ = edit(edited, 1, "One annex", later)
    assert [a.number for a in again.attachments] == [2]  # a text edit keeps the attachments
    with pytest.raises(Invalid) as err:
        edit(edited, 1, None, later, remove=[1])  # already gone from this version
    assert err.value.field == "remove_attachments"
    with pytest.raises(Invalid) as err:
        edit(edited, 1, None, later)
    assert err.value.field == "body"


def test_retraction_withdraws_the_text_keeps_it_in_history_and_ends_changes() -> None:
    message = post("Wrong grid", uploads=[Upload("a.png", "image/png", tiny_png())])
    gone, revision = retract(message, 1, T0)
    assert gone.retracted and gone.body == "" and gone.attachments == ()
    assert revision.body == "Wrong grid" and revision.attachments
    with pytest.raises(Forbidden):
        retract(message, 2, T0)
    with pytest.raises(StateConflict):
        retract(gone, 1, T0)
    with pytest.raises(StateConflict):
        edit(gone, 1, "again", T0)


def test_receipts_track_delivered_read_and_acknowledged_separately() -> None:
    receipt = Receipt(100, 2)
    assert receipt.state == "pending"
    t1, t2, t3 = (T0 + timedelta(seconds=s) for s in (1, 20, 40))
    delivered = mark_delivered(receipt, t1)
    assert delivered.state == "delivered" and mark_delivered(delivered, t2).delivered_at == t1
    read = mark_read(delivered, t2)
    assert (read.state, read.delivered_at, read.read_at) == ("read", t1, t2)
    acked = mark_acknowledged(read, t3)
    assert (acked.state, acked.read_at, acked.acknowledged_at) == ("acknowledged", t2, t3)
    # acknowledging straight away implies delivered and read at that moment
    direct = mark_acknowledged(Receipt(100, 3), t3)
    assert direct.delivered_at == direct.read_at == direct.acknowledged_at == t3
