"""The Freshservice rate budget shared through Redis by every replica, background task and worker.

Freshservice counts calls per account per minute. Each client already reads ``X-RateLimit-*`` and
waits on its own 429; this module implements :class:`tools.freshservice.shared_rate.SharedRateState`
so that one client's 429 pauses every client of the same Freshservice host, and background clients
step aside on the latest remaining budget any of them saw.

Keys are per Freshservice host (two accounts never share a pause) and expire on their own: the pause
key lives exactly as long as the pause (its TTL *is* the pause, so no clocks need to agree), the
latest status for a minute (the budget's window). Redis being down never breaks a Freshservice call:
the failure is logged once per outage, Redis is left alone for a few seconds, and each client falls
back to what it sees itself.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from redis.exceptions import RedisError

from copilot import logs, store
from copilot.settings import Settings
from tools.freshservice import FreshserviceClient, RateLimitStatus

log = logs.get_logger(__name__)
KEY_PREFIX = "copilot:ratebudget:"
STATUS_TTL_SECONDS = 60  # the budget is per minute: an older reading says nothing about now
RETRY_REDIS_AFTER_SECONDS = 5.0  # after a Redis failure, local behaviour only for this long
BACKGROUND_BUDGET_SHARE = 0.3  # background work pauses when less than 30% of the per-minute API budget is left

# Set the pause unless a longer one is already set (PTTL is -2 when absent, -1 without expiry).
_EXTEND_PAUSE = """
local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
"""

RedisProvider = Callable[[], Awaitable[Any]]


def host_of(base_url: str) -> str:
    """The Freshservice host (with port) a client talks to: the scope of one account's budget."""
    parts = urlsplit(base_url if "://" in base_url else f"https://{base_url}")
    return (parts.netloc or parts.path).lower()


class RedisRateBudget:
    """The shared rate state of one Freshservice host, in Redis (see the module docstring)."""

    def __init__(self, redis: RedisProvider, base_url: str, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._redis = redis
        self.host = host_of(base_url)
        self.pause_key = f"{KEY_PREFIX}{self.host}:pause"
        self.status_key = f"{KEY_PREFIX}{self.host}:status"
        self._clock = clock
        self._down_until = 0.0
        self._down_logged = False

    async def pause_remaining(self) -> float | None:
        redis = await self._connection()
        if redis is None:
            return None
        try:
            left_ms = int(await redis.pttl(self.pause_key))
        except (RedisError, OSError) as error:
            self._failed(error)
            return None
        self._ok()
        return left_ms / 1000.0 if left_ms > 0 else None

    async def pause(self, seconds: float) -> None:
        milliseconds = int(seconds * 1000)
        if milliseconds <= 0 or (redis := await self._connection()) is None:
            return
        try:
            await redis.eval(_EXTEND_PAUSE, 1, self.pause_key, milliseconds)
        except (RedisError, OSError) as error:
            self._failed(error)
            return
        self._ok()

    async def record(self, status: RateLimitStatus) -> None:
        if (redis := await self._connection()) is None:
            return
        try:
            await redis.set(self.status_key, status.model_dump_json(), ex=STATUS_TTL_SECONDS)
        except (RedisError, OSError) as error:
            self._failed(error)
            return
        self._ok()

    async def latest(self) -> RateLimitStatus | None:
        if (redis := await self._connection()) is None:
            return None
        try:
            raw = await redis.get(self.status_key)
        except (RedisError, OSError) as error:
            self._failed(error)
            return None
        self._ok()
        if raw is None:
            return None
        try:
            return RateLimitStatus.model_validate_json(raw)
        except ValueError:
            return None

    async def _connection(self) -> Any:
        if self._clock() < self._down_until:
            return None
        try:
            return await self._redis()
        except (RedisError, OSError) as error:
            self._failed(error)
            return None

    def _failed(self, error: BaseException) -> None:
        self._down_until = self._clock() + RETRY_REDIS_AFTER_SECONDS
        if not self._down_logged:
            self._down_logged = True
            log.warning("rate_budget_redis_unavailable", host=self.host, error=type(error).__name__)

    def _ok(self) -> None:
        if self._down_logged:
            self._down_logged = False
            log.info("rate_budget_redis_back", host=self.host)


def for_settings(settings: Settings) -> RedisRateBudget:
    """The shared rate state of the configured Freshservice account, on the app's Redis."""
    return RedisRateBudget(lambda: store.get_redis(settings), settings.freshservice_base_url)


def background_client(settings: Settings) -> FreshserviceClient:
    """A Freshservice client for background work (knowledge sync, triage worker and history pulls, insights):
    it waits out 429s patiently and steps aside while less than ``BACKGROUND_BUDGET_SHARE`` of the
    account-wide per-minute budget is left (the latest remaining any replica or worker saw, shared through
    Redis), so employees' turns keep the budget."""
    return FreshserviceClient(settings.freshservice_base_url, settings.freshservice_api_key.get_secret_value(),
                              timeout=settings.freshservice_timeout, yield_below=BACKGROUND_BUDGET_SHARE,
                              shared=for_settings(settings))
