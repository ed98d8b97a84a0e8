"""Conversation state in Redis: who it belongs to, the workflow state, pending confirmations.

The state is one pydantic document per conversation, saved after every turn with a TTL, so a
conversation survives a page reload, a worker restart or another replica picking it up. A Redis
lock per conversation keeps two turns of the same conversation from running at once, across
processes. The lock lives ``LOCK_TTL_SECONDS`` and the running turn renews it every third of that
while it works, so a long turn keeps it and a crashed worker's lock frees itself within the TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from pydantic import Field

from tools.state import WorkflowState, utcnow

KEY_PREFIX = "copilot:conv:"
EMPLOYEE_INDEX_PREFIX = "copilot:employee-convs:"
LOCK_TTL_SECONDS = 30.0  # a crashed holder's lock frees after this; a live turn keeps renewing it
LOCK_WAIT_SECONDS = 5  # a second message waits this long for the running turn, then gets "still working"


class ConversationState(WorkflowState):
    """One conversation as saved in Redis: the tools' workflow state plus the engine's bookkeeping."""

    employee_email: str
    requester_id: int
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    turns: int = 0
    failed_turns: int = 0
    frustrated_turns: int = 0
    team_state: dict[str, Any] | None = None  # AutoGen save_state(), bounded by the model context
    language: str | None = None  # the employee's language, last told apart (copilot.language.identify)
    language_notices: list[str] = Field(default_factory=list)  # languages already told "answers are in English"


class ConversationLocked(RuntimeError):
    """Another turn of this conversation is still running."""


class ConversationStore:
    def __init__(self, redis: aioredis.Redis, *, ttl_seconds: int, lock_ttl: float = LOCK_TTL_SECONDS,
                 lock_wait: float = LOCK_WAIT_SECONDS) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._lock_ttl = lock_ttl
        self._lock_wait = lock_wait

    @staticmethod
    def lock_key(conversation_id: str) -> str:
        return f"{KEY_PREFIX}{conversation_id}:lock"

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
        state.updated_at = utcnow()
        index = EMPLOYEE_INDEX_PREFIX + state.employee_email.lower()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(KEY_PREFIX + state.id, state.model_dump_json(), ex=self._ttl)
            pipe.zadd(index, {state.id: state.updated_at.timestamp()})
            pipe.expire(index, self._ttl)
            await pipe.execute()

    async def list_ids(self, employee_email: str, limit: int = 20) -> list[str]:
        ids = await self._redis.zrevrange(EMPLOYEE_INDEX_PREFIX + employee_email.lower(), 0, limit - 1)
        return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]

    @asynccontextmanager
    async def lock(self, conversation_id: str) -> AsyncIterator[None]:
        """Hold the conversation for one turn, across workers; waits for a running turn to finish."""
        lock = self._redis.lock(self.lock_key(conversation_id), timeout=self._lock_ttl,
                                blocking_timeout=self._lock_wait, sleep=min(0.1, self._lock_wait / 10))
        if not await lock.acquire():
            raise ConversationLocked(conversation_id)

        async def keep_alive() -> None:
            while True:
                await asyncio.sleep(self._lock_ttl / 3)
                await lock.reacquire()  # back to the full TTL; fails only if the lock was lost

        renewer = asyncio.create_task(keep_alive())
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await renewer
            with contextlib.suppress(Exception):  # lost (Redis restarted, or expired): nothing to release
                await lock.release()
