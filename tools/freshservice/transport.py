"""Retry and rate-limit rules as small pure functions, so they can be read and tested alone.

Rules (reference §2, §18):
- 429 means the call was not processed: wait ``Retry-After`` seconds (10 when absent) and resend,
  whatever the verb.
- 5xx, timeouts and dropped connections: resend reads and updates (idempotent) with exponential
  backoff and jitter; never resend a create that may have reached the server.
- A connection that was never established is safe to resend for any verb.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping

import httpx
from pydantic import BaseModel

DEFAULT_RETRY_AFTER = 10.0
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_LINK_NEXT = re.compile(r"<\s*([^>]+?)\s*>\s*;\s*rel\s*=\s*\"?next\"?", re.I)


class RateLimitStatus(BaseModel):
    """The ``X-RateLimit-*`` headers of the last response (names are case-insensitive)."""

    total: int | None = None
    remaining: int | None = None
    used_current_request: int | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimitStatus | None:
        def number(name: str) -> int | None:
            raw = headers.get(name)
            try:
                return int(str(raw).strip()) if raw is not None else None
            except ValueError:
                return None

        status = cls(total=number("x-ratelimit-total"), remaining=number("x-ratelimit-remaining"),
                     used_current_request=number("x-ratelimit-used-currentrequest"))
        return status if status.total is not None or status.remaining is not None else None


def retry_after_seconds(headers: Mapping[str, str]) -> float:
    """Seconds to wait after a 429; Freshservice sends an integer, fall back to 10 s like real clients."""
    raw = headers.get("retry-after")
    try:
        return max(0.0, float(str(raw).strip())) if raw is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER


def backoff_delay(attempt: int, base: float, cap: float = 8.0, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter for the n-th retry (1-based)."""
    ceiling = min(cap, base * (2 ** (attempt - 1)))
    return (rng or random).uniform(ceiling / 2, ceiling)


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, tolerant of the odd spacing in the docs."""
    if not header:
        return None
    match = _LINK_NEXT.search(header)
    return match.group(1) if match else None


def reached_server(error: httpx.TransportError) -> bool:
    """False when the request certainly never arrived (so even a create may be resent)."""
    return not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def may_retry(method: str, *, status: int | None, error: httpx.TransportError | None) -> bool:
    """Whether a failed call may be sent again without risking a duplicate write."""
    if status == 429:
        return True
    if error is not None and not reached_server(error):
        return True
    if method.upper() not in IDEMPOTENT_METHODS:
        return False
    return error is not None or (status is not None and status >= 500)
