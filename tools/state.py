"""The part of a conversation the tools read and change: the request draft, writes waiting for the
employee's confirmation, the handover, the tickets mentioned, the transcript and the page context.

It is plain data (pydantic), saved to Redis by the engine after every turn as part of the
conversation (``copilot.conversations.ConversationState`` extends it with the engine's bookkeeping),
so a draft or a pending confirmation survives a reload, a restart or another replica.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.request_draft import RequestDraft

MAX_TRANSCRIPT = 60
Role = Literal["employee", "copilot", "agent", "system"]


def utcnow() -> datetime:
    """Now, in UTC: every timestamp of the conversation state."""
    return datetime.now(UTC)


class TranscriptEntry(BaseModel):
    role: Role
    text: str
    at: datetime = Field(default_factory=utcnow)


class PendingAction(BaseModel):
    """A write waiting for the employee's confirmation (the exact payload they were shown).

    ``checking``: it was sent, and whether it landed is unknown (the answer was lost and the lookup
    could not settle it). It is locked: a later "yes" or the button re-checks by its key
    (``attempted_at`` bounds the search) and sends again, with the same key, only once the check
    proves the first attempt did not land.
    """

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:10])
    kind: str  # the write's action name, e.g. "place_request", "create_incident" (see tools.actions)
    summary: list[str]
    payload: dict[str, Any]
    idempotency_key: str
    status: Literal["pending", "checking", "done", "cancelled", "failed"] = "pending"
    result: dict[str, Any] | None = None
    attempted_at: datetime | None = None  # the first attempt whose outcome is unknown
    created_at: datetime = Field(default_factory=utcnow)


class Handoff(BaseModel):
    ticket_id: int
    reason: str
    since: datetime = Field(default_factory=utcnow)
    seen_conversation_ids: list[int] = Field(default_factory=list)  # agent replies already shown


class KbAlternative(BaseModel):
    """An article the last knowledge answer ranked below the one it showed: offered on a thumbs-down."""

    title: str
    url: str
    passage: str = ""


class KbShown(BaseModel):
    """The last knowledge answer of the conversation, so a thumbs-down can offer the next best article."""

    title: str
    url: str
    alternatives: list[KbAlternative] = Field(default_factory=list)


class WorkflowState(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    draft: RequestDraft | None = None
    pending: dict[str, PendingAction] = Field(default_factory=dict)
    handoff: Handoff | None = None
    tickets: list[int] = Field(default_factory=list)
    last_ticket: int | None = None  # the ticket last described, for "who is it stuck with?"
    transcript: list[TranscriptEntry] = Field(default_factory=list)
    # Where the employee started the chat (from the host page: {"page": "/portal", "title": ...}); shown to IT
    # on handover, never to the model as instructions.
    context: dict[str, str] = Field(default_factory=dict)
    kb_shown: KbShown | None = None  # the last knowledge answer (thumbs-down offers its next best article)

    def add(self, role: Role, text: str) -> None:
        self.transcript.append(TranscriptEntry(role=role, text=text))
        del self.transcript[:-MAX_TRANSCRIPT]

    def open_pending(self) -> list[PendingAction]:
        return [p for p in self.pending.values() if p.status == "pending"]

    def awaiting_decision(self) -> list[PendingAction]:
        """Writes a "yes" applies to: waiting for confirmation, or sent with an unknown outcome."""
        return [p for p in self.pending.values() if p.status in ("pending", "checking")]
