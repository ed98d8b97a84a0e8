"""A proposed Problem record: what the recurring-issues job suggests, and what an IT agent decided.

The job (:mod:`copilot.insights.recurring`) saves one ``ProblemProposal`` per growing cluster of
tickets; it waits in the reviewer queue (``/console/problems``) until an agent approves it (then the
Problem is created in Freshservice) or dismisses it. Shadow mode, the default, never creates anything
without that approval.

Exactly once: a Redis lock per proposal serialises two clicks or two agents; inside it a proposal that
is no longer pending (or failed, which may be retried) is left alone; the create carries an
idempotency key (``FreshserviceClient.create_problem``: a marker in the description, looked for before
sending and after a lost answer), so a retry after an unknown outcome finds the Problem that landed
instead of creating a second one. Every decision is audited with the agent's email.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from html import escape
from typing import Any, Literal

import httpx
import redis.asyncio as aioredis
from pydantic import BaseModel, Field

from tools.context import AuditEvent, AuditSink, Outcome
from tools.freshservice import FreshserviceClient, FreshserviceError, ProblemCreate, Unavailable

KEY = "copilot:insights:problem:"
QUEUE = "copilot:insights:problems:queue"  # sorted set of proposal ids awaiting an agent, by creation time
ALL = "copilot:insights:problems:all"
LOCK_KEY = "copilot:insights:problem-lock:"
LOCK_SECONDS = 60
DUE_DAYS = 7  # the Problem's due date: a week after it is created


class ProblemStatus(StrEnum):
    PENDING = "pending"  # waiting for an agent
    CREATED = "created"  # approved; the Problem exists in Freshservice (``problem_id``)
    DISMISSED = "dismissed"  # an agent said it is not a problem; nothing was created
    FAILED = "failed"  # the create failed (``error``); approving again retries with the same key


class LinkedTicket(BaseModel):
    id: int
    subject: str
    url: str
    created_at: datetime


class Evidence(BaseModel):
    """Why the cluster was flagged, in numbers a person can check."""

    keywords: list[str] = Field(default_factory=list)  # the words that set the cluster apart ("vpn", "globalprotect")
    peak: int  # tickets and conversations in the busiest window
    window_hours: float  # the width of that window
    window_start: datetime
    expected: float  # how many such items a window that wide usually has (from the baseline)
    baseline_items: int  # similar items in the baseline period
    baseline_days: float
    p_value: float  # chance of at least ``peak`` items if the usual rate held (Poisson)
    places: dict[str, int] = Field(default_factory=dict)  # department or location -> tickets, when known
    conversations: int = 0  # copilot conversations in the cluster
    examples: list[str] = Field(default_factory=list)  # up to three ticket subjects or questions


class ProblemDecision(BaseModel):
    by: str  # agent email, or "autonomous"
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    action: Literal["approve", "dismiss"]
    comment: str = ""


class ProblemProposal(BaseModel):
    id: str
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str
    evidence: Evidence
    tickets: list[LinkedTicket] = Field(default_factory=list)
    members: list[str] = Field(default_factory=list)  # "ticket:<id>" / "conversation:<id>": how a rerun recognises it
    mode: Literal["shadow", "autonomous"] = "shadow"
    status: ProblemStatus = ProblemStatus.PENDING
    decisions: list[ProblemDecision] = Field(default_factory=list)
    problem_id: int | None = None
    problem_url: str = ""
    error: str | None = None
    attempted_at: datetime | None = None  # first create attempt: where a retry looks for a landed Problem
    posted_to_chat: bool = False

    @property
    def idempotency_key(self) -> str:
        return f"problem-proposal-{self.id}"


class ProblemProposalStore:
    """Problem proposals in Redis: one JSON value each and two time-ordered indexes."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def save(self, proposal: ProblemProposal) -> None:
        score = proposal.created_at.timestamp()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(KEY + proposal.id, proposal.model_dump_json())
            pipe.zadd(ALL, {proposal.id: score})
            if proposal.status in (ProblemStatus.PENDING, ProblemStatus.FAILED):
                pipe.zadd(QUEUE, {proposal.id: score})
            else:
                pipe.zrem(QUEUE, proposal.id)
            await pipe.execute()

    async def get(self, proposal_id: str) -> ProblemProposal | None:
        raw = await self._redis.get(KEY + proposal_id)
        return ProblemProposal.model_validate(json.loads(raw)) if raw else None

    async def pending(self, limit: int = 100) -> list[ProblemProposal]:
        """Proposals waiting for an agent, oldest first."""
        return await self._load(await self._redis.zrange(QUEUE, 0, limit - 1))

    async def recent(self, limit: int = 100) -> list[ProblemProposal]:
        """Every proposal, newest first."""
        return await self._load(await self._redis.zrevrange(ALL, 0, limit - 1))

    async def _load(self, ids: Sequence[Any]) -> list[ProblemProposal]:
        keys = [KEY + (i.decode() if isinstance(i, bytes) else str(i)) for i in ids]
        if not keys:
            return []
        values = await self._redis.mget(keys)
        return [ProblemProposal.model_validate(json.loads(v)) for v in values if v]


def problem_description(proposal: ProblemProposal) -> str:
    """The Problem's HTML description: the evidence and the linked tickets (all text escaped)."""
    e = proposal.evidence
    lines = ["<p>Proposed by the IT copilot's recurring-issue check and approved in the reviewer queue.</p>",
             f"<p>{e.peak} similar tickets or conversations within {e.window_hours:g} h from "
             f"{escape(e.window_start.strftime('%Y-%m-%d %H:%M UTC'))}; usually about {e.expected:.2f} in a window that "
             f"wide ({e.baseline_items} in the previous {e.baseline_days:g} days).</p>"]
    if e.keywords:
        lines.append(f"<p>Common words: {escape(', '.join(e.keywords))}</p>")
    if e.places:
        lines.append("<p>Where: " + escape(", ".join(f"{place} ({count})" for place, count in e.places.items())) + "</p>")
    if e.conversations:
        lines.append(f"<p>Copilot conversations on the same topic: {e.conversations}</p>")
    if proposal.tickets:
        items = "".join(f'<li><a href="{escape(t.url)}">#{t.id}</a> {escape(t.subject)}</li>' for t in proposal.tickets)
        lines.append(f"<p>Linked tickets:</p><ul>{items}</ul>")
    return "".join(lines)


Result = Literal["created", "dismissed", "failed", "skipped", "not_found"]


class ProblemOutcome(BaseModel):
    id: str
    result: Result
    message: str
    problem_id: int | None = None


_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


async def decide_problem(proposal_id: str, action: Literal["approve", "dismiss"], *, reviewer: str,
                         requester_id: int, redis: aioredis.Redis, store: ProblemProposalStore,
                         client: FreshserviceClient, audit: AuditSink, base_url: str, comment: str = "",
                         now: datetime | None = None) -> ProblemOutcome:
    """Approve (create the Problem, once) or dismiss one proposal for ``reviewer``; ``requester_id`` is the
    Problem's requester (the approving agent)."""
    token = secrets.token_hex(8)
    if not await redis.set(LOCK_KEY + proposal_id, token, nx=True, ex=LOCK_SECONDS):
        return ProblemOutcome(id=proposal_id, result="skipped",
                              message="Someone else (or another click) is deciding this proposal right now.")
    try:
        proposal = await store.get(proposal_id)
        if proposal is None:
            return ProblemOutcome(id=proposal_id, result="not_found", message="This proposal no longer exists.")
        if proposal.status not in (ProblemStatus.PENDING, ProblemStatus.FAILED):
            last = proposal.decisions[-1] if proposal.decisions else None
            who = f" by {last.by}" if last is not None else ""
            return ProblemOutcome(id=proposal_id, result="skipped", problem_id=proposal.problem_id,
                                  message=f"Already decided ({proposal.status.value}{who}); nothing was created again.")
        proposal.decisions.append(ProblemDecision(by=reviewer, action=action, comment=comment[:1000]))
        if action == "dismiss":
            proposal.status = ProblemStatus.DISMISSED
            await store.save(proposal)
            await _audit(audit, proposal, reviewer, "problem_dismissed", "cancelled")
            return ProblemOutcome(id=proposal_id, result="dismissed", message="Dismissed; no Problem was created.")
        return await _create(proposal, reviewer=reviewer, requester_id=requester_id, store=store, client=client,
                             audit=audit, base_url=base_url, now=now or datetime.now(UTC))
    finally:
        await redis.eval(_RELEASE, 1, LOCK_KEY + proposal_id, token)


async def _create(proposal: ProblemProposal, *, reviewer: str, requester_id: int, store: ProblemProposalStore,
                  client: FreshserviceClient, audit: AuditSink, base_url: str, now: datetime) -> ProblemOutcome:
    if proposal.attempted_at is None:
        proposal.attempted_at = now
        await store.save(proposal)  # a crash after the POST still knows where to look for the Problem
    body = ProblemCreate(subject=proposal.subject[:255], description=problem_description(proposal),
                         requester_id=requester_id, status=1, impact=2, priority=2,
                         due_by=(now + timedelta(days=DUE_DAYS)).replace(microsecond=0))
    outcome: Outcome = "confirmed"
    try:
        problem = await client.create_problem(body, idempotency_key=proposal.idempotency_key,
                                              attempted_since=proposal.attempted_at)
    except FreshserviceError as error:
        proposal.status = ProblemStatus.FAILED
        unknown = isinstance(error, Unavailable) and error.request_may_have_succeeded
        proposal.error = ("Freshservice did not answer whether the Problem was created; approving again checks "
                          "first and never creates a second one." if unknown
                          else getattr(error, "message", None) or str(error))
        outcome = "unknown" if unknown else "error"
    else:
        proposal.status = ProblemStatus.CREATED
        proposal.problem_id = problem.id
        proposal.problem_url = f"{base_url.rstrip('/')}/a/problems/{problem.id}"
        proposal.error = None
    await store.save(proposal)
    await _audit(audit, proposal, reviewer, "problem_create", outcome)
    if proposal.status == ProblemStatus.FAILED:
        return ProblemOutcome(id=proposal.id, result="failed", message=f"Not created: {proposal.error}")
    return ProblemOutcome(id=proposal.id, result="created", problem_id=proposal.problem_id,
                          message=f"Problem #{proposal.problem_id} created in Freshservice.")


async def _audit(audit: AuditSink, proposal: ProblemProposal, who: str, tool: str, outcome: Outcome) -> None:
    await audit.record(AuditEvent(
        conversation_id=f"insights:{proposal.id}", employee=who, tool=tool, outcome=outcome,
        arguments={"proposal": proposal.id, "subject": proposal.subject, "mode": proposal.mode,
                   "tickets": [t.id for t in proposal.tickets], "idempotency_key": proposal.idempotency_key},
        result={"status": proposal.status.value, "problem_id": proposal.problem_id, "error": proposal.error}))


# -- chat webhook ---------------------------------------------------------------------------------------

def chat_message(proposal: ProblemProposal, console_url: str) -> dict[str, str]:
    """The incoming-webhook body: ``{"text": …}`` is what both Slack and Teams incoming webhooks take."""
    e = proposal.evidence
    where = f" ({', '.join(list(e.places)[:2])})" if e.places else ""
    return {"text": (f"Possible recurring issue: {proposal.subject}{where}. {e.peak} tickets or conversations within "
                     f"{e.window_hours:g} h, usually about {e.expected:.1f}. Review the proposed Problem: {console_url}")}


async def post_to_chat(url: str, proposal: ProblemProposal, console_url: str, *,
                       transport: httpx.AsyncBaseTransport | None = None) -> bool:
    """Post the proposal to a chat incoming webhook; False (and nothing raised) when the chat refused it."""
    try:
        async with httpx.AsyncClient(timeout=10, transport=transport) as http:
            response = await http.post(url, json=chat_message(proposal, console_url))
        return response.status_code < 300
    except httpx.HTTPError:
        return False
