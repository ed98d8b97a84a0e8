"""The triage worker: reads the intake stream, writes ONE private note per ticket, stores the proposal.

One event, in order: re-read the ticket (the webhook body is not trusted for content); claim the
ticket for this event's proposal (one note per ticket, whichever event comes first); build the
proposal; in autonomous mode apply the confident fields (``dispatch.apply``, audited) and maybe send
the KB answer; write the note with ``idempotency_key=proposal.id``; store the proposal; acknowledge.
A worker killed anywhere in between leaves the event pending; the next delivery rebuilds the same
proposal id, the client finds the note already there (its marker) instead of writing a second one,
and a stored autonomous proposal is not applied twice. A resolved ticket gets a resolution summary
(``copilot.triage.summary``) instead.

Runs inside the app (``COPILOT_TRIAGE_WORKER=embedded``, the development default) or as its own
processes (``python -m copilot.triage worker``), as many as the ticket volume needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from copilot import logs, rate_budget
from copilot.audit import AuditLog
from copilot.policy import Policy
from copilot.settings import Settings
from copilot.triage import dispatch
from copilot.triage.modes import ModesConfig, ModesFileError, load_modes
from copilot.triage.note import render_note
from copilot.triage.proposal import (
    Decision,
    Proposal,
    ProposalStatus,
    ProposalStore,
    RolloutMode,
    proposed_values,
)
from copilot.triage.proposer import BundleSource, Proposer
from copilot.triage.queue import Delivery, IntakeQueue, TicketEvent, consumer_name, queue_from_settings
from tools.context import AuditEvent, AuditSink, KnowledgeSearch, WriteGate, WriteMode
from tools.freshservice import FreshserviceClient, FreshserviceError, NotFound, ValidationFailed
from tools.freshservice.schemas import Ticket

log = logs.get_logger(__name__)
RETRAIN_CHECK_SECONDS = 3600.0
EVENT_SECONDS = 120.0  # one event, end to end (handle + acknowledge): past this it is failed and retried later
STUCK_GRACE_SECONDS = 30.0  # a slot still busy this long after its event's deadline ignored the cancel: recycled
RECORD_SECONDS = 15.0  # recording a failure or a dead letter (Redis calls) may take at most this
WARM_SECONDS = 120.0  # loading the bundle and the directories before the first event
LOOP_CALL_SECONDS = 30.0  # one round of the read loop's Redis calls (XCLAIM, XPENDING, XREADGROUP BLOCK 1 s)
RESOLVED_STATUSES = (4, 5)  # Resolved, Closed
REQUESTER_TTL_SECONDS = 600.0  # a requester's name and email, kept this long (see TriageWorker._requester)
REQUESTER_CACHE = 2048
AUTONOMOUS_ACTION = "triage_autonomous"  # the policy action autonomous writes ask the gate about
Summariser = Callable[[FreshserviceClient, Ticket, str], Awaitable[Any]]


def resolution_summariser(settings: Settings) -> Summariser:
    """On a resolved ticket: draft its resolution summary (``copilot.triage.summary``) and write it as ONE
    private note for the agent to review (keyed by ticket, so a reopen-and-resolve adds no second one)."""
    from copilot.triage.summary import summarise, summary_model, to_note_html

    model = summary_model(settings)

    async def on_resolved(client: FreshserviceClient, ticket: Ticket, _key: str) -> Any:
        summary = await summarise(ticket.id, client, model)
        if summary.empty:
            return None
        return await client.add_note(ticket.id, to_note_html(summary), private=True,
                                     idempotency_key=f"summary:{ticket.id}")

    return on_resolved


@dataclass
class Slot:
    """One event in hand: its task, and since when (for the watchdog)."""

    delivery: Delivery
    task: asyncio.Task[None]
    started: float


@dataclass
class TriageWorker:
    client: FreshserviceClient
    queue: IntakeQueue
    store: ProposalStore
    proposer: Proposer
    modes: ModesConfig
    audit: AuditSink
    gate: WriteGate
    summarise: Summariser | None = None
    consumer: str = field(default_factory=consumer_name)
    concurrency: int = 8
    event_seconds: float = EVENT_SECONDS
    stuck_grace_seconds: float = STUCK_GRACE_SECONDS
    handled: int = 0
    recycled: int = 0  # slots the watchdog took back from a task that ignored its deadline
    warmed: asyncio.Event = field(default_factory=asyncio.Event)  # set once the models and directories are loaded
    _inflight: dict[str, Slot] = field(default_factory=dict)
    _abandoned: set[asyncio.Task[None]] = field(default_factory=set)  # recycled tasks, kept until they end
    _requesters: dict[int, tuple[float, str | None, str | None]] = field(default_factory=dict)  # id -> (at, name, email)

    # -- one event ---------------------------------------------------------------------------------

    async def handle(self, event: TicketEvent) -> str:
        """Do what ``event`` asks; returns what happened (for logs and tests)."""
        try:
            ticket = await self.client.get_ticket(event.ticket_id)
        except NotFound:
            return "ticket_gone"
        if ticket.deleted or ticket.spam:
            return "ticket_gone"
        if ticket.status in RESOLVED_STATUSES:
            if event.event == "ticket_updated" and self.summarise is not None:
                await self.summarise(self.client, ticket, event.key)
                return "summary"
            return "resolved"
        owner = await self.queue.claim_ticket(ticket.id, event.key)
        if owner != event.key:
            return "already_triaged"
        stored = await self.store.get(event.key)
        if stored is not None and stored.note_id is not None:
            return "done_before"
        return await self._triage(ticket, event.key, stored)

    async def _requester(self, ticket: Ticket) -> tuple[str | None, str | None]:
        """The requester's name (for the reply draft's greeting) and email, kept for
        ``REQUESTER_TTL_SECONDS``: people raise several tickets, and a call per ticket cost a quarter of
        the worker's API calls (and their CPU) for a greeting."""
        if not ticket.requester_id:
            return None, None
        now = time.monotonic()
        kept = self._requesters.get(ticket.requester_id)
        if kept is not None and now - kept[0] < REQUESTER_TTL_SECONDS:
            return kept[1], kept[2]
        try:
            person = await self.client.get_requester(ticket.requester_id)
        except NotFound:  # an agent raised it, or the requester was removed
            return None, None
        name = " ".join(p for p in (person.first_name, person.last_name) if p) or None
        if len(self._requesters) >= REQUESTER_CACHE:
            self._requesters.pop(next(iter(self._requesters)))
        self._requesters[ticket.requester_id] = (now, name, person.primary_email)
        return name, person.primary_email

    async def _triage(self, ticket: Ticket, proposal_id: str, stored: Proposal | None) -> str:
        name, email = await self._requester(ticket)
        proposal, evidence = await self.proposer.propose(ticket, proposal_id, requester_name=name,
                                                         requester_email=email)
        applied: dict[str, str | int] = {}
        replied = False
        if stored is not None:  # an earlier delivery decided (and maybe applied) before it was stopped
            proposal = stored
            applied = next((d.fields for d in stored.decisions if d.action == "auto"), {})
        else:
            rule = self.modes.choose(ticket.type, ticket.category, proposal.fields)
            proposal.mode = rule.mode
            if rule.mode == RolloutMode.AUTONOMOUS and self.gate.mode_for(AUTONOMOUS_ACTION) != WriteMode.AUTO:
                proposal.mode = RolloutMode.ASSIST  # the policy gate holds every autonomous write for review
            proposal.status = ProposalStatus.SHADOW if proposal.mode == RolloutMode.SHADOW else ProposalStatus.PENDING
            if proposal.mode == RolloutMode.AUTONOMOUS:
                applied = await self._apply_confident(ticket, proposal)
                if rule.send_kb_reply:
                    replied = await self._send_kb_reply(ticket, proposal, evidence.kb)
        body = render_note(proposal, trained=evidence.trained, applied=applied, replied=replied,
                           kb_available=evidence.kb_available)
        note = await self.client.add_note(ticket.id, body, private=True, idempotency_key=proposal.id)
        proposal.note_id = note.id
        await self.store.save(proposal)
        await self.audit.record(AuditEvent(
            conversation_id=f"triage:{proposal.id}", employee="triage-worker", tool="triage_note",
            arguments={"ticket_id": ticket.id, "mode": proposal.mode.value, "model_version": proposal.model_version,
                       "proposed": proposed_values(proposal)},
            result={"note_id": note.id, "status": proposal.status.value}))
        return f"proposed:{proposal.mode.value}"

    async def _apply_confident(self, ticket: Ticket, proposal: Proposal) -> dict[str, str | int]:
        """Write the fields above their shipped threshold (and different from the ticket) at once; the
        rest stays pending for a reviewer."""
        current = ticket.model_dump()
        confident = {k: g.value for k, g in proposal.fields.items()
                     if g.auto and str(current.get(k)) != str(g.value)}
        for child, parent in (("sub_category", "category"), ("item_category", "sub_category")):
            # a nested value only fits under its parent: applied only when the parent is applied or unchanged
            guess = proposal.fields.get(parent)
            if child in confident and parent not in confident and (guess is None or str(current.get(parent)) != str(guess.value)):
                del confident[child]
        if not confident:
            await self.store.save(proposal)
            return {}
        await dispatch.apply(proposal, Decision(by="autonomous", action="auto", fields=confident),
                             client=self.client, store=self.store, audit=self.audit)
        if proposal.status == ProposalStatus.APPLIED:
            rest = [k for k, g in proposal.fields.items() if not g.auto]
            if rest or proposal.assignees:
                proposal.status = ProposalStatus.PENDING  # the unsure fields and the assignee wait for review
            return confident
        return {}

    async def _send_kb_reply(self, ticket: Ticket, proposal: Proposal, kb: Any) -> bool:
        """Send the reply draft to the requester when the KB answer is confident (audited)."""
        minimum = self.modes.kb_reply_min_confidence
        if kb is None or not kb.answer or (minimum is not None and kb.confidence < minimum):
            return False
        outcome = "ok"
        try:
            await self.client.reply_to_ticket(ticket.id, _html_paragraphs(proposal.reply_draft),
                                              idempotency_key=f"reply:{proposal.id}")
        except (FreshserviceError, ValidationFailed) as error:
            outcome = "error"
            log.warning("triage_reply_failed", ticket_id=ticket.id, error=type(error).__name__)
        await self.audit.record(AuditEvent(
            conversation_id=f"triage:{proposal.id}", employee="autonomous", tool="triage_reply",
            arguments={"ticket_id": ticket.id, "article": kb.articles[0].url if kb.articles else None,
                       "confidence": round(kb.confidence, 3), "model_version": proposal.model_version},
            outcome=outcome))
        return outcome == "ok"

    # -- the loop ----------------------------------------------------------------------------------

    async def process(self, delivery: Delivery) -> None:
        """Handle one delivery and acknowledge it, within ``event_seconds``; on failure leave it pending
        for a retry after backoff (or dead-letter it after the last attempt). Never raises but for a cancel."""
        started = time.perf_counter()
        if self.queue.account and delivery.event.account and delivery.event.account != self.queue.account:
            log.error("triage_event_of_another_account", ticket_id=delivery.event.ticket_id,
                      account=delivery.event.account, ours=self.queue.account)
            with contextlib.suppress(Exception):  # Redis away: it stays pending and comes back here later
                await self.queue.dead_letter(
                    delivery, f"queued by another Freshservice account ({delivery.event.account}): "
                              "give each deployment its own Redis database")
            return
        try:
            async with asyncio.timeout(self.event_seconds):
                with self.proposer.reader.expected():  # its model work may be batched with the others in hand
                    outcome = await self.handle(delivery.event)
                await self.queue.ack(delivery)
        except Exception as error:  # any failure, the deadline included: retried after backoff
            await self._failed(delivery, error)
            return
        self.handled += 1
        log.info("triage_event_done", ticket_id=delivery.event.ticket_id, kind=delivery.event.event,
                 outcome=outcome, attempt=delivery.attempts, ms=round((time.perf_counter() - started) * 1000))

    async def _failed(self, delivery: Delivery, error: BaseException) -> None:
        """Log the failure, remember its reason for the dead letter, and dead-letter the last attempt.
        Each step is bounded and logged when it fails: the event then simply stays pending and is
        reclaimed (and dead-lettered there once out of attempts), so nothing is lost."""
        reason = f"{type(error).__name__}" + (f" ({error.status})" if isinstance(error, FreshserviceError)
                                              and error.status else "")
        log.warning("triage_event_failed", ticket_id=delivery.event.ticket_id, kind=delivery.event.event,
                    attempt=delivery.attempts, error=reason)
        steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("record_failure", lambda: self.queue.record_failure(delivery, reason))]
        if delivery.attempts >= self.queue.max_attempts:
            steps.append(("dead_letter", lambda: self.queue.dead_letter(delivery, reason)))
        for step, call in steps:
            try:
                async with asyncio.timeout(RECORD_SECONDS):
                    await call()
            except Exception as failure:  # Redis away: the reclaim path retries or dead-letters it later
                log.warning("triage_failure_not_recorded", ticket_id=delivery.event.ticket_id, step=step,
                            error=type(failure).__name__)

    def _spawn(self, delivery: Delivery) -> None:
        task = asyncio.create_task(self.process(delivery), name=f"triage:{delivery.id}")
        slot = Slot(delivery=delivery, task=task, started=time.monotonic())
        self._inflight[delivery.id] = slot

        def done(_: asyncio.Task[None]) -> None:
            if self._inflight.get(delivery.id) is slot:
                del self._inflight[delivery.id]

        task.add_done_callback(done)

    def recycle_stuck(self, now: float | None = None) -> int:
        """The watchdog: take back every slot whose task outlived its deadline by the grace period.

        ``process`` bounds an event with ``event_seconds``, so a slot outliving it means its task did
        not end when cancelled (a call that swallows the cancel, a lock never released). Left alone it
        would hold the slot for good, and ``touch`` would keep its event fresh so no other worker
        could reclaim it either: the worker would stall with its slots full. Instead the task is
        cancelled again and set aside, the slot is freed, and the event — no longer touched — is
        reclaimed after its backoff like any failed one (its note is idempotent, so a late finish of
        the old task writes nothing twice). Returns how many slots were recycled."""
        now = time.monotonic() if now is None else now
        limit = self.event_seconds + self.stuck_grace_seconds
        recycled = 0
        for key, slot in list(self._inflight.items()):
            if now - slot.started <= limit:
                continue
            log.error("triage_slot_stuck", ticket_id=slot.delivery.event.ticket_id, kind=slot.delivery.event.event,
                      stream_id=key, seconds=round(now - slot.started), consumer=self.consumer)
            del self._inflight[key]
            slot.task.cancel()
            if not slot.task.done():
                self._abandoned.add(slot.task)
                slot.task.add_done_callback(self._abandoned.discard)
            recycled += 1
        self.recycled += recycled
        return recycled

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Read, reclaim and handle events until ``stop`` is set (then finish the ones in hand).

        Nothing here can wait forever: each round of Redis calls is bounded (``LOOP_CALL_SECONDS``;
        Redis away → wait and try again), each event is bounded by ``process``, and the watchdog
        (:meth:`recycle_stuck`) frees a slot whose task ignored its deadline."""
        stop = stop or asyncio.Event()
        await self.queue.ensure_group()
        try:
            async with asyncio.timeout(WARM_SECONDS):
                await self.proposer.warm()
        except Exception as error:  # the first events load what is missing themselves
            log.warning("triage_worker_not_warmed", error=type(error).__name__)
        self.warmed.set()
        log.info("triage_worker_started", consumer=self.consumer, concurrency=self.concurrency)
        housekeeping_every = max(0.5, self.queue.claim_idle / 3)
        last_housekeeping = 0.0
        while not stop.is_set():
            try:
                self.recycle_stuck()
                free = self.concurrency - len(self._inflight)
                if free <= 0:
                    await asyncio.wait([s.task for s in self._inflight.values()], timeout=0.5,
                                       return_when=asyncio.FIRST_COMPLETED)
                    if time.monotonic() - last_housekeeping < housekeeping_every:
                        continue
                async with asyncio.timeout(LOOP_CALL_SECONDS):
                    now = time.monotonic()
                    if now - last_housekeeping >= housekeeping_every:
                        last_housekeeping = now
                        await self.queue.touch(self.consumer, list(self._inflight))
                        free = self.concurrency - len(self._inflight)
                        if free > 0:
                            for delivery in await self.queue.reclaim(self.consumer, free, busy=set(self._inflight)):
                                self._spawn(delivery)
                    free = self.concurrency - len(self._inflight)
                    if free <= 0:
                        continue
                    block = 50 if self._inflight else 1000
                    for delivery in await self.queue.read(self.consumer, free, block_ms=block):
                        self._spawn(delivery)
            except asyncio.CancelledError:
                break
            except Exception as error:  # Redis away: wait and try again; nothing is lost, events stay queued
                log.warning("triage_worker_waiting", error=type(error).__name__)
                await asyncio.sleep(2.0)
        if self._inflight:
            await asyncio.wait([s.task for s in self._inflight.values()], timeout=30)
        log.info("triage_worker_stopped", consumer=self.consumer, handled=self.handled, recycled=self.recycled)


def _html_paragraphs(text: str) -> str:
    from html import escape

    return "".join(f"<p>{escape(line)}</p>" for line in text.split("\n") if line.strip())


def build_worker(settings: Settings, redis: Any, *, client: FreshserviceClient, knowledge: KnowledgeSearch | None,
                 modes: ModesConfig | None = None, consumer: str | None = None) -> TriageWorker:
    """A worker wired to the configured queue, proposal store, audit log, policy and trained bundle."""
    proposer = Proposer(client, knowledge=knowledge, bundle=BundleSource(settings.data_dir).get,
                        ranker=ranker_factory(settings, client, redis))
    return TriageWorker(
        client=client, queue=queue_from_settings(settings, redis), store=ProposalStore(redis), proposer=proposer,
        modes=modes if modes is not None else load_modes(settings.triage_modes_file),
        audit=AuditLog(redis, settings.data_dir / "audit" / "audit.jsonl", secrets=settings.secret_values()),
        gate=Policy(), summarise=resolution_summariser(settings), consumer=consumer or consumer_name(),
        concurrency=settings.triage_worker_concurrency)


def ranker_factory(settings: Settings, client: FreshserviceClient, redis: Any) -> Callable[[Any], Any]:
    """One :class:`AssigneeRanker` per trained bundle (its directory and workload caches live with it)."""
    from copilot.triage.assignee import AssigneeRanker, load_skills

    skills = load_skills(settings.triage_skills_file)
    rankers: dict[int, AssigneeRanker] = {}

    def for_bundle(bundle: Any) -> AssigneeRanker:
        if id(bundle) not in rankers:
            rankers.clear()
            rankers[id(bundle)] = AssigneeRanker(client, index=bundle.similar, skills=skills,
                                                 unavailable=settings.triage_unavailable(), redis=redis,
                                                 workload_ttl=settings.triage_workload_ttl_seconds)
        return rankers[id(bundle)]

    return for_bundle


async def retrain_forever(settings: Settings, client: FreshserviceClient, redis: Any,
                          stop: asyncio.Event | None = None, *, first: bool = True) -> None:
    """Retrain when the bundle is older than ``COPILOT_TRIAGE_RETRAIN_HOURS`` (or missing, with ``first``),
    checked hourly; one worker at a time (``copilot.triage.train.retrain_if_due`` holds a Redis lock).
    The worker embedded in the app passes ``first=False``: it never trains the first bundle inside the
    app process (``python -m copilot.triage train`` does, and the note says so)."""
    from copilot.triage.bundle import current_manifest
    from copilot.triage.train import retrain_if_due

    stop = stop or asyncio.Event()
    while not stop.is_set() and settings.triage_retrain_hours > 0:
        try:
            if first or current_manifest(settings.data_dir) is not None:
                await retrain_if_due(settings, client, redis=redis)
        except Exception as error:  # never take the worker down; the current bundle keeps serving
            log.warning("triage_retrain_skipped", error=type(error).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=RETRAIN_CHECK_SECONDS)


async def run_embedded(settings: Settings, knowledge: KnowledgeSearch | None) -> None:
    """The worker as a task of the app process (``COPILOT_TRIAGE_WORKER=embedded``)."""
    from copilot import store

    client = rate_budget.background_client(settings)
    redis = await store.get_redis(settings)
    retrain = asyncio.create_task(retrain_forever(settings, rate_budget.background_client(settings), redis, first=False))
    try:
        worker = build_worker(settings, redis, client=client, knowledge=knowledge)
        await worker.run()
    except ModesFileError as error:
        log.error("triage_worker_not_started", reason=str(error))
    finally:
        retrain.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await retrain
        await client.aclose()
