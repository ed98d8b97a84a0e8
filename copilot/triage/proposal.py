"""A triage proposal: what the copilot suggests for one new ticket, and what a reviewer decided.

One ``Proposal`` per ticket (keyed by ticket id and the event that produced it). It carries the
evidence a reviewer needs (confidence per field, similar past tickets, KB links, a reply draft),
the rollout mode it was made in, and the decision. The store keeps it in Redis so every replica and
worker sees the same queue.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

import redis.asyncio as aioredis
from pydantic import BaseModel, Field

#: Ticket fields triage proposes; the names are the Freshservice ticket fields they update.
TRIAGE_FIELDS = ("type", "category", "sub_category", "item_category", "priority", "urgency", "impact", "group_id",
                 "responder_id")


class RolloutMode(StrEnum):
    SHADOW = "shadow"  # note and queue only; nothing on the ticket changes
    ASSIST = "assist"  # a reviewer approves, edits or rejects; only then the ticket is updated
    AUTONOMOUS = "autonomous"  # fields above their shipped threshold are applied at once; the rest is reviewed


class ProposalStatus(StrEnum):
    PENDING = "pending"  # waiting for a reviewer
    SHADOW = "shadow"  # recorded for measurement only (shadow mode); a reviewer may still grade it
    APPLIED = "applied"  # the approved (or autonomous) fields were written to the ticket
    REJECTED = "rejected"  # the reviewer rejected the proposal; nothing was written
    FAILED = "failed"  # the write failed for good (the reason is in ``error``); it may be retried


class FieldGuess(BaseModel):
    """The proposed value of one ticket field."""

    value: str | int
    label: str = ""  # what a person reads (group or agent name, priority word); defaults to str(value)
    confidence: float = Field(ge=0, le=1)
    auto: bool = False  # above the field's shipped threshold: autonomous mode applies it without review


class AssigneeGuess(BaseModel):
    agent_id: int
    name: str
    score: float
    reasons: list[str] = Field(default_factory=list)  # "resolved 4 similar tickets", "2 open tickets", "on shift"


class SimilarTicket(BaseModel):
    ticket_id: int
    subject: str
    url: str
    similarity: float
    resolution: str = ""  # how it was resolved (from its resolution note or last agent reply)


class KbLink(BaseModel):
    title: str
    url: str
    score: float = 0.0


class Decision(BaseModel):
    """What a reviewer (or autonomous mode) decided, and what was written."""

    by: str  # reviewer email, or "autonomous"
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    action: Literal["approve", "edit", "reject", "auto"]
    fields: dict[str, str | int] = Field(default_factory=dict)  # the values actually written
    comment: str = ""


class Proposal(BaseModel):
    id: str  # "<ticket_id>:<event>:<updated_at>": the dedup key of the webhook that produced it
    ticket_id: int
    subject: str = ""
    requester_email: str | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    model_version: str = ""
    mode: RolloutMode = RolloutMode.SHADOW
    fields: dict[str, FieldGuess] = Field(default_factory=dict)
    assignees: list[AssigneeGuess] = Field(default_factory=list)
    similar: list[SimilarTicket] = Field(default_factory=list)
    articles: list[KbLink] = Field(default_factory=list)
    reply_draft: str = ""
    note_id: int | None = None  # the private note written on the ticket
    status: ProposalStatus = ProposalStatus.PENDING
    decisions: list[Decision] = Field(default_factory=list)
    error: str | None = None


KEY = "copilot:triage:proposal:"
QUEUE = "copilot:triage:queue"  # sorted set of proposal ids awaiting a reviewer, by creation time
ALL = "copilot:triage:all"  # sorted set of every proposal id, by creation time


class ProposalStore:
    """Proposals in Redis: one JSON value per proposal and two time-ordered indexes."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def save(self, proposal: Proposal) -> None:
        score = proposal.created_at.timestamp()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(KEY + proposal.id, proposal.model_dump_json())
            pipe.zadd(ALL, {proposal.id: score})
            if proposal.status in (ProposalStatus.PENDING, ProposalStatus.FAILED):
                pipe.zadd(QUEUE, {proposal.id: score})
            else:
                pipe.zrem(QUEUE, proposal.id)
            await pipe.execute()

    async def get(self, proposal_id: str) -> Proposal | None:
        raw = await self._redis.get(KEY + proposal_id)
        return Proposal.model_validate(json.loads(raw)) if raw else None

    async def pending(self, limit: int = 100, offset: int = 0) -> list[Proposal]:
        """Proposals waiting for a reviewer, oldest first."""
        return await self._load(await self._redis.zrange(QUEUE, offset, offset + limit - 1))

    async def recent(self, limit: int = 100) -> list[Proposal]:
        """Every proposal, newest first (for the console's history and the acceptance figures)."""
        return await self._load(await self._redis.zrevrange(ALL, 0, limit - 1))

    async def _load(self, ids: Sequence[Any]) -> list[Proposal]:
        keys = [KEY + (i.decode() if isinstance(i, bytes) else str(i)) for i in ids]
        if not keys:
            return []
        values = await self._redis.mget(keys)
        return [Proposal.model_validate(json.loads(v)) for v in values if v]


def proposed_values(proposal: Proposal) -> dict[str, str | int]:
    """The fields an unchanged approval writes: every proposed field, and the first suggested
    assignee as the agent when the model proposed no agent itself."""
    values: dict[str, str | int] = {name: guess.value for name, guess in proposal.fields.items()}
    if "responder_id" not in values and proposal.assignees:
        values["responder_id"] = proposal.assignees[0].agent_id
    return values
