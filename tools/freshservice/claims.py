"""Who placed which service request: the copilot's claims ledger for writes Freshservice cannot tag.

``place_request`` takes no tags and no description (reference §10.3), so a service request carries no
trace of the copilot's idempotency key when it is created. The client therefore keeps, per key:

* an *in-flight* mark (scope = requester + catalog item) from just before the POST until the outcome
  is known, so a lost-answer lookup knows whether another copilot write for the same requester and
  item could own an unexplained candidate;
* a *claim* ``ticket id → key`` (set once, first writer wins) and ``key → ticket id``, written as soon
  as the answer names the ticket (or a lookup proves it), and then the ``copilot-<hash>`` tag on the
  ticket itself (a PUT), so the key is findable in Freshservice too.

The Redis implementation is shared by every replica; keys live 30 days (in-flight marks one day).
"""

from __future__ import annotations

import hashlib
import time
from typing import Protocol

import redis.asyncio as aioredis

PREFIX = "copilot:claims:"
CLAIM_TTL_SECONDS = 30 * 24 * 3600
IN_FLIGHT_TTL_SECONDS = 24 * 3600


def scope_of(email: str, display_id: int) -> str:
    """The in-flight scope of a request: requester and item (the address is hashed, not stored)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16] + f":{int(display_id)}"


class WriteClaims(Protocol):
    """The ledger :meth:`FreshserviceClient.place_request` uses (``RedisWriteClaims`` in the app)."""

    async def begin(self, scope: str, key: str) -> None: ...

    async def settle(self, scope: str, key: str) -> None: ...

    async def in_flight(self, scope: str) -> set[str]: ...

    async def claim(self, ticket_id: int, key: str) -> str: ...

    async def owner(self, ticket_id: int) -> str | None: ...

    async def placed(self, key: str) -> int | None: ...


class RedisWriteClaims:
    def __init__(self, redis: aioredis.Redis, *, prefix: str = PREFIX) -> None:
        self._redis = redis
        self._prefix = prefix

    async def begin(self, scope: str, key: str) -> None:
        name = f"{self._prefix}inflight:{scope}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(name, {key: time.time()})
            pipe.zremrangebyscore(name, "-inf", time.time() - IN_FLIGHT_TTL_SECONDS)
            pipe.expire(name, IN_FLIGHT_TTL_SECONDS)
            await pipe.execute()

    async def settle(self, scope: str, key: str) -> None:
        await self._redis.zrem(f"{self._prefix}inflight:{scope}", key)

    async def in_flight(self, scope: str) -> set[str]:
        found = await self._redis.zrangebyscore(f"{self._prefix}inflight:{scope}",
                                                time.time() - IN_FLIGHT_TTL_SECONDS, "+inf")
        return {k.decode() if isinstance(k, bytes) else str(k) for k in found}

    async def claim(self, ticket_id: int, key: str) -> str:
        name = f"{self._prefix}ticket:{int(ticket_id)}"
        await self._redis.set(name, key, nx=True, ex=CLAIM_TTL_SECONDS)
        owner = await self.owner(ticket_id)
        if owner == key:
            await self._redis.set(f"{self._prefix}key:{_digest(key)}", int(ticket_id), ex=CLAIM_TTL_SECONDS)
        return owner or key

    async def owner(self, ticket_id: int) -> str | None:
        raw = await self._redis.get(f"{self._prefix}ticket:{int(ticket_id)}")
        return raw.decode() if isinstance(raw, bytes) else raw

    async def placed(self, key: str) -> int | None:
        raw = await self._redis.get(f"{self._prefix}key:{_digest(key)}")
        return int(raw) if raw is not None else None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]
