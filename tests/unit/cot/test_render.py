"""The centre's own items as CoT: messages as GeoChat, areas as TAK drawings (cot/render.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from concord.cot.render import chat_to_event, shape_to_event
from concord.domain.tracks import ALL_CHAT_ROOMS, ChatMessage, Shape, chat_from_event, chat_uid

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_geochat_round_trips_between_message_and_event() -> None:
    message = ChatMessage("m-42", ALL_CHAT_ROOMS, "ANDROID-irq-3", "SAQR-3", "Convoy at checkpoint 4", NOW)
    cot = chat_to_event(message)
    assert cot.type == "b-t-f" and cot.uid == "GeoChat.ANDROID-irq-3.All Chat Rooms.m-42"
    assert chat_from_event(cot) == message and chat_uid(message) == cot.uid


def test_geochat_from_text_with_control_characters_carries_the_rest() -> None:
    # XML cannot carry most control characters: they are left out, the message is not lost.
    message = ChatMessage("m-43", ALL_CHAT_ROOMS, "ANDROID-irq-3", "SAQR\x073", "Convoy\x0b at\x00 checkpoint", NOW)
    back = chat_from_event(chat_to_event(message))
    assert (back.text, back.sender_callsign) == ("Convoy at checkpoint", "SAQR3")


def test_rectangle_polygon_and_circle_become_tak_drawings() -> None:
    rectangle = Shape("op-1", "Operation KESTREL", {"type": "Polygon", "coordinates": [
        [[43.0, 36.0], [43.5, 36.0], [43.5, 36.5], [43.0, 36.5], [43.0, 36.0]]]})
    cot = shape_to_event(rectangle, NOW)
    assert cot.type == "u-d-r"
    assert [link.get("point") for link in cot.detail.iter("link")] == [
        "36.0000000,43.0000000", "36.0000000,43.5000000", "36.5000000,43.5000000", "36.5000000,43.0000000"]
    assert (cot.lat, cot.lon) == (36.25, 43.25)

    triangle = Shape("op-2", "Area B", {"type": "Polygon", "coordinates": [
        [[43.0, 36.0], [43.5, 36.0], [43.2, 36.4], [43.0, 36.0]]]})
    cot = shape_to_event(triangle, NOW)
    assert cot.type == "u-d-f" and len(list(cot.detail.iter("link"))) == 4

    hospital = Shape("site-1", "Hospital", {"type": "Point", "coordinates": [43.1, 36.9]}, radius_m=300)
    cot = shape_to_event(hospital, NOW)
    assert cot.type == "u-d-c-c"
    assert cot.detail_attr("shape/ellipse", "major") == "300.0"
    assert cot.stale == NOW + timedelta(hours=24)


def test_a_direct_geochat_names_its_addressee_and_a_room_does_not() -> None:
    direct = ChatMessage("m-7", "SAQR-1", "ANDROID-tur-1", "ALPHA-1", "Meet at the bridge", NOW,
                         recipient_uid="ANDROID-irq-1")
    cot = chat_to_event(direct)
    assert cot.detail_attr("__chat/chatgrp", "uid1") == "ANDROID-irq-1"
    assert chat_from_event(cot) == direct
    room = chat_from_event(chat_to_event(ChatMessage("m-8", ALL_CHAT_ROOMS, "ANDROID-tur-1", "ALPHA-1", "hi", NOW)))
    assert room.recipient_uid is None
    group = chat_to_event(ChatMessage("m-9", "Patrol group", "ANDROID-tur-1", "ALPHA-1", "hi", NOW))
    chatgrp = group.find("__chat/chatgrp")
    assert chatgrp is not None
    chatgrp.set("uid1", "ANDROID-tur-2")
    chatgrp.set("uid2", "ANDROID-tur-3")           # a group chat lists its members
    assert chat_from_event(group).recipient_uid is None
