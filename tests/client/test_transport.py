"""The retry and rate-limit rules, read as a table."""

from __future__ import annotations

import random

import httpx
import pytest

from tools.freshservice.errors import RateLimited, Unavailable, ValidationFailed, error_for, parse_error_body
from tools.freshservice.transport import (
    RateLimitStatus,
    backoff_delay,
    may_retry,
    next_link,
    retry_after_seconds,
)


@pytest.mark.parametrize("header, expected", [
    ('<https://acme.freshservice.com/api/v2/tickets?page=2>; rel="next"', "https://acme.freshservice.com/api/v2/tickets?page=2"),
    ('< https://acme.freshservice.com/api/v2/tickets?filter=all&page=3 >;rel=next', "https://acme.freshservice.com/api/v2/tickets?filter=all&page=3"),
    ("", None),
    (None, None),
    ('<https://x/api/v2/tickets?page=1>; rel="prev"', None),
])
def test_next_link_is_tolerant_of_spacing(header: str | None, expected: str | None) -> None:
    assert next_link(header) == expected


def test_retry_after_falls_back_to_ten_seconds() -> None:
    assert retry_after_seconds({"retry-after": "7"}) == 7.0
    assert retry_after_seconds({}) == 10.0
    assert retry_after_seconds({"retry-after": "soon"}) == 10.0


@pytest.mark.parametrize("method, status, error, expected", [
    ("GET", 500, None, True),
    ("PUT", 503, None, True),
    ("POST", 500, None, False),  # a create may have happened
    ("POST", 429, None, True),  # 429 was not processed
    ("POST", None, httpx.ConnectError("refused"), True),  # never reached the server
    ("POST", None, httpx.ReadTimeout("slow"), False),
    ("GET", None, httpx.ReadTimeout("slow"), True),
    ("GET", 404, None, False),
])
def test_only_safe_calls_are_retried(method: str, status: int | None, error: httpx.TransportError | None, expected: bool) -> None:
    assert may_retry(method, status=status, error=error) is expected


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(n, 0.5, cap=4.0, rng=rng) for n in range(1, 7)]
    assert delays[0] <= 0.5 and delays[2] >= 1.0 and max(delays) <= 4.0


def test_rate_limit_headers_are_case_insensitive() -> None:
    headers = httpx.Headers({"X-Ratelimit-Total": "500", "x-ratelimit-remaining": "12", "X-RateLimit-Used-CurrentRequest": "3"})
    status = RateLimitStatus.from_headers(headers)
    assert status is not None and (status.total, status.remaining, status.used_current_request) == (500, 12, 3)
    assert RateLimitStatus.from_headers(httpx.Headers({})) is None


def test_error_bodies_are_parsed_leniently() -> None:
    message, code, errors = parse_error_body({"description": "Validation failed", "errors": [
        {"field": "priority", "message": '["It should be a/an Positive Integer"]', "code": "datatype_mismatch"},
        {"field": "foo", "message": "Unexpected/invalid field in request", "code": "invalid_value"}]})
    assert errors[0].message == "It should be a/an Positive Integer"
    assert code == "datatype_mismatch" and "priority" in message
    error = error_for(400, {"description": "Validation failed", "errors": [{"field": "x", "message": "m", "code": "c"}]},
                      method="POST", path="/api/v2/tickets")
    assert isinstance(error, ValidationFailed) and error.field_messages() == {"x": "m"}
    assert isinstance(error_for(502, "<html>bad gateway</html>", method="GET", path="/"), Unavailable)
    assert isinstance(error_for(429, {"message": "slow down"}, method="GET", path="/", retry_after=3), RateLimited)
