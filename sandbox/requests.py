"""Reading request bodies and parameters the way Freshservice validates them."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from sandbox.errors import ApiError, field_error, invalid


async def json_body(request: Request, *, allowed: set[str], required: tuple[str, ...] = (),
                    wrapper: str | None = None) -> dict[str, Any]:
    """Parse a JSON object body; unknown attributes → ``invalid_field``, missing → ``missing_field``."""
    content_type = request.headers.get("content-type", "")
    if content_type and "json" not in content_type.lower():
        raise ApiError(415, "Content-Type must be application/json", code="invalid_content_type")
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise invalid(field_error("body", "Request body has invalid json format", "invalid_json")) from None
    if wrapper and isinstance(body, dict) and isinstance(body.get(wrapper), dict):
        body = body[wrapper]
    if not isinstance(body, dict):
        raise invalid(field_error("body", "Request body must be a JSON object", "invalid_json"))
    errors = [field_error(k, "Unexpected/invalid field in request", "invalid_field") for k in body if k not in allowed]
    errors += [field_error(k, "It should not be blank", "missing_field") for k in required if body.get(k) in (None, "")]
    if errors:
        raise invalid(*errors)
    return body


def includes(request: Request, allowed: set[str]) -> set[str]:
    raw = request.query_params.get("include")
    if not raw:
        return set()
    wanted = {part.strip() for part in raw.split(",") if part.strip()}
    unknown = wanted - allowed
    if unknown:
        raise invalid(field_error("include", "It should be one of these values: '" + ", ".join(sorted(allowed)) + "'",
                                  "invalid_value"))
    return wanted


def int_value(body: dict[str, Any], name: str, *, choices: set[int] | None = None, errors: list[dict[str, Any]]) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(field_error(name, "It should be a/an Positive Integer", "datatype_mismatch"))
        return None
    if choices is not None and value not in choices:
        errors.append(field_error(name, "It should be one of these values: '" + ",".join(map(str, sorted(choices))) + "'",
                                  "invalid_value"))
        return None
    return value


def str_list(body: dict[str, Any], name: str, errors: list[dict[str, Any]]) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(field_error(name, "It should be a/an Array of String", "datatype_mismatch"))
        return None
    return value
