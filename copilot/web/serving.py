"""A stop signal ends the app within a few seconds, even with employees connected.

``chainlit run`` builds uvicorn's ``Config`` itself and sets no ``timeout_graceful_shutdown``, so on SIGTERM or
SIGINT uvicorn waits without limit for every open request — and a socket.io long-poll (the transport a browser
opens first, and keeps when websockets are blocked) only answers at the next ping, up to 25 s later, for each
session. ``docker stop`` (10 s) and Kubernetes then SIGKILL the app: Redis and the database are never closed. So on shutdown the app first closes its socket.io sessions (a poll gets its close
packet and ends; the browser reconnects, to another replica if there is one), and the wait is bounded:
whatever is still open after it is cancelled, and the app's own shutdown runs.

Both ways of starting the app build their server from these classes: ``python -m copilot.serve`` directly, and
``chainlit run`` because ``bound_graceful_shutdown`` (called by ``app.py`` before uvicorn starts) puts them in
place of ``uvicorn.Config`` and ``uvicorn.Server``. The websocket per-message deflate setting
(``COPILOT_WS_PER_MESSAGE_DEFLATE``) is applied here too, so it holds under either entry point, and so is the
longest request head the server reads (``MAX_REQUEST_HEAD_BYTES``).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

from copilot import logs

log = logs.get_logger(__name__)

MAX_REQUEST_HEAD_BYTES = 128 * 1024
"""The longest request line and headers read whole. h11 reads a request head as it arrives; beyond its default
(16 KiB) it answers a plain-text 400 and closes while the client may still be writing, which the client sees as
a connection reset, depending on how the bytes were split. With this limit an over-long header (a 64 KB
``X-Employee-Email``) reaches the app, which answers its own 400 in words. REST replicas started with the
``uvicorn`` command get it as ``--h11-max-incomplete-event-size 131072`` (docs/scale-out.md)."""


class BoundedConfig(uvicorn.Config):
    """uvicorn's ``Config`` with ``timeout_graceful_shutdown`` defaulting to ``grace`` seconds, and websocket
    per-message deflate as ``per_message_deflate`` says (when set; uvicorn's and Chainlit's default is on), and
    request heads read up to ``MAX_REQUEST_HEAD_BYTES``."""

    grace: float | None = None
    per_message_deflate: bool | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("timeout_graceful_shutdown") is None:
            kwargs["timeout_graceful_shutdown"] = self.grace
        if kwargs.get("h11_max_incomplete_event_size") is None:
            kwargs["h11_max_incomplete_event_size"] = MAX_REQUEST_HEAD_BYTES
        if self.per_message_deflate is not None:
            kwargs["ws_per_message_deflate"] = self.per_message_deflate
        super().__init__(*args, **kwargs)


class DrainingServer(uvicorn.Server):
    """uvicorn's ``Server`` that runs ``before_shutdown`` (bounded by the grace) before closing connections."""

    before_shutdown: Callable[[], Awaitable[None]] | None = None

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.before_shutdown is not None:
            try:
                await asyncio.wait_for(self.before_shutdown(), timeout=self.config.timeout_graceful_shutdown)
            except Exception as error:  # noqa: BLE001 - the stop goes on: the bounded wait still ends it
                log.warning("shutdown_drain_failed", error=type(error).__name__)
        await super().shutdown(sockets)


def bound_graceful_shutdown(seconds: float, before: Callable[[], Awaitable[None]] | None = None,
                            per_message_deflate: bool | None = None) -> None:
    """Make every uvicorn server started from now on (Chainlit's included: ``chainlit.cli`` looks up
    ``uvicorn.Config`` and ``uvicorn.Server`` when it starts) run ``before`` and then wait at most
    ``seconds`` for open requests on shutdown; and compress websocket frames or not (``per_message_deflate``,
    ``None``: as the caller of ``Config`` says)."""
    BoundedConfig.grace = seconds
    BoundedConfig.per_message_deflate = per_message_deflate
    DrainingServer.before_shutdown = staticmethod(before) if before else None  # a plain function would bind
    uvicorn.Config = BoundedConfig  # type: ignore[misc]
    uvicorn.Server = DrainingServer  # type: ignore[misc]
