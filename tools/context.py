"""What every tool gets, declared here and provided by ``copilot/``, and the wrapper every tool call runs in.

Tools never import the copilot core. They declare what they need as small typed protocols and
models — the employee, the conversation's workflow state, a write gate, an audit sink, the
knowledge search — and the engine builds one ``ToolContext`` per turn from its real parts (the way
pydantic-ai injects typed dependencies into tools). The wrapper times each call, writes the audit
event, records the activity for the UI, and turns Freshservice failures into plain words: the model
never sees a stack trace and the employee never sees an API error code.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, ParamSpec, Protocol

from pydantic import BaseModel, Field

from tools.approvals import ApprovalRules
from tools.business_hours import OfficeHours
from tools.catalog import CatalogDirectory
from tools.employee import Employee
from tools.freshservice import (
    FreshserviceClient,
    FreshserviceError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Unavailable,
    ValidationFailed,
    WriteClaims,
)
from tools.results import ToolActivity, ToolResult, TurnOutput
from tools.state import WorkflowState

P = ParamSpec("P")
URGENT_CONTACT = "call the IT urgent line on extension 4444"  # the default of COPILOT_URGENT_CONTACT
AsyncTool = Callable[..., Awaitable[ToolResult]]  # a tool function as the model sees it


class WriteMode(StrEnum):
    """How a write runs: at once, after the employee confirms the exact payload, or after an IT review."""

    AUTO = "auto"
    CONFIRM = "confirm"
    REVIEW = "review"


class WriteGate(Protocol):
    """Decides the mode of each write action (``copilot.policy.Policy``)."""

    def mode_for(self, action: str) -> WriteMode: ...


Outcome = Literal["ok", "error", "proposed", "confirmed", "cancelled", "refused", "escalated", "unknown"]


class AuditEvent(BaseModel):
    conversation_id: str
    employee: str  # the signed-in employee's email, bound by the server
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    outcome: Outcome = "ok"
    result: Any = None
    latency_ms: float | None = None
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class AuditSink(Protocol):
    """Where audit events go (``copilot.audit.AuditLog``: a Redis stream and a JSONL file)."""

    async def record(self, event: AuditEvent) -> None: ...


class KbArticle(BaseModel):
    """One knowledge-base article found for a question, with the passages that matched."""

    id: str
    title: str
    url: str
    passages: list[str] = Field(default_factory=list)
    score: float = 0.0


KbTier = Literal["confident", "plausible", "none"]


class KbAnswer(BaseModel):
    """What ``search_kb`` needs: the best articles and how far to trust them.

    ``tier``: ``confident`` — answer from the first article (``answer`` is True); ``plausible`` — the
    articles may help, suggest them and offer a person; ``none`` — nothing relevant, say so."""

    articles: list[KbArticle]
    confidence: float
    answer: bool
    threshold: float
    tier: KbTier = "none"


class KnowledgeSearch(Protocol):
    """The local knowledge index (``copilot.knowledge.sync.KnowledgeBase``); answering makes no API call."""

    @property
    def ready(self) -> bool: ...

    async def search(self, question: str, k: int = 3) -> KbAnswer: ...


@dataclass
class ToolContext:
    """Everything one turn's tools may use. Identity comes from here, never from tool arguments."""

    employee: Employee
    state: WorkflowState
    client: FreshserviceClient
    catalog: CatalogDirectory
    gate: WriteGate
    audit: AuditSink
    approvals: ApprovalRules = field(default_factory=ApprovalRules)
    knowledge: KnowledgeSearch | None = None
    claims: WriteClaims | None = None  # who placed which service request (copilot.services: Redis)
    office_hours: OfficeHours | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    urgent_contact: str = URGENT_CONTACT  # how to reach a person when it can't wait (a setting)
    out: TurnOutput = field(default_factory=TurnOutput)

    def event(self, tool: str, *, arguments: dict[str, Any] | None = None, outcome: Outcome = "ok",
              result: Any = None, latency_ms: float | None = None) -> AuditEvent:
        """An audit event of this conversation and employee."""
        return AuditEvent(conversation_id=self.state.id, employee=self.employee.email, tool=tool,
                          arguments=arguments or {}, outcome=outcome, result=result, latency_ms=latency_ms)


UNKNOWN_OUTCOME = ("I couldn't confirm whether IT received it; I'll check before sending it again. "
                   "Say “yes” (or press the button again) in a minute and I'll check first.")


IT_BUSY = "The IT system is busy right now. Please try again in a minute; nothing was lost."


def explain_failure(error: Exception) -> str:
    """What to tell the employee when Freshservice did not do what we asked."""
    if isinstance(error, RateLimited):
        return IT_BUSY
    if isinstance(error, Unavailable):
        if error.request_may_have_succeeded or isinstance(error, OutcomeUnknown):
            return UNKNOWN_OUTCOME
        return "I can't reach the IT system at the moment. Please try again shortly; nothing was sent."
    if isinstance(error, NotFound):
        return "I couldn't find that in the IT system."
    if isinstance(error, ValidationFailed):
        return "The IT system did not accept those details: " + str(error)
    return "Something went wrong while talking to the IT system. Please try again, or ask for a person."


async def guarded(ctx: ToolContext, call: Callable[[], Awaitable[ToolResult]]) -> ToolResult:
    """Run a tool-side step outside the model (a button, a confirmed write) with the same plain-words errors."""
    try:
        return await call()
    except FreshserviceError as error:
        ctx.out.failed = True
        data: dict[str, Any] = {"error": type(error).__name__}
        if isinstance(error, Unavailable) and error.request_may_have_succeeded:
            data["outcome_unknown"] = True
            if isinstance(error, OutcomeUnknown) and error.attempted_at is not None:
                data["attempted_at"] = error.attempted_at.isoformat()
        return ToolResult(ok=False, message=explain_failure(error), data=data)



def tool(ctx: ToolContext, title: str) -> Callable[[Callable[P, Awaitable[ToolResult]]], Callable[P, Awaitable[ToolResult]]]:
    """Wrap a tool: audit, timing, UI activity and friendly errors. ``title`` is its plain-words name."""

    def decorate(fn: Callable[P, Awaitable[ToolResult]]) -> Callable[P, Awaitable[ToolResult]]:
        @functools.wraps(fn)
        async def run(*args: P.args, **kwargs: P.kwargs) -> ToolResult:
            started = time.perf_counter()
            result = await guarded(ctx, lambda: fn(*args, **kwargs))
            latency = round((time.perf_counter() - started) * 1000, 1)
            if not result.ok:
                ctx.out.failed = True
            ctx.out.activities.append(ToolActivity(tool=fn.__name__, title=title, ok=result.ok,
                                                   summary=result.message[:200], latency_ms=latency))
            await ctx.audit.record(ctx.event(
                fn.__name__, arguments=dict(kwargs), outcome="ok" if result.ok else "error", latency_ms=latency,
                result={"message": result.message, **{k: v for k, v in result.data.items() if k != "passages"}}))
            return result

        return run

    return decorate
