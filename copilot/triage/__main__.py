"""``python -m copilot.triage``: the triage worker, the poller fallback, the dead-letter stream, training.

    python -m copilot.triage worker              # read the intake stream (run as many as needed)
    python -m copilot.triage poll [--once]       # accounts without webhooks: updated_since polling
    python -m copilot.triage dlq list            # events that failed every attempt, and why
    python -m copilot.triage dlq replay ID ...   # put them back on the stream (or --all)
    python -m copilot.triage train               # learn from resolved tickets (copilot.triage.train)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from datetime import datetime

from copilot import logs, store
from copilot.settings import Settings, get_settings
from copilot.triage import train
from copilot.triage.modes import ModesFileError, load_modes
from copilot.triage.queue import IntakeQueue, consumer_name, queue_from_settings


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m copilot.triage", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help="handle ticket events from the intake stream")
    worker.add_argument("--concurrency", type=int, default=None, help="events handled at once (default: setting)")
    poll = commands.add_parser("poll", help="queue tickets updated since the last poll (no webhooks needed)")
    poll.add_argument("--once", action="store_true", help="poll once and exit")
    poll.add_argument("--since", type=datetime.fromisoformat, default=None,
                      help="start from this time (ISO 8601) instead of the saved cursor")
    dlq = commands.add_parser("dlq", help="the dead-letter stream")
    dlq_commands = dlq.add_subparsers(dest="dlq_command", required=True)
    listing = dlq_commands.add_parser("list", help="dead letters, oldest first")
    listing.add_argument("--limit", type=int, default=100)
    replay = dlq_commands.add_parser("replay", help="put dead letters back on the stream")
    replay.add_argument("ids", nargs="*", help="dead-letter ids (from `dlq list`)")
    replay.add_argument("--all", action="store_true", help="replay every dead letter")
    train.register(commands)  # copilot.triage.train: pull resolved tickets, train, point `current` at the bundle
    return root


async def _queue(settings: Settings) -> IntakeQueue:
    return queue_from_settings(settings, await store.get_redis(settings))


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def run_worker(settings: Settings, concurrency: int | None) -> int:
    from copilot.rate_budget import background_client
    from copilot.services import get_services
    from copilot.triage.worker import build_worker, retrain_forever

    try:
        modes = load_modes(settings.triage_modes_file)
    except ModesFileError as error:
        print(error, file=sys.stderr)
        return 2
    services = await get_services(settings)
    client = background_client(settings)
    sync_client = background_client(settings)
    await services.knowledge.load()
    # the worker's own pool, its connections named in CLIENT LIST (the app's shared client otherwise)
    own_redis = store.connect(settings.redis_url, max_connections=settings.redis_max_connections,
                              pool_timeout=settings.redis_pool_timeout,
                              name=f"copilot-triage-worker-{consumer_name()}") if settings.redis_url else None
    redis = own_redis or await store.get_redis(settings)
    stop = _stop_on_signals()
    background = [asyncio.create_task(services.knowledge.sync_forever(sync_client, settings.kb_sync_interval_seconds)),
                  asyncio.create_task(retrain_forever(settings, sync_client, redis, stop))]
    try:
        worker = build_worker(settings, redis, client=client, knowledge=services.knowledge, modes=modes)
        if concurrency:
            worker.concurrency = concurrency
        await worker.run(stop)
    finally:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await client.aclose()
        await sync_client.aclose()
        if own_redis is not None:
            await own_redis.aclose()
        await services.aclose()
    return 0


async def run_poll(settings: Settings, once: bool, since: datetime | None) -> int:
    from copilot.rate_budget import background_client
    from copilot.triage.poller import poll_forever, poll_once

    client = background_client(settings)
    try:
        queue = await _queue(settings)
        if once or since:
            queued = await poll_once(client, queue, since=since)
            print(f"queued {queued} ticket event(s); cursor {await queue.cursor()}")
        if not once:
            await poll_forever(client, queue, settings.triage_poll_interval_seconds, _stop_on_signals())
    finally:
        await client.aclose()
        await store.close_redis(stop_embedded=True)
    return 0


async def run_dlq(settings: Settings, args: argparse.Namespace) -> int:
    try:
        queue = await _queue(settings)
        if args.dlq_command == "list":
            letters = await queue.dead(args.limit)
            if not letters:
                print("The dead-letter stream is empty.")
            for letter in letters:
                print(f"{letter.id}  ticket {letter.event.ticket_id}  {letter.event.event}  "
                      f"updated_at {letter.event.updated_at}  attempts {letter.attempts}  "
                      f"failed {letter.failed_at}  reason: {letter.reason}")
            return 0
        if not args.all and not args.ids:
            print("Name the dead letters to replay (ids from `dlq list`) or pass --all.", file=sys.stderr)
            return 2
        known = {d.id for d in await queue.dead(100_000)}
        missing = [i for i in args.ids if i not in known]
        if missing:
            print(f"No dead letter with id {', '.join(missing)}.", file=sys.stderr)
            return 1
        replayed = await queue.replay(None if args.all else args.ids)
        print(f"Replayed {len(replayed)} event(s) onto the intake stream.")
        return 0
    finally:
        await store.close_redis(stop_embedded=True)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "func", None) is not None:  # a registered command (train) runs itself
        return int(args.func(args) or 0)
    settings = get_settings()
    logs.configure(settings.log_level, settings.secret_values())
    if args.command == "worker":
        return asyncio.run(run_worker(settings, args.concurrency))
    if args.command == "poll":
        return asyncio.run(run_poll(settings, args.once, args.since))
    return asyncio.run(run_dlq(settings, args))


if __name__ == "__main__":
    sys.exit(main())
