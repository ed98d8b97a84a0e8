"""Kill the worker mid-burst of 500 webhooks (a real subprocess, SIGKILL): after a restart every ticket
has exactly one triage note — nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from copilot.triage.proposal import ALL, ProposalStore
from copilot.triage.queue import GROUP, IntakeQueue
from tests.conftest import SandboxHandle
from tests.servers import serve
from tests.triage.conftest import HEADER, SECRET, Intake, triage_settings, wait_until, webhook_app

ROOT = Path(__file__).resolve().parents[2]
BURST = 500
pytestmark = pytest.mark.slow


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "copilot.triage", "worker"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


async def create_tickets(sandbox: SandboxHandle, count: int) -> list[int]:
    """Raise ``count`` tickets through the API, 20 at a time; the sandbox sends one webhook for each."""
    ids: list[int] = []
    async with httpx.AsyncClient(base_url=sandbox.base_url, auth=(sandbox.api_key, "X"), timeout=60) as http:
        async def one(n: int) -> int:
            body = {"subject": f"Burst ticket {n}: laptop fan is loud", "description": "The fan never stops.",
                    "email": "bob.martin@acme.example", "status": 2, "priority": 1}
            response = await http.post("/api/v2/tickets", json=body)
            response.raise_for_status()
            return int(response.json()["ticket"]["id"])

        for start in range(0, count, 20):
            ids += await asyncio.gather(*(one(n) for n in range(start, min(count, start + 20))))
    return ids


async def notes_per_ticket(sandbox: SandboxHandle, ids: list[int]) -> dict[int, int]:
    """Triage notes on each ticket, counted from its conversations as an agent would see them."""
    async with httpx.AsyncClient(base_url=sandbox.base_url, auth=(sandbox.api_key, "X"), timeout=60) as http:
        async def count(ticket_id: int) -> int:
            response = await http.get(f"/api/v2/tickets/{ticket_id}/conversations")
            response.raise_for_status()
            return sum(1 for c in response.json()["conversations"]
                       if c["private"] and "Copilot triage suggestion" in (c["body"] or ""))

        counts: dict[int, int] = {}
        for start in range(0, len(ids), 25):
            chunk = ids[start:start + 25]
            for ticket_id, n in zip(chunk, await asyncio.gather(*(count(i) for i in chunk)), strict=True):
                counts[ticket_id] = n
    return counts


async def _at_least(redis: aioredis.Redis, count: int) -> bool:
    return int(await redis.zcard(ALL)) >= count


async def _all_proposed(redis: aioredis.Redis, ticket_ids: set[int]) -> bool:
    """Every ticket in ``ticket_ids`` is claimed by a stored proposal with its note, and the stream is empty."""
    queue = IntakeQueue(redis)
    if (await queue.depth()).waiting:
        return False
    owners = await redis.mget([queue.ticket_prefix + str(i) for i in ticket_ids]) if ticket_ids else []
    if not all(owners):
        return False
    proposals = await ProposalStore(redis)._load(owners)
    return len(proposals) == len(ticket_ids) and all(p.note_id for p in proposals)


async def settled(sandbox: SandboxHandle) -> dict[int, int | None]:
    """Ticket id -> final status of its ticket_created delivery (after the sender's retries), once settled."""
    final: dict[int, int | None] = {}
    try:
        async with httpx.AsyncClient(base_url=sandbox.base_url, auth=(sandbox.api_key, "X"), timeout=120) as http:
            records = (await http.get("/_sandbox/webhooks/deliveries")).json()["deliveries"]
    except httpx.TransportError:  # the loaded sandbox dropped the read: ask again on the next poll
        return final
    for d in records:
        if d["event"] == "ticket_created" and (d["status"] == 202 or d["retry_in"] is None):
            final[d["ticket_id"]] = d["status"]
    return final


async def _all_settled(sandbox: SandboxHandle) -> bool:
    return len(await settled(sandbox)) >= BURST


@pytest.fixture
def stack() -> Iterator[contextlib.ExitStack]:
    with contextlib.ExitStack() as entered:
        yield entered


@pytest.mark.skipif(os.environ.get("COPILOT_SLOW_TESTS") != "1",
                    reason="10-30 min on 2 cores; run with COPILOT_SLOW_TESTS=1 (once stalled with 8 events in hand: see the stop note)")
@pytest.mark.timeout(1800)  # 500 tickets through a shared 2-core machine; the figures are in bench/
async def test_sigkill_mid_burst_leaves_exactly_one_note_per_ticket(
        sandbox_factory: Callable[..., SandboxHandle], intake: Intake, redis: aioredis.Redis, knowledge: Any,
        tmp_path: Path, stack: contextlib.ExitStack) -> None:
    sandbox = sandbox_factory(knowledge="org")
    # the webhook route of this sandbox's own deployment: events carry their account, and a worker
    # dead-letters another account's (the shared intake app belongs to the session's sandbox)
    (tmp_path / "app").mkdir()
    app_settings = triage_settings(sandbox, intake.redis_url, tmp_path / "app")
    app = stack.enter_context(serve(webhook_app(app_settings)))
    target = {"url": f"{app}/webhooks/freshservice", "header_name": HEADER, "header_value": SECRET,
              "events": ["ticket_created", "ticket_updated"], "retry_delays": [1, 2, 4, 8]}  # the sender retries
    assert sandbox.control("POST", "/_sandbox/webhooks", json=target).status_code == 201
    data_dir = tmp_path / "data"
    shutil.copytree(knowledge.directory, data_dir / "knowledge")  # the worker loads the index, embeds nothing
    env = {**os.environ, "COPILOT_ENV": "development", "COPILOT_DATA_DIR": str(data_dir),
           "COPILOT_REDIS_URL": intake.redis_url, "COPILOT_FRESHSERVICE_URL": sandbox.base_url,
           "COPILOT_FRESHSERVICE_API_KEY": sandbox.api_key, "COPILOT_TRIAGE_CLAIM_IDLE_SECONDS": "2",
           "COPILOT_EMBEDDER_BACKEND": "torch", "COPILOT_TRIAGE_WORKER_CONCURRENCY": "8",
           "COPILOT_TRIAGE_RETRAIN_HOURS": "0"}  # no model: this test is about delivery, not proposals
    log = Path(os.environ.get("TRIAGE_KILL_LOG", tmp_path / "worker.log"))
    burst_start = datetime.now(UTC) - timedelta(seconds=5)
    worker = await asyncio.to_thread(start_worker, env, log)
    try:
        ids = await create_tickets(sandbox, BURST)
        assert len(set(ids)) == BURST
        await wait_until(lambda: _at_least(redis, 40), within=900)  # the worker is up and writing notes
        worker.send_signal(signal.SIGKILL)
        await asyncio.to_thread(worker.wait, 30)
        done_at_kill = int(await redis.zcard(ALL))
        in_flight_at_kill = int((await redis.xpending(IntakeQueue(redis).stream, GROUP))["pending"])
        assert done_at_kill < BURST  # killed mid-burst, not after it
        assert in_flight_at_kill > 0  # events were delivered to it and never acknowledged
        worker = await asyncio.to_thread(start_worker, env, log)
        await wait_until(lambda: _all_settled(sandbox), within=900, every=2.0)
        accepted = {ticket_id for ticket_id, status in (await settled(sandbox)).items() if status == 202}
        # every event the webhook accepted was triaged, across the kill
        await wait_until(lambda: _all_proposed(redis, accepted), within=1200, every=1.0)
        # a delivery the sender gave up on after its retries (timeouts on a loaded machine) is the poller's job
        missed = BURST - len(accepted)
        if missed:
            polled = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "copilot.triage", "poll", "--once",
                                             "--since", burst_start.isoformat()], cwd=ROOT, env=env,
                                             capture_output=True, text=True, timeout=300)
            assert polled.returncode == 0, polled.stderr
        await wait_until(lambda: _all_proposed(redis, set(ids)), within=1200, every=1.0)
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            await asyncio.to_thread(worker.wait, 60)
    counts = await notes_per_ticket(sandbox, ids)
    assert sorted(set(counts.values())) == [1], {k: v for k, v in counts.items() if v != 1}
    print(f"\nkilled with {done_at_kill}/{BURST} proposals stored and {in_flight_at_kill} events in flight; "
          f"{len(accepted)} webhooks accepted, {missed} missed by the sender and found by the poller; "
          f"after the restart {len(counts)} tickets have exactly one note each")
