"""Message attachments over REST, on SQLite and PostgreSQL: posted with their message (multipart),
limits and type checks named by field, downloads through the message's releasability policy (404,
never 403), safe download headers, history across edits, retraction, and the audit of reads."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from concord.app import create_app
from concord.centre import Centre
from concord.clock import FixedClock
from concord.domain.audit import READ_ACTION
from concord.domain.markings import Level, Reader
from tests.conftest import fast_settings
from tests.factories import ApiClient, tiny_png
from tests.integration.test_messages_api import JOINT, setup

NOTE = "Konvoy planı — خطة القافلة (exercise).txt"
NOTE_TEXT = b"Convoy ECHO-3 departs 0900Z from checkpoint LIMA (fictional).\n"
File = tuple[str, tuple[str, bytes, str]]


def post_files(api: ApiClient, channel: int, body: str, files: list[File], **message: Any) -> Any:
    fields = {"message": json.dumps({"body": body, "marking": JOINT, **message})}
    return api.post(f"/api/channels/{channel}/messages/with-attachments", data=fields, files=files)


def png(name: str = "sketch.png") -> File:
    return ("files", (name, tiny_png(), "image/png"))


def note(name: str = NOTE, content: bytes = NOTE_TEXT, content_type: str = "text/plain") -> File:
    return ("files", (name, content, content_type))


def test_files_posted_with_a_message_are_stored_and_downloaded_exactly(centre: Centre, client: TestClient) -> None:
    s = setup(centre, client)
    tur, irq = s["c"]["tur"], s["c"]["irq"]
    joint = s["ch"]["centre"]
    posted = post_files(tur, joint, "Sketch and plan attached", [png(), note()], precedence="PRIORITY")
    assert posted.status_code == 201, posted.text
    message = posted.json()
    assert message["precedence"] == "PRIORITY" and message["body"] == "Sketch and plan attached"
    assert message["attachments"] == [
        {"number": 1, "filename": "sketch.png", "content_type": "image/png", "size": len(tiny_png()),
         "sha256": hashlib.sha256(tiny_png()).hexdigest()},
        {"number": 2, "filename": NOTE, "content_type": "text/plain", "size": len(NOTE_TEXT),
         "sha256": hashlib.sha256(NOTE_TEXT).hexdigest()},
    ]
    # history and the one-message read carry the same metadata
    assert irq.get(f"/api/channels/{joint}/messages").json()["items"][0]["attachments"] == message["attachments"]

    image = irq.get(f"/api/messages/{message['id']}/attachments/1")
    assert image.status_code == 200 and image.content == tiny_png()
    assert image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"] == "attachment; filename=\"sketch.png\"; filename*=UTF-8''sketch.png"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in image.headers["content-security-policy"]
    assert "no-store" in image.headers["cache-control"]
    digest = base64.b64encode(hashlib.sha256(tiny_png()).digest()).decode()
    assert image.headers["repr-digest"] == f"sha-256=:{digest}:"

    text = irq.get(f"/api/messages/{message['id']}/attachments/2")
    assert text.status_code == 200 and text.content == NOTE_TEXT
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    disposition = text.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Konvoy plan') and '"' not in disposition.split('"')[2]
    assert disposition.endswith("filename*=UTF-8''Konvoy%20plan%C4%B1%20%E2%80%94%20%D8%AE%D8%B7%D8%A9%20"
                                "%D8%A7%D9%84%D9%82%D8%A7%D9%81%D9%84%D8%A9%20%28exercise%29.txt")
    assert irq.get(f"/api/messages/{message['id']}/attachments/3").status_code == 404


def test_who_may_not_see_the_message_gets_404_for_its_attachments(centre: Centre, client: TestClient) -> None:
    s = setup(centre, client)
    tur, irq, irq_low, tur2 = s["c"]["tur"], s["c"]["irq"], s["c"]["irq_low"], s["c"]["tur2"]
    joint = s["ch"]["centre"]
    # TUR-only in the joint channel: IRQ's people are not in its audience
    tur_only = post_files(tur, joint, "TUR eyes only", [png()], marking={"level": "RESTRICTED", "tlp": "AMBER"})
    assert tur_only.status_code == 201, tur_only.text
    # SECRET for both: IRQ's officer cleared only to RESTRICTED may not see it
    secret = post_files(tur, joint, "Secret annex", [png()],
                        marking={"level": "SECRET", "releasable_to": ["IRQ"], "tlp": "AMBER"}).json()["id"]
    own = f"/api/messages/{tur_only.json()['id']}/attachments/1"
    assert tur.get(own).status_code == 200 and tur2.get(own).status_code == 200
    for url, who in ((own, irq), (own, irq_low), (f"/api/messages/{secret}/attachments/1", irq_low)):
        refused = who.get(url)
        assert refused.status_code == 404 and refused.content != tiny_png()
        assert refused.json()["error"]["code"] == "not_found"
    assert irq.get(f"/api/messages/{secret}/attachments/1").status_code == 200

    # a direct conversation: a third person of the same nation is not a member
    dm = tur.post("/api/channels", json={"kind": "direct", "name": "TUR-IRQ", "max_marking": JOINT,
                                         "members": [s["ids"]["tur"], s["ids"]["irq"]]}).json()["id"]
    private = post_files(irq, dm, "for you", [note()], marking={"level": "RESTRICTED", "releasable_to": ["TUR"]})
    assert private.status_code == 201, private.text
    url = f"/api/messages/{private.json()['id']}/attachments/1"
    assert tur.get(url).content == NOTE_TEXT
    assert tur2.get(url).status_code == 404
    assert client.get(url).status_code == 401


def test_limits_and_types_are_refused_by_field_and_nothing_is_written(centre: Centre, client: TestClient) -> None:
    s = setup(centre, client)
    tur = s["c"]["tur"]
    joint = s["ch"]["centre"]
    exe = ("files", ("tool.exe", b"MZ\x90\x00" + bytes(200), "application/x-msdownload"))
    bad_type = post_files(tur, joint, "see file", [png(), exe])
    assert bad_type.status_code == 422 and bad_type.json()["error"]["details"]["field"] == "files[1].content_type"
    disguised = post_files(tur, joint, "see file", [("files", ("report.pdf", b"MZ\x90\x00" + bytes(200),
                                                              "application/pdf"))])
    assert disguised.status_code == 422
    assert disguised.json()["error"]["details"]["field"] == "files[0].content_type"
    assert "application/x-msdownload" in disguised.json()["error"]["message"]
    html = post_files(tur, joint, "see page", [note("page.html", b"<script>alert(1)</script>", "text/html")])
    assert html.status_code == 422 and html.json()["error"]["details"]["field"] == "files[0].content_type"
    limit = centre.messaging.limits.attachments.max_bytes
    big = post_files(tur, joint, "see file", [note("big.txt", b"x" * (limit + 1))])
    assert big.status_code == 413 and big.json()["error"]["details"]["field"] == "files[0].size"
    many = post_files(tur, joint, "see files", [png(f"p{i}.png") for i in range(6)])
    assert many.status_code == 413 and many.json()["error"]["details"]["field"] == "files"
    assert post_files(tur, joint, "empty", [note("empty.txt", b"")]).status_code == 422
    wrong_marking = post_files(tur, joint, "x", [png()], marking={"level": "TOP"})
    assert wrong_marking.status_code == 422
    assert wrong_marking.json()["error"]["details"]["field"].startswith("message.marking")
    no_files = tur.post(f"/api/channels/{joint}/messages/with-attachments",
                        data={"message": json.dumps({"body": "x", "marking": JOINT})})
    assert no_files.status_code == 422 and no_files.json()["error"]["details"]["field"] == "files"
    observer = post_files(s["c"]["obs"], joint, "observer", [png()])
    assert observer.status_code == 403
    # over the whole request's limit: refused before the form is read
    huge = tur.post(f"/api/channels/{joint}/messages/with-attachments", content=b"x" * 10,
                    headers={"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(10**9)})
    assert huge.status_code == 413
    assert tur.get(f"/api/channels/{joint}/messages").json()["items"] == []
    from concord.storage.attachments import message_attachments

    with centre.db.read() as conn:
        assert conn.execute(message_attachments.select()).first() is None


def test_edits_keep_earlier_attachments_in_history_and_retraction_hides_them(centre: Centre,
                                                                             client: TestClient) -> None:
    s = setup(centre, client)
    tur, irq = s["c"]["tur"], s["c"]["irq"]
    joint = s["ch"]["centre"]
    mid = post_files(tur, joint, "Two annexes", [png(), note()]).json()["id"]
    edited = tur.http.patch(f"/api/messages/{mid}", headers=tur.headers, json={"remove_attachments": [1]})
    assert edited.status_code == 200, edited.text
    assert [a["number"] for a in edited.json()["attachments"]] == [2] and edited.json()["version"] == 2
    (earlier,) = irq.get(f"/api/messages/{mid}/revisions").json()
    assert [a["filename"] for a in earlier["attachments"]] == ["sketch.png", NOTE]
    assert irq.get(f"/api/messages/{mid}/attachments/1").content == tiny_png()  # still reachable from history
    text_edit = tur.http.patch(f"/api/messages/{mid}", headers=tur.headers, json={"body": "One annex"})
    assert [a["number"] for a in text_edit.json()["attachments"]] == [2]
    assert irq.http.patch(f"/api/messages/{mid}", headers=irq.headers,
                          json={"remove_attachments": [2]}).status_code == 403
    gone = tur.http.patch(f"/api/messages/{mid}", headers=tur.headers, json={"remove_attachments": [1]})
    assert gone.status_code == 422 and gone.json()["error"]["details"]["field"] == "remove_attachments"

    assert tur.delete(f"/api/messages/{mid}").json()["attachments"] == []
    for who in (tur, irq):
        assert who.get(f"/api/messages/{mid}/attachments/1").status_code == 404
        assert who.get(f"/api/messages/{mid}/attachments/2").status_code == 404
    assert irq.get(f"/api/messages/{mid}/revisions").json() == []  # withdrawn from readers
    assert len(tur.get(f"/api/messages/{mid}/revisions").json()) == 3  # the author keeps the history


def test_downloads_at_the_audit_level_are_audited_and_the_post_carries_the_digests(centre: Centre,
                                                                                   client: TestClient) -> None:
    s = setup(centre, client)
    tur, irq = s["c"]["tur"], s["c"]["irq"]
    joint = s["ch"]["centre"]
    secret = post_files(tur, joint, "Secret sketch", [png()],
                        marking={"level": "SECRET", "releasable_to": ["IRQ"], "tlp": "AMBER"}).json()
    restricted = post_files(tur, joint, "Restricted sketch", [png()]).json()
    events = [e for e in irq.get("/api/events").json() if e["kind"] == "message.posted"]
    assert events[0]["payload"]["attachments"][0]["sha256"] == hashlib.sha256(tiny_png()).hexdigest()

    def reads() -> list[str]:
        entries = centre.audit.entries(Reader(irq.person_id, "IRQ", Level.SECRET), 0, 1000)
        return [e.item_id for e, _ in entries if e is not None and e.action == READ_ACTION
                and e.item_type == "message_attachment" and e.actor_person == irq.person_id]

    assert irq.get(f"/api/messages/{restricted['id']}/attachments/1").status_code == 200
    assert irq.get(f"/api/messages/{secret['id']}/attachments/1").status_code == 200
    assert reads() == [f"{secret['id']}/1"]


def test_the_limits_and_types_come_from_settings(database_url: str, tmp_path: Path, clock: FixedClock) -> None:
    settings = fast_settings(database_url, tmp_path / "data", attachment_max_bytes=100, attachment_max_count=2,
                             attachment_types=["text/plain", "text/csv; charset=utf-8"], max_body_bytes=4096)
    centre = Centre(settings, clock=clock)
    centre.nations.add("TUR", "Türkiye")
    centre.nations.add("IRQ", "Iraq")
    try:
        with TestClient(create_app(centre=centre)) as client:
            s = setup(centre, client)
            tur, joint = s["c"]["tur"], s["ch"]["centre"]
            ok = post_files(tur, joint, "fits", [note("a.txt", b"x" * 100), note("b.csv", b"a,b\n1,2\n", "text/csv")])
            assert ok.status_code == 201, ok.text
            assert post_files(tur, joint, "big", [note("a.txt", b"x" * 101)]).status_code == 413
            assert post_files(tur, joint, "three", [note(f"{i}.txt", b"x") for i in range(3)]).status_code == 413
            png_refused = post_files(tur, joint, "png", [png()])
            assert png_refused.status_code == 422
            assert png_refused.json()["error"]["details"]["field"] == "files[0].content_type"
            # the whole request may exceed the ordinary body limit on this path only
            two = post_files(tur, joint, "x" * 3000, [note("a.txt", b"y" * 100), note("b.txt", b"z" * 100)])
            assert two.status_code == 201, two.text
            assert tur.post(f"/api/channels/{joint}/messages", json={"body": "x" * 5000, "marking": JOINT}
                            ).status_code == 413
    finally:
        centre.close()


def test_messages_written_before_attachments_had_content_still_read(centre: Centre, client: TestClient) -> None:
    # Earlier versions stored only name, type and size; such a message reads, and has no file to fetch.
    from sqlalchemy import update

    from concord.storage.messages import messages

    s = setup(centre, client)
    tur, irq = s["c"]["tur"], s["c"]["irq"]
    joint = s["ch"]["centre"]
    mid = tur.post(f"/api/channels/{joint}/messages", json={"body": "old", "marking": JOINT}).json()["id"]
    with centre.db.write() as tx:
        tx.conn.execute(update(messages).where(messages.c.id == mid).values(
            attachments=[{"filename": "old.pdf", "content_type": "application/pdf", "size": 10}]))
    (old,) = irq.get(f"/api/messages/{mid}").json()["attachments"]
    assert old == {"number": 1, "filename": "old.pdf", "content_type": "application/pdf", "size": 10, "sha256": ""}
    assert irq.get(f"/api/messages/{mid}/attachments/1").status_code == 404


def test_a_file_larger_than_a_download_part_is_sent_whole(centre: Centre, client: TestClient,
                                                           monkeypatch: Any) -> None:
    from concord.services import messages as messaging

    monkeypatch.setattr(messaging, "DOWNLOAD_PART", 1000)  # so a small file takes several parts
    s = setup(centre, client)
    tur, irq = s["c"]["tur"], s["c"]["irq"]
    content = b"".join(f"Line {i:05d} of the fictional patrol log.\n".encode() for i in range(151))
    assert len(content) > 5 * 1000 and len(content) % 1000
    posted = post_files(tur, s["ch"]["centre"], "The full log", [note("log.txt", content)])
    assert posted.status_code == 201, posted.text
    got = irq.get(f"/api/messages/{posted.json()['id']}/attachments/1")
    assert got.status_code == 200 and got.content == content
    assert got.headers["content-length"] == str(len(content))
