"""Micro-batching: the CPU work of the events a worker has in hand, done in one call.

A worker handles several events at once (``COPILOT_TRIAGE_WORKER_CONCURRENCY``), each mostly waiting
on the API. Their model work (MiniLM embeddings, the field models) costs much less per ticket in one
call over many texts than in one call per ticket: a model call has a fixed cost, and a batch of
texts shares it. :class:`MicroBatcher` needs no timer: the first caller starts a batch at once, and
the callers that arrive while it computes form the next one, so batches grow with the load and a
lone event waits for nothing. A batch stuck in its thread (longer than ``stuck_seconds``) does not hold
up the others: the next caller starts a fresh runner (the stuck batch's callers are bounded by their
event's deadline in the worker).

Left at that, batches stayed at about 2 tickets at concurrency 8–16: events reach the models one by one,
as their API reads answer. With ``expected`` (how many callers are on their way: events in hand that
have not asked yet), a batch waits for them, at most ``linger_seconds``; nobody on the way, nothing waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

I = TypeVar("I")  # noqa: E741 - an item
O = TypeVar("O")  # noqa: E741 - its result


class MicroBatcher(Generic[I, O]):
    """``await submit(item)`` returns ``work(items)[i]`` for the item, where ``items`` are the ones
    submitted meanwhile (at most ``max_batch``). ``work`` runs in a worker thread; if it raises, every
    caller of that batch gets the exception."""

    def __init__(self, work: Callable[[list[I]], Sequence[O]], *, max_batch: int = 32,
                 stuck_seconds: float = 60.0, expected: Callable[[], int] | None = None,
                 linger_seconds: float = 0.0) -> None:
        self.work = work
        self.max_batch = max_batch
        self.stuck_seconds = stuck_seconds
        self.expected = expected
        self.linger_seconds = linger_seconds
        self._arrived: asyncio.Event | None = None  # set by each submit and nudge: a lingering batch looks again
        self.batches = 0  # calls of ``work`` so far (for the benchmark and tests)
        self.items = 0
        self._pending: list[tuple[I, asyncio.Future[O]]] = []
        self._runner: asyncio.Task[None] | None = None
        self._runners: set[asyncio.Task[None]] = set()  # strong references until they end
        self._batch_started: float | None = None

    async def submit(self, item: I) -> O:
        future: asyncio.Future[O] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self.nudge()
        stuck = self._batch_started is not None and time.monotonic() - self._batch_started > self.stuck_seconds
        if self._runner is None or self._runner.done() or stuck:
            self._runner = asyncio.create_task(self._drain(), name="triage-batch")
            self._runners.add(self._runner)
            self._runner.add_done_callback(self._runners.discard)
        return await future

    def nudge(self) -> None:
        """Have a lingering batch look again (a caller came, or an expected one will not)."""
        if self._arrived is not None:
            self._arrived.set()

    async def _linger(self) -> None:
        """Wait, at most ``linger_seconds``, while callers are on their way and the batch has room."""
        if self.expected is None or self.linger_seconds <= 0:
            return
        deadline = time.monotonic() + self.linger_seconds
        while len(self._pending) < self.max_batch and self.expected() > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._arrived = arrived = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), remaining)

    async def _drain(self) -> None:
        try:
            while self._pending:
                await self._linger()
                batch, self._pending = self._pending[:self.max_batch], self._pending[self.max_batch:]
                batch = [(item, future) for item, future in batch if not future.done()]  # callers gone
                if batch:
                    await self._run(batch)
        except BaseException:  # cancelled (shutdown): nobody may wait for a batch that will not run
            for _, future in self._pending:
                future.cancel()
            raise

    async def _run(self, batch: list[tuple[I, asyncio.Future[O]]]) -> None:
        self._batch_started = time.monotonic()
        try:
            results = await asyncio.to_thread(self.work, [item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"batch work returned {len(results)} results for {len(batch)} items")
        except Exception as error:  # every caller of this batch hears of it
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        except BaseException:
            for _, future in batch:
                future.cancel()
            raise
        finally:
            self._batch_started = None
        self.batches += 1
        self.items += len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
