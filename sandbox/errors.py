"""Freshservice-shaped error responses. Every error the sandbox sends is JSON (reference §4, §18)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


class ApiError(Exception):
    """Raised by routes; rendered as Freshservice renders it."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.errors, self.headers = status, message, code, errors, headers

    def response(self) -> JSONResponse:
        if self.status == 400:
            body: dict[str, Any] = {"description": self.message or "Validation failed", "errors": self.errors or []}
        else:
            body = {"code": self.code or _DEFAULT_CODES.get(self.status, "error"), "message": self.message}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


_DEFAULT_CODES = {401: "invalid_credentials", 403: "access_denied", 404: "not_found", 405: "method_not_allowed",
                  406: "not_acceptable", 409: "inconsistent_state", 415: "invalid_content_type",
                  429: "rate_limit_exceeded", 500: "internal_error"}


def field_error(field: str, message: str, code: str = "invalid_value") -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}


def invalid(*errors: dict[str, Any]) -> ApiError:
    return ApiError(400, "Validation failed", errors=list(errors))


def not_found(what: str = "record", ident: object = "") -> ApiError:
    return ApiError(404, f"There is no {what} matching the id: {ident}".strip(), code="invalid_id")
