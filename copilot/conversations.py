"""Conversation state in Redis: who it belongs to, the workflow state, pending confirmations.

The state is one pydantic document per conversation, saved after every turn with a TTL, so a
conversation survives a page reload, a worker restart or another replica picking it up. A Redis
lock per conversation keeps two turns of the same conversation from running at once, across
processes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Literal

import redis.asyncio as aioredis
from pydantic import BaseModel, Field

from copilot.workflows.request_draft import RequestDraft

KEY_PREFIX = "copilot:conv:"
EMPLOYEE_INDEX_PREFIX = "copilot:employee-convs:"
MAX_TRANSCRIPT = 60
LOCK_TIMEOUT_SECONDS = 120
LOCK_WAIT_SECONDS = 60


def _now() -> datetime:
    return datetime.now(UTC)


class TranscriptEntry(BaseModel):
    role: Literal["employee", "copilot", "agent", "system"]
    text: str
    at: datetime = Field(default_factory=_now)


class PendingAction(BaseModel):
    """A write waiting for the employee's confirmation (the exact payload they were shown)."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:10])
    kind: str  # the policy action name, e.g. "place_request", "create_incident"
    summary: list[str]
    payload: dict[str, Any]
    idempotency_key: str
    status: Literal["pending", "done", "cancelled", "failed"] = "pending"
    result: dict[str, Any] | None = None
    created_at: datetime = Field(default_factory=_now)


class Handoff(BaseModel):
    ticket_id: int
    reason: str
    since: datetime = Field(default_factory=_now)
    seen_conversation_ids: list[int] = Field(default_factory=list)  # agent replies already shown


class ConversationState(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    employee_email: str
    requester_id: int
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)
    turns: int = 0
    failed_turns: int = 0
    frustrated_turns: int = 0
    draft: RequestDraft | None = None
    pending: dict[str, PendingAction] = Field(default_factory=dict)
    handoff: Handoff | None = None
    tickets: list[int] = Field(default_factory=list)
    transcript: list[TranscriptEntry] = Field(default_factory=list)
    team_state: dict[str, Any] | None = None  # AutoGen save_state(), bounded by the model context
    # Where the employee started the chat (from the host page: {"page": "/portal", "title": ...}); shown to IT
    # on handover, never to the model as instructions.
    context: dict[str, str] = Field(default_factory=dict)

    def add(self, role: Literal["employee", "copilot", "agent", "system"], text: str) -> None:
        self.transcript.append(TranscriptEntry(role=role, text=text))
        del self.transcript[:-MAX_TRANSCRIPT]

    def open_pending(self) -> list[PendingAction]:
        return [p for p in self.pending.values() if p.status == "pending"]


class ConversationLocked(RuntimeError):
    """Another turn of this conversation is still running."""


class ConversationStore:
    def __init__(self, redis: aioredis.Redis, *, ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds

    async def create(self, *, employee_email: str, requester_id: int,
                     context: dict[str, str] | None = None) -> ConversationState:
        state = ConversationState(employee_email=employee_email, requester_id=requester_id, context=context or {})
        await self.save(state)
        return state

    async def load(self, conversation_id: str) -> ConversationState | None:
        raw = await self._redis.get(KEY_PREFIX + conversation_id)
        return ConversationState.model_validate_json(raw) if raw else None

    async def load_for(self, conversation_id: str, employee_email: str) -> ConversationState | None:
        """The conversation if it belongs to this employee; otherwise None, as if it did not exist."""
        state = await self.load(conversation_id)
        if state is None or state.employee_email.lower() != employee_email.lower():
            return None
        return state

    async def save(self, state: ConversationState) -> None:
        state.updated_at = _now()
        index = EMPLOYEE_INDEX_PREFIX + state.employee_email.lower()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(KEY_PREFIX + state.id, state.model_dump_json(), ex=self._ttl)
            pipe.zadd(index, {state.id: state.updated_at.timestamp()})
            pipe.expire(index, self._ttl)
            await pipe.execute()

    async def list_ids(self, employee_email: str, limit: int = 20) -> list[str]:
        ids = await self._redis.zrevrange(EMPLOYEE_INDEX_PREFIX + employee_email.lower(), 0, limit - 1)
        return [i.decode() if isinstance(i, bytes) else i for i in ids]

    @asynccontextmanager
    async def lock(self, conversation_id: str) -> AsyncIterator[None]:
        """Hold the conversation for one turn, across workers; waits for a running turn to finish."""
        lock = self._redis.lock(
            f"{KEY_PREFIX}{conversation_id}:lock", timeout=LOCK_TIMEOUT_SECONDS, blocking_timeout=LOCK_WAIT_SECONDS
        )
        if not await lock.acquire():
            raise ConversationLocked(conversation_id)
        try:
            yield
        finally:
            try:
                await lock.release()
            except Exception:  # expired while the turn ran: nothing left to release
                pass
