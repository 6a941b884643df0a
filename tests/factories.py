"""Small factories for tests: people with appointments, signed-in API clients."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.domain.markings import Level
from concord.domain.people import Role

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def person(centre: Centre, nation: str = "TUR", roles: tuple[Role, ...] = (Role.ANALYST,),
           clearance: Level = Level.SECRET, username: str | None = None) -> tuple[int, str]:
    name = username or f"{nation.lower()}.p{next(_counter)}"
    person_id = centre.people.create(None, username=name, display_name=f"Test {name}", nation=nation,
                                     clearance=clearance, password=PASSWORD)
    for role in roles:
        centre.people.appoint(None, person_id=person_id, role=role)
    return person_id, name


class ApiClient:
    """A TestClient signed in as one person, by bearer token (no CSRF needed) or cookie."""

    def __init__(self, client: TestClient, token: str, csrf: str, person_id: int) -> None:
        self.http = client
        self.token = token
        self.csrf = csrf
        self.person_id = person_id
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url: str, **kw: Any) -> Any:
        return self.http.get(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.http.post(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self.http.put(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.http.delete(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> ApiClient:
    response = client.post("/api/session", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    client.cookies.clear()  # API clients authenticate by bearer token only
    return ApiClient(client, body["token"], body["csrf_token"], body["person"]["id"])


def tiny_png(width: int = 2, height: int = 2) -> bytes:
    """A real (valid) PNG of a few grey pixels, for attachment tests."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = b"".join(b"\x00" + bytes([128] * width) for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def field_centre(centre: Centre) -> Centre:
    """The TAK gateway's usual cast: two nations, each with one field unit (`tur.field`, `irq.field`)."""
    centre.nations.add("TUR", "Türkiye")
    centre.nations.add("IRQ", "Iraq")
    person(centre, "TUR", (Role.FIELD_UNIT,), username="tur.field")
    person(centre, "IRQ", (Role.FIELD_UNIT,), username="irq.field")
    return centre


@contextmanager
def sender_and_receiver_centre(data_dir: Path) -> Iterator[str]:
    """A throwaway PostgreSQL centre for several server processes sharing `data_dir` (its keys):
    TUR and IRQ, `tur.sender` (liaison officer), `irq.receiver` (watch officer), the standard channels."""
    from tests.conftest import fast_settings, throwaway_postgres

    with throwaway_postgres() as url:
        centre = Centre(fast_settings(url, data_dir))
        centre.migrate()
        centre.nations.add("TUR", "Türkiye")
        centre.nations.add("IRQ", "Iraq")
        person(centre, "TUR", (Role.LIAISON_OFFICER,), username="tur.sender")
        person(centre, "IRQ", (Role.WATCH_OFFICER,), username="irq.receiver")
        centre.channels.ensure_standard_channels()
        centre.close()
        yield url
