"""``page``/``per_page`` with a ``Link: <...>; rel="next"`` header only when another page exists."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request

from sandbox.errors import field_error, invalid

T = TypeVar("T")
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


def positive_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(field_error(name, "It should be a/an Positive Integer", "datatype_mismatch")) from None
    if value < 1:
        raise invalid(field_error(name, "It should be a/an Positive Integer", "invalid_value"))
    return value


def page_params(request: Request, *, max_per_page: int = MAX_PER_PAGE) -> tuple[int, int]:
    page = positive_int(request, "page", 1)
    per_page = positive_int(request, "per_page", DEFAULT_PER_PAGE)
    if per_page > max_per_page:
        raise invalid(field_error("per_page", f"Must be less than or equal to {max_per_page}", "invalid_value"))
    return page, per_page


def paginate(request: Request, items: list[T], *, max_per_page: int = MAX_PER_PAGE) -> tuple[list[T], dict[str, str]]:
    """Slice a page and build the Link header: absolute, same host, original query kept (§18)."""
    page, per_page = page_params(request, max_per_page=max_per_page)
    start = (page - 1) * per_page
    chunk = items[start:start + per_page]
    headers: dict[str, str] = {}
    if start + per_page < len(items):
        url = request.url.include_query_params(page=page + 1)
        headers["Link"] = f'<{url}>; rel="next"'
    return chunk, headers


def meta(total: int, page: int, per_page: int) -> dict[str, Any]:
    return {"total_items": total, "total_pages": max(1, -(-total // per_page)) if total else 0, "current_page": page}
