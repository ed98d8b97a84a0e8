"""Stress the triage worker: a burst of events while its Redis connections are cut again and again.

    python bench/stress_triage_worker.py --redis-url redis://127.0.0.1:6379/6 --events 300 --kill-every 0.5

A sandbox in its own process, the events queued directly on the intake stream of that Redis database,
one production worker (``store.get_redis``, the product's client options), and a killer that closes
every connection of that database but its own with ``CLIENT KILL`` every ``--kill-every`` seconds
(it never touches another database's clients). Prints progress each second; exits 1 if the worker
makes no progress for ``--stall`` seconds (with every task's stack), 0 when every event is handled.
Reproduces the redis-py 8 failure mode fixed in ``copilot.store`` (see docs/triage-intake.md).
Deletes the triage keys of that database first: use a database of your own.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ["COPILOT_ENV"] = "development"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import httpx  # noqa: E402
import redis.asyncio as aioredis  # noqa: E402
from bench_intake import API_KEY, sandbox_process  # noqa: E402


async def killer(url: str, db: int, every: float, stop: asyncio.Event, stats: dict[str, int]) -> None:
    admin = aioredis.from_url(url, decode_responses=True)
    me = await admin.client_id()
    while not stop.is_set():
        await asyncio.sleep(random.uniform(every / 2, every * 1.5))
        try:
            for c in await admin.client_list():
                if int(c.get("db", -1)) == db and int(c["id"]) != me:
                    await admin.execute_command("CLIENT", "KILL", "ID", c["id"])
                    stats["killed"] += 1
        except Exception as error:  # noqa: BLE001 - the killer's own connection was refused: try again
            print("killer", type(error).__name__)
    await admin.aclose()


async def main(args: argparse.Namespace) -> int:
    from copilot import store
    from copilot.knowledge.sync import KnowledgeBase
    from copilot.settings import Settings
    from copilot.triage.modes import ModesConfig
    from copilot.triage.queue import IntakeQueue, TicketEvent
    from copilot.triage.worker import build_worker
    from tools.freshservice import FreshserviceClient

    url = args.redis_url
    db = int(url.rsplit("/", 1)[1]) if url.rsplit("/", 1)[1].isdigit() else 0
    work = Path(tempfile.mkdtemp(prefix="stress-"))
    with sandbox_process() as (sandbox_url, _pid):
        settings = Settings(env="development", freshservice_url=sandbox_url, freshservice_api_key=API_KEY,
                            redis_url=url, data_dir=work / "data", triage_worker="off",
                            triage_claim_idle_seconds=2.0, triage_retry_max_seconds=8.0, triage_max_attempts=50)
        plain = store.connect(url)
        for pattern in ("copilot:{triage}:*", "copilot:triage:*"):
            keys = [k async for k in plain.scan_iter(match=pattern, count=1000)]
            if keys:
                await plain.delete(*keys)
        knowledge = KnowledgeBase(settings.data_dir / "knowledge", sandbox_url) if args.kb else None
        async with FreshserviceClient(sandbox_url, API_KEY) as client:
            if knowledge is not None:
                await knowledge.sync(client)
        queue = IntakeQueue(plain)
        async with httpx.AsyncClient(base_url=sandbox_url, auth=(API_KEY, "X"), timeout=60) as http:
            ids = []
            for n in range(args.events):
                r = await http.post("/api/v2/tickets", json={"subject": f"Stress {n}: VPN drops",
                                    "description": "GlobalProtect disconnects", "email": "alice.nguyen@acme.example",
                                    "status": 2, "priority": 1})
                t = r.json()["ticket"]
                ids.append(t["id"])
                await queue.enqueue(TicketEvent(event="ticket_created", ticket_id=t["id"], updated_at=t["updated_at"]))
        print("queued", len(ids), flush=True)
        redis = await store.get_redis(settings) if args.pool == "prod" else aioredis.from_url(url, decode_responses=True)
        client = FreshserviceClient(sandbox_url, API_KEY)
        worker = build_worker(settings, redis, client=client, knowledge=knowledge, modes=ModesConfig())
        stop, kstop = asyncio.Event(), asyncio.Event()
        stats = {"killed": 0}
        task = asyncio.create_task(worker.run(stop))
        ktask = asyncio.create_task(killer(url, db, args.kill_every, kstop, stats))
        last, last_change, started = -1, time.monotonic(), time.monotonic()
        code = 0
        while True:
            await asyncio.sleep(1.0)
            try:
                depth = await queue.depth()
            except Exception as error:  # noqa: BLE001 - report and keep watching
                print("depth failed", type(error).__name__)
                continue
            if worker.handled != last:
                last, last_change = worker.handled, time.monotonic()
            print(f"t={time.monotonic() - started:.0f}s handled={worker.handled} recycled={worker.recycled} "
                  f"waiting={depth.waiting} pending={depth.pending} dead={depth.dead} killed={stats['killed']}", flush=True)
            if depth.waiting == 0 and depth.dead == 0 and worker.handled >= len(ids):
                break
            if time.monotonic() - last_change > args.stall:
                print("STALL", flush=True)
                for t in asyncio.all_tasks():
                    t.print_stack(limit=30)
                code = 1
                break
            if time.monotonic() - started > args.max_seconds:
                print("TIME UP")
                code = 2
                break
        kstop.set()
        await ktask
        stop.set()
        try:
            await asyncio.wait_for(task, 60)
        except TimeoutError:
            print("worker.run did not stop in 60 s")
            for t in asyncio.all_tasks():
                t.print_stack(limit=30)
            code = code or 3
        await client.aclose()
        await plain.aclose()
    return code


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--redis-url", required=True, help="redis://host:port/DB — a database of your own")
    p.add_argument("--events", type=int, default=300)
    p.add_argument("--kill-every", type=float, default=1.0)
    p.add_argument("--stall", type=float, default=60.0)
    p.add_argument("--max-seconds", type=float, default=900.0)
    p.add_argument("--pool", choices=["prod", "plain"], default="prod")
    p.add_argument("--kb", action="store_true")
    sys.exit(asyncio.run(main(p.parse_args())))
