"""Typed errors for Freshservice calls: what went wrong, in terms a caller can act on.

Freshservice answers 4xx with ``{"description": ..., "errors": [{field, message, code}]}`` (400)
or ``{"code": ..., "message": ...}`` (others). Messages are sometimes stringified JSON arrays
(reference §4, QUIRK); :func:`parse_error_body` flattens them.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel


class FieldError(BaseModel):
    field: str | None = None
    message: str = ""
    code: str | None = None


class FreshserviceError(Exception):
    """Base class. ``status`` is the HTTP status (None when no response arrived)."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 errors: list[FieldError] | None = None, method: str = "", path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.errors = errors or []
        self.method = method
        self.path = path

    def __str__(self) -> str:
        where = f" ({self.method} {self.path})" if self.method else ""
        status = f"{self.status} " if self.status else ""
        return f"{status}{self.message}{where}"


class ValidationFailed(FreshserviceError):
    """400: the request was rejected; ``errors`` names the fields."""

    def field_messages(self) -> dict[str, str]:
        return {e.field or "": e.message for e in self.errors}


class AuthenticationFailed(FreshserviceError):
    """401: wrong or missing API key."""


class PermissionDenied(FreshserviceError):
    """403: the key's agent may not do this (or the plan lacks the feature)."""


class NotFound(FreshserviceError):
    """404: no such object (or not visible to this key)."""


class Conflict(FreshserviceError):
    """409: the object is in a state that does not allow this."""


class RateLimited(FreshserviceError):
    """429 that we did not wait out (Retry-After beyond the client's patience)."""

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Unavailable(FreshserviceError):
    """5xx, timeout or connection failure after retries.

    ``request_may_have_succeeded`` is True when a write reached the server but no answer came back:
    the caller must not blindly resend it.
    """

    def __init__(self, message: str, *, request_may_have_succeeded: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.request_may_have_succeeded = request_may_have_succeeded


_BY_STATUS: dict[int, type[FreshserviceError]] = {
    400: ValidationFailed, 401: AuthenticationFailed, 403: PermissionDenied, 404: NotFound, 409: Conflict,
}


def _flatten(message: Any) -> str:
    """Turn ``'["It should be a/an Positive Integer"]'`` into ``It should be a/an Positive Integer``."""
    if isinstance(message, list):
        return "; ".join(_flatten(m) for m in message)
    text = str(message if message is not None else "").strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            return _flatten(json.loads(text))
        except ValueError:
            return text
    return text


def parse_error_body(body: Any) -> tuple[str, str | None, list[FieldError]]:
    """(message, code, field errors) from any error body Freshservice sends, tolerating odd shapes."""
    if not isinstance(body, dict):
        return (str(body)[:300] if body else "", None, [])
    errors: list[FieldError] = []
    for raw in body.get("errors") or []:
        if isinstance(raw, dict):
            errors.append(FieldError(field=raw.get("field"), message=_flatten(raw.get("message")),
                                     code=raw.get("code")))
        else:
            errors.append(FieldError(message=_flatten(raw)))
    code = body.get("code") or (errors[0].code if errors else None)
    message = _flatten(body.get("description") or body.get("message") or "")
    if errors:
        detail = "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors)
        message = f"{message}: {detail}" if message else detail
    return message, code, errors


def error_for(status: int, body: Any, *, method: str, path: str, retry_after: float | None = None) -> FreshserviceError:
    message, code, errors = parse_error_body(body)
    message = message or f"Freshservice answered HTTP {status}"
    if status == 429:
        return RateLimited(message, retry_after=retry_after or 0.0, status=status, code=code, method=method, path=path)
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = Unavailable if status >= 500 else FreshserviceError
    return cls(message, status=status, code=code, errors=errors, method=method, path=path)


class OutcomeUnknown(Unavailable):
    """A write was sent and whether it landed cannot be proven either way (the answer was lost and the
    lookup by its idempotency key did not settle it). The caller must keep it locked and re-check with
    the same key (from ``attempted_at``) before sending it again."""

    def __init__(self, message: str, *, attempted_at: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("request_may_have_succeeded", True)
        super().__init__(message, **kwargs)
        self.attempted_at = attempted_at
