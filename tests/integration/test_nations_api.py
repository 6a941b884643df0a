"""Nations over HTTP: every partner reads them all; a nation's administrators, and only they, change
its name and labels (domain/ownership.py, Kind.NATION); a bad label is refused naming its field."""

from __future__ import annotations

from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.domain.people import Role
from tests.factories import person, sign_in

TUR_LABELS = {"UNCLASSIFIED": "TASNİF DIŞI", "RESTRICTED": "HİZMETE ÖZEL", "CONFIDENTIAL": "ÖZEL",
              "SECRET": "ÇOK GİZLİ"}


def test_an_administrator_changes_own_nations_labels_and_every_partner_reads_them(
        centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin1")
    person(centre, "IRQ", (Role.WATCH_OFFICER,), username="irq.reader")
    admin = sign_in(client, "tur.admin1")
    changed = admin.put("/api/nations/TUR", json={"name": "Türkiye", "labels": TUR_LABELS})
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"code": "TUR", "name": "Türkiye", "labels": TUR_LABELS}
    seen = {n["code"]: n for n in sign_in(client, "irq.reader").get("/api/nations").json()}
    assert seen["TUR"]["labels"]["SECRET"] == "ÇOK GİZLİ" and seen["TUR"]["name"] == "Türkiye"
    assert centre.nations.get("TUR").labels == TUR_LABELS


def test_only_the_nations_own_administrators_change_it(centre: Centre, client: TestClient) -> None:
    person(centre, "IRQ", (Role.ADMINISTRATOR,), username="irq.admin1")
    person(centre, "TUR", (Role.COMMANDER,), username="tur.boss")
    before = centre.nations.get("TUR")
    other = sign_in(client, "irq.admin1").put("/api/nations/TUR", json={"name": "X", "labels": {}})
    assert other.status_code == 403 and other.json()["error"]["details"]["field"] == "originator"
    own_commander = sign_in(client, "tur.boss").put("/api/nations/TUR", json={"name": "X", "labels": {}})
    assert own_commander.status_code == 403
    assert centre.nations.get("TUR") == before


def test_bad_input_names_the_field_and_writes_nothing(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin2")
    admin = sign_in(client, "tur.admin2")
    before = centre.nations.get("TUR")
    unknown = admin.put("/api/nations/TUR", json={"name": "Türkiye", "labels": {"TOP_SECRET": "ÇOK GİZLİ"}})
    assert unknown.status_code == 422 and unknown.json()["error"]["details"]["field"] == "labels.TOP_SECRET"
    blank = admin.put("/api/nations/TUR", json={"name": "Türkiye", "labels": {"SECRET": "  "}})
    assert blank.status_code == 422 and blank.json()["error"]["details"]["field"] == "labels.SECRET"
    absent = admin.put("/api/nations/XYZ", json={"name": "Nowhere", "labels": {}})
    assert absent.status_code == 404
    assert centre.nations.get("TUR") == before
