"""MicroBatcher: the model work of concurrent events in one call, without holding anyone up."""

from __future__ import annotations

import asyncio
import threading

import pytest

from copilot.triage.batching import MicroBatcher


async def test_callers_that_arrive_together_share_one_call_and_get_their_own_result() -> None:
    calls: list[list[int]] = []

    def square_all(items: list[int]) -> list[int]:
        calls.append(list(items))
        return [i * i for i in items]

    batcher: MicroBatcher[int, int] = MicroBatcher(square_all)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(10)))
    assert results == [i * i for i in range(10)]
    assert sum(len(c) for c in calls) == 10
    assert len(calls) <= 2  # the first caller starts at once; everyone who arrived meanwhile rides the next call
    assert batcher.items == 10 and batcher.batches == len(calls)


async def test_a_lone_caller_waits_for_nothing_and_batches_respect_their_limit() -> None:
    batcher: MicroBatcher[int, int] = MicroBatcher(lambda items: [i + 1 for i in items], max_batch=3)
    assert await batcher.submit(1) == 2
    results = await asyncio.gather(*(batcher.submit(i) for i in range(7)))
    assert results == [i + 1 for i in range(7)]
    assert batcher.batches >= 1 + 3  # 7 items in calls of at most 3


async def test_a_failing_batch_fails_its_callers_and_the_next_batch_works() -> None:
    def work(items: list[str]) -> list[str]:
        if "bad" in items:
            raise ValueError("model failed")
        return [s.upper() for s in items]

    batcher: MicroBatcher[str, str] = MicroBatcher(work)
    with pytest.raises(ValueError, match="model failed"):
        await batcher.submit("bad")
    assert await batcher.submit("ok") == "OK"


async def test_a_batch_stuck_in_its_thread_does_not_hold_up_later_callers() -> None:
    release = threading.Event()

    def work(items: list[str]) -> list[str]:
        if "stuck" in items:
            release.wait(30)
        return items

    batcher: MicroBatcher[str, str] = MicroBatcher(work, stuck_seconds=0.2)
    stuck = asyncio.create_task(batcher.submit("stuck"))
    await asyncio.sleep(0.5)  # the first batch is now stuck past stuck_seconds
    assert await batcher.submit("next") == "next"  # a fresh runner served it
    release.set()
    assert await stuck == "stuck"


async def test_a_caller_that_gives_up_leaves_the_others_their_results() -> None:
    gate = threading.Event()

    def work(items: list[int]) -> list[int]:
        gate.wait(30)
        return items

    batcher: MicroBatcher[int, int] = MicroBatcher(work)
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0.05)
    leaving = asyncio.create_task(batcher.submit(2))
    staying = asyncio.create_task(batcher.submit(3))
    await asyncio.sleep(0.05)
    leaving.cancel()
    gate.set()
    assert await first == 1 and await staying == 3
    with pytest.raises(asyncio.CancelledError):
        await leaving
