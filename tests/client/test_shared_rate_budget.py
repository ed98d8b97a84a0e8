"""The Freshservice rate budget shared through real Redis by clients of one account (real sandbox, real
429s from its fault injection): one client's 429 pauses the others, per host, and Redis down changes nothing
but the sharing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from copilot import store
from copilot.rate_budget import RedisRateBudget, host_of
from tests.client.support import calls
from tests.conftest import SandboxHandle
from tools.freshservice import FreshserviceClient, RateLimited


class WatchingSleep:
    """Really sleeps, and before each wait notes how many calls had reached the sandbox."""

    def __init__(self, handle: SandboxHandle) -> None:
        self.handle = handle
        self.waits: list[float] = []
        self.calls_before_wait: list[int] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.calls_before_wait.append(len(calls(self.handle)))
        await asyncio.sleep(seconds)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Any]:
    client = store.connect(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def budget(redis: Any) -> AsyncIterator[Callable[[str], RedisRateBudget]]:
    """A new shared state per client (as on separate replicas), on one Redis; keys removed afterwards."""
    made: list[RedisRateBudget] = []

    async def provider() -> Any:
        return redis

    def make(base_url: str) -> RedisRateBudget:
        made.append(RedisRateBudget(provider, base_url))
        return made[-1]

    yield make
    for state in made:
        await redis.delete(state.pause_key, state.status_key)


def inject_429(handle: SandboxHandle, retry_after: int, *, always: bool = False) -> None:
    faults: dict[str, Any] = {"ratios": {"429": 1.0}} if always else {"sequence": ["429"]}
    handle.control("PUT", "/_sandbox/faults", json={**faults, "retry_after": retry_after, "path_regex": "/agents/me"})


async def test_a_429_pauses_the_other_clients_until_it_ends(fresh: SandboxHandle,
                                                            budget: Callable[[str], RedisRateBudget]) -> None:
    inject_429(fresh, retry_after=2)
    async with FreshserviceClient(fresh.base_url, fresh.api_key, max_retry_after=0,
                                  shared=budget(fresh.base_url)) as first:
        with pytest.raises(RateLimited):
            await first.get_me()
    assert [c["status"] for c in calls(fresh)] == [429]
    sleep = WatchingSleep(fresh)
    async with FreshserviceClient(fresh.base_url, fresh.api_key, sleep=sleep,
                                  shared=budget(fresh.base_url)) as second:
        me = await second.get_me()
    assert me.id
    # the second client waited out the pause before calling: nothing of it reached the sandbox meanwhile
    assert len(sleep.waits) == 1 and 0 < sleep.waits[0] <= 2
    assert sleep.calls_before_wait == [1]
    assert [c["status"] for c in calls(fresh)] == [429, 200]


async def test_an_interactive_client_is_told_busy_without_calling(fresh: SandboxHandle,
                                                                  budget: Callable[[str], RedisRateBudget]) -> None:
    inject_429(fresh, retry_after=20, always=True)
    async with FreshserviceClient(fresh.base_url, fresh.api_key, max_retry_after=10,
                                  shared=budget(fresh.base_url)) as first:
        with pytest.raises(RateLimited):
            await first.get_me()
    fresh.control("DELETE", "/_sandbox/faults")
    sleep = WatchingSleep(fresh)
    async with FreshserviceClient(fresh.base_url, fresh.api_key, sleep=sleep, max_retry_after=10,
                                  max_rate_limit_wait=15, shared=budget(fresh.base_url)) as interactive:
        with pytest.raises(RateLimited) as caught:
            await interactive.get_me()
    assert 10 < caught.value.retry_after <= 20  # what is left of the other client's pause
    assert sleep.waits == []
    assert [c["status"] for c in calls(fresh)] == [429]  # only the first client's call reached the sandbox


async def test_two_hosts_never_share_a_pause(fresh: SandboxHandle, sandbox_factory: Any,
                                             budget: Callable[[str], RedisRateBudget]) -> None:
    other = sandbox_factory()
    inject_429(fresh, retry_after=20, always=True)
    async with FreshserviceClient(fresh.base_url, fresh.api_key, max_retry_after=10,
                                  shared=budget(fresh.base_url)) as first:
        with pytest.raises(RateLimited):
            await first.get_me()
    sleep = WatchingSleep(other)
    async with FreshserviceClient(other.base_url, other.api_key, sleep=sleep, max_retry_after=10,
                                  shared=budget(other.base_url)) as elsewhere:
        me = await elsewhere.get_me()
    assert me.id and sleep.waits == []
    assert [c["status"] for c in calls(other, "GET", "/agents/me")] == [200]


async def test_background_client_steps_aside_on_the_budget_another_client_used(
        sandbox_factory: Any, budget: Callable[[str], RedisRateBudget]) -> None:
    handle = sandbox_factory()
    handle.control("PUT", "/_sandbox/rate_limit", json={"per_minute": 60})
    async with FreshserviceClient(handle.base_url, handle.api_key, shared=budget(handle.base_url)) as busy:
        for _ in range(50):
            await busy.get_me()
    sleep_calls: list[float] = []

    async def quick(seconds: float) -> None:  # records the wait; the refill itself is not the point here
        sleep_calls.append(seconds)

    async with FreshserviceClient(handle.base_url, handle.api_key, sleep=quick, yield_below=0.3,
                                  shared=budget(handle.base_url)) as background:
        assert background.rate_limit.remaining is None  # it has seen nothing itself
        await background.get_me()
    assert sleep_calls and sleep_calls[0] > 0  # stepped aside before its first call


async def test_redis_down_leaves_calls_working_on_local_rules(fresh: SandboxHandle) -> None:
    nothing_listens = store.connect("redis://127.0.0.1:1/0")

    async def unreachable() -> Any:
        return nothing_listens

    down = RedisRateBudget(unreachable, fresh.base_url)
    inject_429(fresh, retry_after=1)
    sleep = WatchingSleep(fresh)
    async with FreshserviceClient(fresh.base_url, fresh.api_key, sleep=sleep, shared=down) as client:
        first = await client.get_me()
        again = await client.get_me()
    assert first.id == again.id
    assert sleep.waits == [1.0]  # its own 429 still waited out, as without sharing
    assert [c["status"] for c in calls(fresh, "GET", "/agents/me")] == [429, 200, 200]
    assert await down.pause_remaining() is None and await down.latest() is None
    await nothing_listens.aclose()


def test_the_client_side_of_the_seam_knows_no_redis() -> None:
    from tests.test_architecture import ROOT, imported_modules

    for name in ("client.py", "shared_rate.py", "transport.py"):
        roots = {module.split(".")[0] for module in imported_modules(ROOT / "tools" / "freshservice" / name)}
        assert not roots & {"redis", "copilot"}, name


async def test_every_client_the_copilot_builds_shares_one_state_per_account(tmp_path: Any) -> None:
    from copilot.rate_budget import background_client
    from copilot.services import build_services
    from copilot.settings import Settings

    settings = Settings(env="development", data_dir=tmp_path)
    services = build_services(settings)
    clients = [services.freshservice, background_client(settings)]
    try:
        states = [client.shared for client in clients]
        assert all(isinstance(state, RedisRateBudget) for state in states)
        assert {state.pause_key for state in states if isinstance(state, RedisRateBudget)} == {
            f"copilot:ratebudget:{host_of(settings.freshservice_base_url)}:pause"}
    finally:
        for client in clients:
            await client.aclose()
