"""Shared bits for route modules: the account state, JSON responses with extra headers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from sandbox.state import AccountState
from sandbox.webhooks import WebhookDispatcher


def account(request: Request) -> AccountState:
    return request.app.state.account


def webhooks(request: Request) -> WebhookDispatcher:
    return request.app.state.webhooks


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


def created(request: Request, body: Any, location: str) -> JSONResponse:
    base = str(request.base_url).rstrip("/")
    return JSONResponse(body, status_code=201, headers={"Location": f"{base}/api/v2/{location}"})


def no_content() -> Response:
    return Response(status_code=204)
