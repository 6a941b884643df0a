"""The two TAXII servers of bench_intel, each started on loopback in its own process.

* medallion (OASIS reference TAXII 2.1 server): its own CLI (the Flask development server) with the
  memory backend, from a generated config and data file (`max_page_size` raised to 1,000);
* Concord: `concord serve`'s app under uvicorn, over a SQLite file prepared with two nations and
  one analyst per nation.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.harness import free_port

PAGE = 1000


# --- medallion --------------------------------------------------------------------------------

MEDALLION_ROOT = "api1"
MEDALLION_COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"


@dataclass
class Server:
    base: str
    collection_url: str
    user: str
    password: str
    process: subprocess.Popen[bytes]
    #: Concord's SQLite file (None for medallion): where the bench reads the indexer's position.
    database: Path | None = None


def medallion_files(directory: Path, port: int) -> Path:
    """Write medallion's config and data file (the shape its MemoryBackend reads) and return the config."""
    media = "application/stix+json;version=2.1"
    data = {
        "/discovery": {
            "title": "medallion bench",
            "default": f"http://127.0.0.1:{port}/{MEDALLION_ROOT}/",
            "api_roots": [f"http://127.0.0.1:{port}/{MEDALLION_ROOT}/"],
        },
        MEDALLION_ROOT: {
            "information": {
                "title": "bench root",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 100_000_000,
            },
            "status": [],
            "collections": [
                {
                    "id": MEDALLION_COLLECTION,
                    "title": "bench",
                    "can_read": True,
                    "can_write": True,
                    "media_types": [media],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    data_file = directory / "data.json"
    data_file.write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(data_file),
        },
        "users": {"bench": "bench-password"},
        "taxii": {"max_page_size": PAGE},
    }
    config_file = directory / "config.json"
    config_file.write_text(json.dumps(config))
    return config_file


@contextlib.contextmanager
def medallion() -> Iterator[Server]:
    with tempfile.TemporaryDirectory(prefix="bench-medallion-") as tmp:
        port = free_port()
        config = medallion_files(Path(tmp), port)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "medallion.scripts.run",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "ERROR",
                str(config),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{base}/taxii2/", ("bench", "bench-password"), process)
            yield Server(
                base,
                f"{base}/{MEDALLION_ROOT}/collections/{MEDALLION_COLLECTION}/",
                "bench",
                "bench-password",
                process,
            )
        finally:
            process.terminate()
            process.wait(timeout=30)


def wait_until_up(url: str, auth: tuple[str, str], process: subprocess.Popen[bytes], limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        with contextlib.suppress(requests.RequestException):
            reply = requests.get(url, auth=auth, timeout=5, headers={"Accept": "application/taxii+json;version=2.1"})
            if reply.status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {limit} s")


# --- Concord ----------------------------------------------------------------------------------

BENCH_USER = "tur.bench"
BENCH_PASSWORD = "bench password, not a secret"  # noqa: S105 (throwaway account, temporary database)


def prepare_centre(directory: Path, database_url: str | None = None) -> Any:
    """A migrated centre (a SQLite file in `directory` unless another database is given) with TUR and
    IRQ and one analyst of each; returns it (the caller closes it)."""
    from concord.centre import Centre
    from concord.domain.markings import Level
    from concord.domain.people import Role
    from concord.settings import Settings

    url = database_url or f"sqlite:///{directory}/concord.db"
    centre = Centre(Settings(database_url=url, data_dir=directory / "data"))
    centre.migrate()
    centre.nations.add("TUR", "Türkiye")
    centre.nations.add("IRQ", "Iraq")
    for username, nation in ((BENCH_USER, "TUR"), ("irq.bench", "IRQ")):
        person_id = centre.people.create(
            None,
            username=username,
            display_name=f"Bench {nation}",
            nation=nation,
            clearance=Level.SECRET,
            password=BENCH_PASSWORD,
        )
        centre.people.appoint(None, person_id=person_id, role=Role.ANALYST)
    return centre


@contextlib.contextmanager
def concord_server(directory: Path | None = None, database_url: str | None = None) -> Iterator[Server]:
    """`concord serve` (uvicorn, one process) on loopback over a SQLite file, or over `database_url`
    (a throwaway PostgreSQL database) when given."""
    from concord.domain.intel import collection_id

    with contextlib.ExitStack() as stack:
        if directory is None:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-concord-")))
            prepare_centre(directory, database_url).close()
        port = free_port()
        env = {
            **os.environ,
            "CONCORD_DATABASE_URL": database_url or f"sqlite:///{directory}/concord.db",
            "CONCORD_DATA_DIR": str(directory / "data"),
            "CONCORD_LOG_JSON": "false",
            "PYTHONWARNINGS": "ignore",
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "concord.app:app_from_environment",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{base}/taxii2/", (BENCH_USER, BENCH_PASSWORD), process)
            yield Server(
                base, f"{base}/taxii2/concord/collections/{collection_id('TUR')}/", BENCH_USER, BENCH_PASSWORD, process,
                None if database_url else directory / "concord.db",
            )
        finally:
            process.terminate()
            process.wait(timeout=30)


@contextlib.contextmanager
def concord_postgres_server() -> Iterator[Server]:
    """`concord_server` over a fresh PostgreSQL database on the local server, dropped afterwards."""
    from bench.harness import throwaway_postgres

    with throwaway_postgres() as url, concord_server(database_url=url) as server:
        yield server
