"""A real HTTP server (uvicorn on loopback) around a test centre, for third-party clients."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from concord.app import create_app
from concord.centre import Centre


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(centre: Centre) -> Iterator[str]:
    """Serve `centre` on a free loopback port until the block ends; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(create_app(centre=centre), host="127.0.0.1", port=port, log_config=None,
                            lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
