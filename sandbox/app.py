"""The sandbox Freshservice: a FastAPI app with the API's envelopes, errors, auth and rate limits.

Cross-cutting behaviour lives in one ASGI middleware (:class:`ApiGate`) in the order the real
service applies it: authentication, fault injection (tests only), rate limiting with
``X-RateLimit-*`` headers, then the route. Every error is JSON (reference §18).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.config import PLAN_LIMITS, SandboxConfig
from sandbox.errors import ApiError, field_error
from sandbox.limits import FaultInjector, TokenBucket
from sandbox.routes import catalog, control, people, problems, software, solutions, tickets
from sandbox.state import AccountState
from sandbox.webhooks import WebhookDispatcher

API_PREFIX = "/api/v2"
CALL_LOG_SIZE = 5000


class DroppedConnection(Exception):
    """Raised after the response headers went out, so the client sees a broken connection."""


def credits_for(method: str, path: str, query: str) -> int:
    """1 per call, +1 per embed on a view, +2 per embed on a list (reference §2)."""
    include = next((p.split("=", 1)[1] for p in query.split("&") if p.startswith("include=")), "")
    embeds = len([x for x in include.replace("%2C", ",").split(",") if x])
    if not embeds or method != "GET":
        return 1
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return 1 + embeds * (1 if last.isdigit() else 2)


def api_key_of(headers: dict[bytes, bytes]) -> str | None:
    raw = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, token = raw.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0]  # only the key matters, any password is accepted (§18)


class ApiGate:
    def __init__(self, app: ASGIApp, sandbox: FastAPI) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        is_api = path.startswith(API_PREFIX)
        if scope["type"] != "http" or not (is_api or path.startswith("/_sandbox")):
            await self.app(scope, receive, send)
            return
        state = self.sandbox.state
        config: SandboxConfig = state.config
        method: str = scope["method"]
        query = scope.get("query_string", b"").decode("latin-1")
        headers = dict(scope.get("headers") or [])
        if path.startswith("/_sandbox") and not config.control_enabled:
            await _json(send, 404, {"code": "not_found", "message": "Not found"})
            return
        if api_key_of(headers) != config.api_key:
            await _json(send, 401, {"code": "invalid_credentials",
                                    "message": "You have to be logged in to perform this action."},
                        {"WWW-Authenticate": 'Basic realm="Freshservice"'})
            self._log(method, path, query, 401)
            return
        accept = headers.get(b"accept", b"*/*").decode("latin-1").lower()
        if is_api and accept and not any(t in accept for t in ("json", "*/*")):
            await _json(send, 406, {"code": "not_acceptable", "message": "Only application/json is supported"})
            return
        if not is_api:
            await self.app(scope, receive, send)
            return
        credits = credits_for(method, path, query)
        bucket: TokenBucket = state.bucket
        fault = state.faults.next_fault(method, path)
        extra = {"X-Freshservice-Api-Version": "latest=v2; requested=v2"}
        if fault in ("429", "500", "503"):
            status = int(fault)
            body = ({"code": "rate_limit_exceeded", "message": "You have exceeded the limit of requests per minute"}
                    if status == 429 else {"code": "internal_error", "message": "We're sorry, something went wrong."})
            hdrs = {**extra, **bucket.headers(credits)}
            if status == 429:
                hdrs["Retry-After"] = str(state.faults.plan.retry_after if state.faults.plan else 1)
            await _json(send, status, body, hdrs)
            self._log(method, path, query, status)
            return
        if fault == "slow":
            await asyncio.sleep(state.faults.plan.slow_seconds if state.faults.plan else 2.0)
        allowed, wait = bucket.spend(credits)
        rate_headers = {**extra, **bucket.headers(credits)}
        if not allowed:
            await _json(send, 429, {"code": "rate_limit_exceeded",
                                    "message": "You have exceeded the limit of requests per minute"},
                        {**rate_headers, "Retry-After": str(wait)})
            self._log(method, path, query, 429)
            return
        status_seen = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status_seen
            if message["type"] == "http.response.start":
                status_seen = message["status"]
                message["headers"] = list(message.get("headers", [])) + [
                    (k.lower().encode(), v.encode()) for k, v in rate_headers.items()]
                await send(message)
                if fault == "drop":
                    raise DroppedConnection()  # the write happened; the answer is lost
                return
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self._log(method, path, query, status_seen or 500)

    def _log(self, method: str, path: str, query: str, status: int) -> None:
        self.sandbox.state.calls.append({"method": method, "path": path, "query": query, "status": status,
                                         "at": time.time()})


async def _json(send: Send, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    payload = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for error in exc.errors():
            loc = [str(p) for p in error.get("loc", []) if p not in ("path", "query", "body")]
            code = "datatype_mismatch" if "type" in str(error.get("type", "")) or "parsing" in str(error.get("type")) else "invalid_value"
            errors.append(field_error(".".join(loc) or "request", error.get("msg", "invalid"), code))
        return ApiError(400, "Validation failed", errors=errors).response()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return ApiError(404, "The requested URL was not found", code="invalid_url").response()
        if exc.status_code == 405:
            return ApiError(405, "This method is not allowed for the requested URL", code="method_not_allowed").response()
        return ApiError(exc.status_code, str(exc.detail)).response()

    @app.exception_handler(Exception)
    async def crash(_: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, DroppedConnection):
            raise exc
        return ApiError(500, "We're sorry, something went wrong.", code="internal_error").response()


def create_app(config: SandboxConfig | None = None) -> FastAPI:
    """Build a sandbox: seeded account, rate-limit bucket for the plan, webhooks, control API."""
    config = config or SandboxConfig()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.webhooks.cancel_pending()  # retries waiting minutes must not outlive the server

    app = FastAPI(title="Freshservice sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json",
                  redoc_url=None, lifespan=lifespan)
    app.state.config = config
    app.state.account = AccountState(config.seed, config.now, imported_articles=config.knowledge == "full")
    app.state.bucket = TokenBucket(PLAN_LIMITS[config.plan])
    app.state.faults = FaultInjector()
    app.state.webhooks = WebhookDispatcher(config.webhooks)
    app.state.calls = deque(maxlen=CALL_LOG_SIZE)
    for module in (tickets, problems, catalog, people, solutions, software):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(solutions.portal)
    app.include_router(control.router)
    _install_error_handlers(app)

    @app.get("/", include_in_schema=False)
    async def root() -> dict[str, str]:
        return {"service": "Freshservice sandbox", "api": f"{API_PREFIX}/", "docs": "/_sandbox/docs"}

    app.add_middleware(ApiGate, sandbox=app)
    return app
