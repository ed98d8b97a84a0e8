"""``python -m copilot.insights``: the analytics consumer.

    python -m copilot.insights consume            # follow the audit stream until stopped (production)
    python -m copilot.insights consume --once     # read what is there, settle, pull tickets, exit
    python -m copilot.insights consume --replay   # read the whole stream again (idempotent)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from copilot import logs, store
from copilot.insights import runtime
from copilot.settings import Settings, get_settings


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m copilot.insights", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)
    consume = commands.add_parser("consume", help="copy audit events into the analytics tables")
    consume.add_argument("--once", action="store_true", help="read what is in the stream, then exit")
    consume.add_argument("--replay", action="store_true", help="start again from the beginning of the stream")
    return root


async def consume(settings: Settings, *, once: bool, replay: bool) -> int:
    from copilot.rate_budget import background_client

    client = background_client(settings)
    try:
        consumer = await runtime.consumer(settings, client)
        if replay:
            await consumer.store.reset_cursor()
        if once:
            read = await consumer.drain()
            await consumer.housekeeping(client)
            print(f"{read} events read")
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        task = asyncio.create_task(consumer.run_forever(poll_seconds=settings.insights_poll_seconds, client=client,
                                                        housekeeping_seconds=settings.insights_ticket_sync_minutes * 60))
        await stop.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return 0
    finally:
        await client.aclose()
        await runtime.dispose()
        await store.close_redis(stop_embedded=True)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = get_settings()
    logs.configure(settings.log_level, settings.secret_values())
    if args.command == "consume":
        return asyncio.run(consume(settings, once=args.once, replay=args.replay))
    return 2


if __name__ == "__main__":
    sys.exit(main())
