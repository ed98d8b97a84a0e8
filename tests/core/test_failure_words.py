"""What the employee is told for each infrastructure failure: a sentence and a 503 with Retry-After, never
the exception's own text (hosts, ports, payloads)."""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeout

from copilot import failures
from copilot.store import RedisBusy
from tools.freshservice import RateLimited, Unavailable

RAW = "Error 111 connecting to 127.0.0.1:6379. Connection refused."


@pytest.mark.parametrize(("error", "words", "retry_after"), [
    (failures.Busy(RAW), "very busy", 1),
    (RedisBusy(RAW), "very busy", 1),
    (RedisTimeout(RAW), "very busy", 1),
    (RedisConnectionError(RAW), "can't reach its conversation store", 5),
    (RateLimited(RAW, retry_after=20), "IT system is busy", 20),
    (Unavailable(RAW), "IT system is unreachable", 30),
])
def test_each_failure_has_words_and_a_retry_after(error: Exception, words: str, retry_after: int) -> None:
    failure = failures.explain(error, "call 555-0100")
    assert failure is not None and failure.status == 503
    assert words in failure.message and "127.0.0.1" not in failure.message and "Error" not in failure.message
    assert failure.headers == {"Retry-After": str(retry_after)}


def test_unreachable_it_system_names_the_urgent_contact() -> None:
    failure = failures.explain(Unavailable("down"), "call 555-0100")
    assert failure is not None and "call 555-0100" in failure.message


def test_a_bug_is_not_disguised_as_an_outage() -> None:
    assert failures.explain(ValueError("bug")) is None
