"""End to end against the sandbox: it sends the webhook itself, the app queues it, a worker reads the real
stream and writes ONE private note; rollout modes, failures, dead letters and replay, the poller."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from copilot import store
from copilot.triage.modes import ModeRule, ModesConfig
from copilot.triage.proposal import ProposalStatus, ProposalStore, RolloutMode
from copilot.triage.queue import IntakeQueue
from copilot.triage.worker import TriageWorker, build_worker
from tests.conftest import SandboxHandle
from tests.triage.conftest import Intake, triage_notes, triage_settings, wait_until
from tools.freshservice import FreshserviceClient, TicketCreate

ROOT = Path(__file__).resolve().parents[2]
REQUESTER = "alice.nguyen@acme.example"
WORKER_CLIENT = "copilot-triage-worker-under-test"


@pytest.fixture(scope="module")
def webhooks_on(intake: Intake) -> Intake:
    intake.send_webhooks_here()
    return intake


@asynccontextmanager
async def running_worker(intake: Intake, knowledge: Any, tmp_path: Path, modes: ModesConfig | None = None,
                         *, concurrency: int | None = None, event_seconds: float | None = None,
                         stuck_grace_seconds: float | None = None, **overrides: Any) -> AsyncIterator[TriageWorker]:
    """A production worker on its own Redis client, built like ``python -m copilot.triage worker`` builds
    it (``store.connect``); its connections are named ``WORKER_CLIENT`` in CLIENT LIST."""
    settings = triage_settings(intake.sandbox, intake.redis_url, tmp_path, **overrides)
    redis = store.connect(intake.redis_url, name=WORKER_CLIENT)
    client = FreshserviceClient(intake.sandbox.base_url, intake.sandbox.api_key)
    worker = build_worker(settings, redis, client=client, knowledge=knowledge, modes=modes or ModesConfig())
    if concurrency is not None:
        worker.concurrency = concurrency
    if event_seconds is not None:
        worker.event_seconds = event_seconds
    if stuck_grace_seconds is not None:
        worker.stuck_grace_seconds = stuck_grace_seconds
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield worker
    finally:
        stop.set()
        await task
        await client.aclose()
        await redis.aclose()


async def new_ticket(sandbox: SandboxHandle, subject: str, description: str, **fields: Any) -> int:
    async with FreshserviceClient(sandbox.base_url, sandbox.api_key) as client:
        ticket = await client.create_ticket(TicketCreate(subject=subject, description=description, email=REQUESTER,
                                                         **fields))
    return ticket.id


async def ticket(sandbox: SandboxHandle, ticket_id: int) -> Any:
    async with FreshserviceClient(sandbox.base_url, sandbox.api_key) as client:
        return await client.get_ticket(ticket_id)


async def proposal_for(redis: aioredis.Redis, ticket_id: int) -> Any:
    """The ticket's proposal once its note is written (autonomous mode stores it once before, when applying)."""
    owner = await redis.get(IntakeQueue(redis).ticket_prefix + str(ticket_id))
    proposal = await ProposalStore(redis).get(owner) if owner else None
    return proposal if proposal is not None and proposal.note_id is not None else None


async def test_shadow_mode_writes_one_sanitised_note_and_changes_nothing(
        webhooks_on: Intake, redis: aioredis.Redis, knowledge: Any, tmp_path: Path) -> None:
    sandbox = webhooks_on.sandbox
    async with running_worker(webhooks_on, knowledge, tmp_path):
        ticket_id = await new_ticket(sandbox, "VPN keeps disconnecting <script>alert(1)</script>",
                                     "GlobalProtect drops every few minutes when I work from home.")
        before = await ticket(sandbox, ticket_id)
        proposal = await wait_until(lambda: proposal_for(redis, ticket_id))
    notes = triage_notes(sandbox, ticket_id)
    assert len(notes) == 1
    html = notes[0]["body"]
    assert "<script>" not in html and "&lt;script&gt;" in html  # ticket text is escaped
    assert "Shadow mode: nothing on this ticket was changed" in html
    assert "python -m copilot.triage train" in html  # no trained bundle in this data dir yet
    assert "Connect to the VPN (GlobalProtect)" in html  # the KB search found the VPN article
    assert proposal.status == ProposalStatus.SHADOW and proposal.mode == RolloutMode.SHADOW
    assert proposal.note_id == notes[0]["id"]
    assert proposal.reply_draft.startswith("Hi Alice")
    after = await ticket(sandbox, ticket_id)
    assert (after.category, after.group_id, after.priority, after.type) == \
           (before.category, before.group_id, before.priority, before.type)


async def test_assist_mode_waits_for_a_reviewer(webhooks_on: Intake, redis: aioredis.Redis, knowledge: Any,
                                                tmp_path: Path) -> None:
    modes = ModesConfig(rules=[ModeRule(category="Network", mode=RolloutMode.ASSIST)])
    sandbox = webhooks_on.sandbox
    async with running_worker(webhooks_on, knowledge, tmp_path, modes=modes):
        assisted = await new_ticket(sandbox, "Wi-Fi in the office", "ACME-Corp Wi-Fi will not connect.",
                                    category="Network")
        shadowed = await new_ticket(sandbox, "Printer jam", "The 3rd floor printer is jammed.", category="Hardware")
        first = await wait_until(lambda: proposal_for(redis, assisted))
        second = await wait_until(lambda: proposal_for(redis, shadowed))
    assert (first.mode, first.status) == (RolloutMode.ASSIST, ProposalStatus.PENDING)
    assert (second.mode, second.status) == (RolloutMode.SHADOW, ProposalStatus.SHADOW)
    pending = [p.id for p in await ProposalStore(redis).pending()]
    assert first.id in pending and second.id not in pending
    assert "waiting for a reviewer" in triage_notes(sandbox, assisted)[0]["body"]


async def test_each_ticket_gets_one_note_whatever_its_events(webhooks_on: Intake, redis: aioredis.Redis,
                                                             knowledge: Any, tmp_path: Path) -> None:
    sandbox = webhooks_on.sandbox
    async with running_worker(webhooks_on, knowledge, tmp_path) as worker:
        ticket_id = await new_ticket(sandbox, "Outlook crashes", "Outlook closes when I open the calendar.")
        async with FreshserviceClient(sandbox.base_url, sandbox.api_key) as client:
            from tools.freshservice.schemas import TicketUpdate

            await client.update_ticket(ticket_id, TicketUpdate(priority=3))  # a second event: ticket_updated
        await wait_until(lambda: proposal_for(redis, ticket_id))
        await wait_until(lambda: worker.handled >= 2)
    assert len(triage_notes(sandbox, ticket_id)) == 1


@pytest.mark.timeout(600)  # the waits below fail first, with their reason
async def test_failures_retry_then_dead_letter_then_replay(webhooks_on: Intake, redis: aioredis.Redis,
                                                           knowledge: Any, tmp_path: Path) -> None:
    sandbox = webhooks_on.sandbox
    faults = {"ratios": {"500": 1.0}, "path_regex": r"/tickets/\d+/notes$", "methods": ["POST"]}
    assert sandbox.control("PUT", "/_sandbox/faults", json=faults).status_code == 200
    queue = IntakeQueue(redis)
    try:
        async with running_worker(webhooks_on, knowledge, tmp_path):  # 3 attempts, 1 s then 2 s backoff
            ticket_id = await new_ticket(sandbox, "Monitor flickers", "My second monitor flickers all day.")
            await wait_until(lambda: _dead_count(queue), within=120)
    finally:
        sandbox.control("DELETE", "/_sandbox/faults")
    [letter] = await queue.dead()
    assert letter.event.ticket_id == ticket_id and letter.attempts == 3
    assert "Unavailable" in letter.reason or "ServerError" in letter.reason
    assert triage_notes(sandbox, ticket_id) == []
    env = {**os.environ, "COPILOT_ENV": "development", "COPILOT_REDIS_URL": webhooks_on.redis_url,
           "COPILOT_FRESHSERVICE_URL": sandbox.base_url, "COPILOT_FRESHSERVICE_API_KEY": sandbox.api_key}
    listed = await cli(env, "dlq", "list")
    assert listed.returncode == 0, listed.stderr
    assert f"ticket {ticket_id}" in listed.stdout and letter.id in listed.stdout
    unknown = await cli(env, "dlq", "replay", "0-1")
    assert unknown.returncode == 1 and "No dead letter with id 0-1" in unknown.stderr
    replayed = await cli(env, "dlq", "replay", letter.id)
    assert replayed.returncode == 0 and "Replayed 1 event" in replayed.stdout, replayed.stderr
    assert await queue.dead() == []
    async with running_worker(webhooks_on, knowledge, tmp_path):
        # the replayed event is handled, or fails its attempts again and is back in the dead letters:
        # either way this returns, so a worker that gives up on it fails here with the reason, not by timing out
        await wait_until(lambda: _proposed_or_dead(redis, queue, ticket_id), within=240)
    assert await queue.dead() == [], [d.reason for d in await queue.dead()]
    assert len(triage_notes(sandbox, ticket_id)) == 1


async def cut_connections(redis_url: str, name: str, stop: asyncio.Event) -> int:
    """Close every Redis connection called ``name`` from the server side (``CLIENT KILL``), again and again
    until ``stop``, as a Redis restart, a failover or an idle timeout would; returns how many were cut."""
    admin = aioredis.from_url(redis_url, decode_responses=True)
    cut = 0
    try:
        while not stop.is_set():
            for client in await admin.client_list():
                if client.get("name") == name:
                    cut += int(await admin.execute_command("CLIENT", "KILL", "ID", client["id"]) or 0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.3)
    finally:
        await admin.aclose()
    return cut


async def test_the_worker_rides_out_its_redis_connections_being_cut(
        webhooks_on: Intake, redis: aioredis.Redis, knowledge: Any, tmp_path: Path) -> None:
    """redis-py 8 handed a connection the server had closed back out of its pool and retried nothing, so
    each cut cost an event one of its attempts (3 here) and a replayed event could end in the dead
    letters again. The worker's client now replaces closed connections and retries on a fresh one."""
    sandbox = webhooks_on.sandbox
    queue = IntakeQueue(redis)
    stop_cutting = asyncio.Event()
    async with running_worker(webhooks_on, knowledge, tmp_path) as worker:
        await wait_until(lambda: _worker_connected(redis), within=60)
        cutter = asyncio.create_task(cut_connections(webhooks_on.redis_url, WORKER_CLIENT, stop_cutting))
        try:
            ids = [await new_ticket(sandbox, f"Docking station {n} not detected", "My screens stay black "
                                    "when I plug the laptop into the dock.") for n in range(12)]
            await wait_until(lambda: _all_have_proposals(redis, ids, queue), within=240)
        finally:
            stop_cutting.set()
            cut = await cutter
    assert cut >= 3, f"only {cut} connections were cut: the test did not exercise the fault"
    assert await queue.dead() == [], [d.reason for d in await queue.dead()]
    assert worker.handled >= len(ids)
    for ticket_id in ids:
        assert len(triage_notes(sandbox, ticket_id)) == 1


async def _worker_connected(redis: aioredis.Redis) -> bool:
    return any(c.get("name") == WORKER_CLIENT for c in await redis.client_list())


async def _all_have_proposals(redis: aioredis.Redis, ids: list[int], queue: IntakeQueue) -> bool:
    if await queue.dead():
        return True  # settled, badly: the assertions say why
    return all([await proposal_for(redis, i) is not None for i in ids])


class KnowledgeThatHangsOnce:
    """The real knowledge search, except that its first call never returns and swallows every cancel —
    as a call stuck behind a lock or a thread that ignores cancellation would."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.release = asyncio.Event()
        self.hung = False

    @property
    def ready(self) -> bool:
        return bool(self.inner.ready)

    async def search(self, question: str, k: int = 3) -> Any:
        if not self.hung:
            self.hung = True
            while not self.release.is_set():
                try:
                    await self.release.wait()
                except asyncio.CancelledError:
                    continue  # the misbehaviour under test: the cancel is swallowed
        return await self.inner.search(question, k)


async def test_a_slot_stuck_past_its_deadline_is_recycled_and_the_worker_keeps_going(
        webhooks_on: Intake, redis: aioredis.Redis, knowledge: Any, tmp_path: Path) -> None:
    """One slot (concurrency 1) and an event whose handling hangs and ignores its deadline: before the
    watchdog the worker stalled for good with that event in hand (and kept it from other workers).
    Now the slot is recycled, the next tickets are triaged, and the stuck one is retried and gets its
    single note."""
    sandbox = webhooks_on.sandbox
    hanging = KnowledgeThatHangsOnce(knowledge)
    async with running_worker(webhooks_on, hanging, tmp_path, concurrency=1, event_seconds=10.0,
                              stuck_grace_seconds=2.0) as worker:
        try:
            stuck = await new_ticket(sandbox, "Laptop will not wake from sleep", "Black screen after lunch.")
            await wait_until(lambda: hanging.hung, within=60)
            others = [await new_ticket(sandbox, f"Headset {n} crackles", "Noise on every Teams call.")
                      for n in range(2)]
            await wait_until(lambda: _all_have_proposals(redis, [*others, stuck], IntakeQueue(redis)), within=240)
            assert worker.recycled == 1
        finally:
            hanging.release.set()  # the abandoned task may now finish: its note is already there, none is added
        await wait_until(lambda: not worker._abandoned, within=60)
    assert await IntakeQueue(redis).dead() == []
    for ticket_id in [stuck, *others]:
        assert len(triage_notes(sandbox, ticket_id)) == 1


async def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m copilot.triage ARGS`` as an operator runs it."""
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "copilot.triage", *args], cwd=ROOT, env=env,
                                   capture_output=True, text=True, timeout=120)


async def _dead_count(queue: IntakeQueue) -> int:
    return len(await queue.dead())


async def _proposed_or_dead(redis: aioredis.Redis, queue: IntakeQueue, ticket_id: int) -> bool:
    return await proposal_for(redis, ticket_id) is not None or bool(await queue.dead())


async def test_poller_feeds_the_same_stream_without_webhooks(
        sandbox_factory: Callable[..., SandboxHandle], intake: Intake, redis: aioredis.Redis, knowledge: Any,
        tmp_path: Path) -> None:
    from copilot.triage.poller import poll_once

    quiet = sandbox_factory(knowledge="org")  # no webhook target: only the poller sees its tickets
    quiet_intake = Intake(base_url=intake.base_url, sandbox=quiet, settings=intake.settings, redis_url=intake.redis_url)
    queue = IntakeQueue(redis)
    async with FreshserviceClient(quiet.base_url, quiet.api_key) as client:
        await poll_once(client, queue)  # the first poll starts a minute back (the seed's latest tickets)
        assert await poll_once(client, queue) == 0  # nothing changed since: the boundary ticket is a duplicate
        ticket_id = await new_ticket(quiet, "Teams room screen is black", "The meeting room display shows nothing.")
        assert await poll_once(client, queue) == 1
        assert await poll_once(client, queue) == 0
        async with running_worker(quiet_intake, knowledge, tmp_path):
            await wait_until(lambda: proposal_for(redis, ticket_id))
            # an agent changes the ticket (updated_at has one-second resolution: a fast note may share the
            # creation second): the next poll queues a ticket_updated event, which adds no second note
            await asyncio.sleep(1.1)
            from tools.freshservice.schemas import TicketUpdate

            await client.update_ticket(ticket_id, TicketUpdate(priority=3))
            assert await poll_once(client, queue) >= 1
            await wait_until(lambda: _drained(queue))
    assert len(triage_notes(quiet, ticket_id)) == 1


async def _drained(queue: IntakeQueue) -> bool:
    return (await queue.depth()).waiting == 0


@pytest.fixture(scope="module")
async def trained_dir(triage_sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with a bundle trained on the sandbox's own resolved history (the last 40 days)."""
    from copilot.settings import Settings
    from copilot.triage.train import train

    data_dir = tmp_path_factory.mktemp("trained")
    settings = Settings(env="development", data_dir=data_dir, freshservice_url=triage_sandbox.base_url,
                        freshservice_api_key=triage_sandbox.api_key, triage_history_days=40)
    async with FreshserviceClient(triage_sandbox.base_url, triage_sandbox.api_key) as client:
        await train(settings, client)
    return data_dir


async def past_resolved(sandbox: SandboxHandle, trained_dir: Path) -> Any:
    """A resolved ticket of the sandbox's history on which the trained bundle is sure of at least one field.

    The first resolved incident the filter returns depends on what earlier tests resolved on the shared
    sandbox (and may be older than the bundle's 40 days of history), so ask the bundle itself.
    """
    from copilot.triage.bundle import TriageBundle
    from copilot.triage.proposer import ticket_text

    bundle = TriageBundle.load_current(trained_dir)
    assert bundle is not None, "the trained_dir fixture wrote no bundle"
    async with FreshserviceClient(sandbox.base_url, sandbox.api_key) as client:
        candidates = [past async for past in client.filter_tickets("status:4 AND type:'Incident'")
                      if past.category and past.group_id and past.description_text]
    assert candidates, "the sandbox has no resolved history"
    candidates = candidates[:200]
    guesses = bundle.model.predict([ticket_text(past) for past in candidates])
    sure = [(past, {name for name, guess in fields.items() if guess.auto})
            for past, fields in zip(candidates, guesses, strict=True)]
    # first one whose sure fields include one a new ticket leaves empty (category, group): a sure priority, type
    # or urgency may equal what the new ticket already has, and the worker rightly applies nothing then
    for past, names in sure:
        if names & {"category", "group_id"}:
            return past
    for past, names in sure:
        if names:
            return past
    raise AssertionError("the trained bundle is sure of no field on any resolved incident")


@pytest.mark.timeout(1200)  # trains a bundle from the sandbox history first (minutes on a shared machine)
async def test_autonomous_mode_applies_confident_fields_and_sends_the_kb_answer(
        webhooks_on: Intake, redis: aioredis.Redis, knowledge: Any, trained_dir: Path) -> None:
    from copilot.audit import AuditLog

    modes = ModesConfig(rules=[ModeRule(mode=RolloutMode.AUTONOMOUS, send_kb_reply=True)])
    sandbox = webhooks_on.sandbox
    past = await past_resolved(sandbox, trained_dir)
    async with running_worker(webhooks_on, knowledge, trained_dir, modes=modes):
        routed = await new_ticket(sandbox, past.subject, past.description_text)  # no category, no group yet
        answered = await new_ticket(sandbox, "How do I reset my Acme password?",
                                    "I forgot my password and need to reset it.")
        proposal = await wait_until(lambda: proposal_for(redis, routed))
        kb_proposal = await wait_until(lambda: proposal_for(redis, answered))
    assert proposal.mode == RolloutMode.AUTONOMOUS and proposal.model_version
    assert proposal.fields and proposal.similar  # the trained bundle was used
    [decision] = [d for d in proposal.decisions if d.action == "auto"]
    assert decision.by == "autonomous" and decision.fields  # something was sure enough to apply
    assert all(proposal.fields[k].auto for k in decision.fields)
    after = await ticket(sandbox, routed)
    for name, value in decision.fields.items():
        assert str(getattr(after, name)) == str(value)
    unsure = [k for k, g in proposal.fields.items() if not g.auto]
    assert proposal.status == (ProposalStatus.PENDING if unsure or proposal.assignees else ProposalStatus.APPLIED)
    note = triage_notes(sandbox, routed)[0]["body"]
    assert "Autonomous mode: applied" in note and "Model version: " + proposal.model_version in note
    audit = await AuditLog(redis, trained_dir / "audit" / "audit.jsonl").recent(200)
    updates = [e for e in audit if e["tool"] == "triage_update" and e["arguments"]["ticket_id"] == routed]
    assert updates and updates[0]["employee"] == "autonomous"
    assert updates[0]["arguments"]["model_version"] == proposal.model_version
    # the confident KB answer went to the requester as a public reply, once, and was audited
    async with FreshserviceClient(sandbox.base_url, sandbox.api_key) as client:
        replies = [c async for c in client.iter_conversations(answered) if not c.private]
    assert len(replies) == 1 and "Reset your Acme password" in (replies[0].body or "")
    assert kb_proposal.articles and kb_proposal.articles[0].title == "Reset your Acme password"
    assert any(e["tool"] == "triage_reply" and e["arguments"]["ticket_id"] == answered for e in audit)


async def test_an_event_of_another_account_is_dead_lettered_not_triaged(
        intake: Intake, redis: aioredis.Redis, knowledge: Any, tmp_path: Path) -> None:
    """Two deployments sharing one Redis database by mistake: a worker never triages the other account's
    ticket number on its own account; the event waits in the dead letters, with the reason, for replay."""
    from copilot.triage.queue import TicketEvent

    foreign = IntakeQueue(redis, account="other-company.freshservice.com")
    await foreign.enqueue(TicketEvent(event="ticket_created", ticket_id=1, updated_at="2026-11-30T08:00:00Z"))
    queue = IntakeQueue(redis)
    async with running_worker(intake, knowledge, tmp_path):
        await wait_until(lambda: _dead_count(queue), within=120)
    [letter] = await queue.dead()
    assert letter.event.account == "other-company.freshservice.com" and letter.event.ticket_id == 1
    assert "another Freshservice account" in letter.reason
    assert triage_notes(intake.sandbox, 1) == []


class CountingClient(FreshserviceClient):
    """The real client, counting its requester reads."""

    requester_reads = 0

    async def get_requester(self, requester_id: int) -> Any:
        self.requester_reads += 1
        return await super().get_requester(requester_id)


async def test_a_requester_of_several_tickets_is_read_once(intake: Intake, tmp_path: Path) -> None:
    """The reply draft's greeting needs the requester's name and email: read once per requester for
    ``REQUESTER_TTL_SECONDS`` (it was one API call of four per ticket)."""
    settings = triage_settings(intake.sandbox, intake.redis_url, tmp_path)
    redis = store.connect(intake.redis_url)
    client = CountingClient(intake.sandbox.base_url, intake.sandbox.api_key)
    try:
        async with client:
            worker = build_worker(settings, redis, client=client, knowledge=None, modes=ModesConfig())
            tickets = [await ticket(intake.sandbox, await new_ticket(intake.sandbox, f"Mouse {n} broken", "It stopped."))
                       for n in (1, 2)]
            people = [await worker._requester(t) for t in tickets]
    finally:
        await redis.aclose()
    assert people[0] == people[1] and people[0][1] == REQUESTER and people[0][0]
    assert client.requester_reads == 1
