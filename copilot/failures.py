"""Failures in plain words: one place that says what went wrong behind the copilot, for every channel.

The REST channel turns a :class:`Failure` into an HTTP status with ``Retry-After``; the chat shows
its sentence. Nothing here repeats an exception's text (it can hold hosts, ports or payloads).
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeout

from copilot.store import RedisBusy
from tools.context import IT_BUSY, URGENT_CONTACT
from tools.freshservice import FreshserviceError, RateLimited


class Busy(RuntimeError):
    """Every turn slot stayed taken for the whole queue timeout: back off and retry."""


@dataclass(frozen=True)
class Failure:
    status: int
    message: str
    retry_after: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


BUSY = ("The copilot is very busy right now. Please send your message again in a moment; "
        "nothing was lost.")
STORE_DOWN = ("The copilot can't reach its conversation store right now. Nothing you sent was lost; "
              "please try again in a minute.")


def it_unreachable(urgent_contact: str = URGENT_CONTACT) -> str:
    return (f"The IT system is unreachable right now, so I can't look anything up or send anything. "
            f"Please try again in a few minutes. If it can't wait, {urgent_contact}.")


def slow_turn(budget_seconds: float, urgent_contact: str = URGENT_CONTACT) -> str:
    return (f"The IT system is slow to answer right now, so I stopped waiting after {budget_seconds:.0f} seconds. "
            "Your message is kept. If you had just confirmed something, it was either not sent or it is "
            "checked in the IT system before being sent again, so nothing is created twice — ask me again "
            f"in a minute. If it can't wait, {urgent_contact}.")


def explain(error: BaseException, urgent_contact: str = URGENT_CONTACT) -> Failure | None:
    """The words and HTTP status for an infrastructure failure; None for anything else (a bug)."""
    if isinstance(error, Busy | RedisBusy | RedisTimeout):  # saturated or slow, not down: retry shortly
        return Failure(503, BUSY, 1)
    if isinstance(error, RedisError):
        return Failure(503, STORE_DOWN, 5)
    if isinstance(error, RateLimited):
        return Failure(503, IT_BUSY, max(1, min(int(error.retry_after or 30), 120)))
    if isinstance(error, FreshserviceError):
        return Failure(503, it_unreachable(urgent_contact), 30)
    return None
