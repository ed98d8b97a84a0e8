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


async def test_a_batch_waits_for_the_callers_on_their_way_and_a_lone_caller_for_nobody() -> None:
    calls: list[list[int]] = []

    def work(items: list[int]) -> list[int]:
        calls.append(list(items))
        return items

    coming = [2]
    batcher: MicroBatcher[int, int] = MicroBatcher(work, expected=lambda: coming[0], linger_seconds=600)
    first = asyncio.create_task(batcher.submit(1))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not first.done() and calls == []  # two more are on their way: the batch waits for them
    coming[0] -= 1
    second = asyncio.create_task(batcher.submit(2))
    coming[0] -= 1  # the third will not come after all (its event ended without reading)
    batcher.nudge()
    assert await asyncio.gather(first, second) == [1, 2]
    assert calls == [[1, 2]]
    assert await batcher.submit(3) == 3  # nobody on the way: no waiting
    assert calls[-1] == [3]


async def test_the_reader_counts_the_events_declared_to_it_until_they_read_or_end() -> None:
    from copilot.triage.reader import ReadRequest, TicketReader

    reader = TicketReader(linger_seconds=600)

    async def event(reads: bool) -> object:
        with reader.expected():
            await asyncio.sleep(0)
            return await reader.read(ReadRequest(text="vpn drops")) if reads else None

    readings = await asyncio.gather(event(True), event(False), event(True))
    assert readings[1] is None and readings[0] is not None and readings[2] is not None
    assert reader.items == 2 and reader.batches == 1  # both readers in one call, no wait for the one that ended
    assert reader._coming == 0
