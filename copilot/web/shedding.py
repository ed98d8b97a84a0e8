"""Front-door load shedding for the REST channel: refuse at once when too many requests are in flight.

The engine's turn slots bound the work, but a refused request used to pay for authentication, the
employee look-up, the conversation lock and the state load before it heard "busy" — under overload
that took seconds. This pure ASGI middleware counts the REST requests in flight in this process and
answers 503 + Retry-After (with the same words as every other "busy") before any of that work, so a
saturated replica says so immediately and keeps its CPU for the turns it has accepted.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from copilot import failures, logs

PREFIX = "/api/v1/"
log = logs.get_logger(__name__)


class LoadShedding:
    def __init__(self, app: ASGIApp, *, max_in_flight: int) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self.refusals = logs.Throttled(log)  # under overload: one line every few seconds, with a count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            self.refusals.warning("request_shed", in_flight=self.in_flight, limit=self.max_in_flight)
            await self._busy(send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    @staticmethod
    async def _busy(send: Send) -> None:
        failure = failures.explain(failures.Busy("too many requests in flight"))
        assert failure is not None
        body = json.dumps({"detail": {"error": failure.message}}).encode()
        headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in failure.headers.items()]
        await send({"type": "http.response.start", "status": failure.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
