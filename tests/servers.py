"""Run ASGI apps on real sockets for tests: uvicorn in a thread on a free port (like httpx's suite)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from copilot.web.serving import MAX_REQUEST_HEAD_BYTES


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThreadServer(uvicorn.Server):
    """A uvicorn server that can run in a background thread (no signal handlers)."""

    def install_signal_handlers(self) -> None:  # pragma: no cover - threads cannot own signals
        pass


@contextmanager
def serve(app: Any, port: int | None = None) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 and yield its base URL; stop it afterwards."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                            h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES)  # as the app's own servers
    server = ThreadServer(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 600  # the app fits the offline model and builds its index at start-up: slow on a busy machine
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
