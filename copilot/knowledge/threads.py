"""Run the knowledge index's CPU work (export, int8 quantisation, embedding) off the event loop without
holding up the process's exit.

``asyncio.to_thread`` uses the default executor, whose threads Python joins at exit: a SIGTERM during
the first start (MiniLM being exported and quantised, articles being embedded) then waited for the whole
build. A daemon thread is dropped at exit instead; the build resumes from the cache at the next start
(every file it writes is written to a temporary name and renamed).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def in_daemon_thread(fn: Callable[..., T], *args: object) -> T:
    """``await fn(*args)`` in a daemon thread (like ``asyncio.to_thread``, but never blocks the exit)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = fn(*args), None
        except BaseException as raised:  # noqa: BLE001 - handed to the awaiting coroutine
            result, error = None, raised
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:  # the loop closed while we worked (shutdown): nobody is waiting
            pass

    threading.Thread(target=run, daemon=True, name=f"knowledge-{getattr(fn, '__name__', 'work')}").start()
    return await future
