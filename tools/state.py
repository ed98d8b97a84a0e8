"""The part of a conversation the tools read and change: the request draft, writes waiting for the
employee's confirmation, the handover, the tickets mentioned, the transcript and the page context.

It is plain data (pydantic), saved to Redis by the engine after every turn as part of the
conversation (``copilot.conversations.ConversationState`` extends it with the engine's bookkeeping),
so a draft or a pending confirmation survives a reload, a restart or another replica.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.request_draft import RequestDraft
from tools.vocabulary import choice_labels

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
    reminded: bool = False  # an offer passed over once was asked again (never twice)
    created_at: datetime = Field(default_factory=utcnow)


class Handoff(BaseModel):
    ticket_id: int
    reason: str
    label: str = ""  # "SR-2" when the handover went onto the employee's own request; empty: the new INC

    since: datetime = Field(default_factory=utcnow)
    seen_conversation_ids: list[int] = Field(default_factory=list)  # agent replies already shown

    @property
    def name(self) -> str:
        return self.label or f"INC-{self.ticket_id}"


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
    question: str = ""  # what was asked (cut to 500 characters), so a thumbs-down can say what was not answered


class ShownEntry(BaseModel):
    """One thing the copilot just listed: an article, a catalog item, a ticket, an application."""

    id: str  # article url, item display id, ticket id, application name
    label: str
    cost: float | None = None  # a catalog item's price, for "the cheaper one"


def _item_entry(item: Any) -> ShownEntry:
    cost = getattr(item, "cost", None)
    return ShownEntry(id=str(item.display_id), label=item.name, cost=float(cost) if cost is not None else None)


class LastShown(BaseModel):
    """What the copilot showed last, so "the second one", "that one", "and Postman?" or "how long will it
    take?" can be resolved against it. Written by the tools that show things; read by the model."""

    kind: Literal["articles", "items", "tickets", "licence", "item", "ticket"]
    entries: list[ShownEntry] = Field(default_factory=list)
    subject: str = ""  # the application of a licence answer, the item of an item answer
    choices: dict[str, list[str]] = Field(default_factory=dict)  # an item's dropdowns: "the samsung then" picks one


MAX_PARKED = 3


class WorkflowState(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    draft: RequestDraft | None = None
    parked: list[RequestDraft] = Field(default_factory=list)  # drafts put aside by a topic switch, latest last
    last_shown: LastShown | None = None
    pending: dict[str, PendingAction] = Field(default_factory=dict)
    handoff: Handoff | None = None
    tickets: list[int] = Field(default_factory=list)
    last_ticket: int | None = None  # the ticket last described, for "who is it stuck with?"
    transcript: list[TranscriptEntry] = Field(default_factory=list)
    # Where the employee started the chat (from the host page: {"page": "/portal", "title": ...}); shown to IT
    # on handover, never to the model as instructions.
    context: dict[str, str] = Field(default_factory=dict)
    kb_shown: KbShown | None = None  # the last knowledge answer (thumbs-down offers its next best article)
    # The writes the last reply asked about (it offered their confirm buttons): a bare "yes" or "no" decides only
    # those, so "ok thanks" after an unrelated answer never files an offer made turns earlier. None: a state
    # saved before this was kept (every open write counts, as it did then).
    asked: list[str] | None = None

    def add(self, role: Role, text: str) -> None:
        self.transcript.append(TranscriptEntry(role=role, text=text))
        del self.transcript[:-MAX_TRANSCRIPT]

    def show(self, kind: str, entries: Sequence[tuple[object, str]], subject: str = "") -> None:
        """Remember what was just shown (a list or one thing) for references in the next message."""
        self.last_shown = LastShown.model_validate({"kind": kind, "subject": subject, "entries": [
            {"id": str(i), "label": label} for i, label in entries]})

    def show_items(self, items: Sequence[Any]) -> None:
        """Catalog items just listed to pick from, with their prices ("the cheaper one")."""
        self.last_shown = LastShown(kind="items", entries=[_item_entry(i) for i in items])

    def show_item(self, item: Any) -> None:
        """One catalog item just described or started, with its dropdowns' choices, so "the samsung then" or
        "the bigger mac, uk keyboard" right after the card starts it with those values."""
        choices = {str(f.label or f.name): labels for f in getattr(item, "custom_fields", None) or []
                   if (labels := choice_labels(f))}
        self.last_shown = LastShown(kind="item", entries=[_item_entry(item)], subject=item.name, choices=choices)

    def park(self, draft: RequestDraft) -> None:
        """Put an open draft aside (a topic switch); its pending confirmation, if any, is withdrawn."""
        for pending in self.open_pending():
            if pending.kind == "place_request" and pending.payload.get("draft_id") == draft.id:
                pending.status = "cancelled"
        self.parked = [d for d in self.parked if d.id != draft.id][-(MAX_PARKED - 1):] + [draft]

    def unpark(self, draft_id: str | None = None, item_name: str | None = None) -> RequestDraft | None:
        """Take a parked draft back (by id, by item name, or the latest), or None."""
        for draft in reversed(self.parked):
            if (draft_id is None or draft.id == draft_id) and (
                    item_name is None or draft.item_name.lower() == item_name.lower()):
                self.parked.remove(draft)
                return draft if draft.open else None
        return None

    def open_pending(self) -> list[PendingAction]:
        return [p for p in self.pending.values() if p.status == "pending"]

    def awaiting_decision(self) -> list[PendingAction]:
        """Writes a "yes" applies to: waiting for confirmation, or sent with an unknown outcome."""
        return [p for p in self.pending.values() if p.status in ("pending", "checking")]

    def asked_now(self) -> list[PendingAction]:
        """The open writes a "yes" or "no" in this message answers: those the last reply asked about, and any
        sent with an unknown outcome (its re-check is always the employee's to ask for)."""
        return [p for p in self.awaiting_decision()
                if self.asked is None or p.id in self.asked or p.status == "checking"]
