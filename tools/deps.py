"""Dependencies injected into every copilot tool, and the one wrapper every tool call goes through.

AutoGen has no RunContext, so tools are closures over a per-conversation ``ToolDeps`` (the
employee, the conversation state, clients). The wrapper times the call, writes the audit event,
records the activity for the UI, and turns Freshservice failures into plain words — the model
never sees a stack trace and the employee never sees an API error code.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ParamSpec, Protocol

from copilot.audit import AuditEvent, AuditLog
from copilot.business_hours import OfficeHours
from copilot.catalog import CatalogDirectory
from copilot.conversations import ConversationState
from copilot.identity import Employee
from copilot.policy import Policy
from tools.freshservice import (
    FreshserviceClient,
    FreshserviceError,
    NotFound,
    RateLimited,
    Unavailable,
    ValidationFailed,
)
from tools.results import ToolActivity, ToolResult, TurnOutput

P = ParamSpec("P")


class KnowledgeSearch(Protocol):
    async def search(self, question: str, k: int = 3) -> Any: ...


@dataclass
class ToolDeps:
    employee: Employee
    state: ConversationState
    client: FreshserviceClient
    catalog: CatalogDirectory
    policy: Policy
    audit: AuditLog
    knowledge: KnowledgeSearch | None = None
    office_hours: OfficeHours | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    out: TurnOutput = field(default_factory=TurnOutput)


def explain_failure(error: Exception) -> str:
    """What to tell the employee when Freshservice did not do what we asked."""
    if isinstance(error, RateLimited):
        return "The IT system is busy right now. Please try again in a minute; nothing was lost."
    if isinstance(error, Unavailable):
        if getattr(error, "request_may_have_succeeded", False):
            return ("The IT system did not confirm in time. I have kept your request and will not send it "
                    "twice; please check 'my tickets' in a minute before trying again.")
        return "I can't reach the IT system at the moment. Please try again shortly; nothing was sent."
    if isinstance(error, NotFound):
        return "I couldn't find that in the IT system."
    if isinstance(error, ValidationFailed):
        return "The IT system did not accept those details: " + str(error)
    return "Something went wrong while talking to the IT system. Please try again, or ask for a person."


def tool(deps: ToolDeps, title: str) -> Callable[[Callable[P, Awaitable[ToolResult]]], Callable[P, Awaitable[ToolResult]]]:
    """Wrap a tool: audit, timing, UI activity and friendly errors. ``title`` is its plain-words name."""

    def decorate(fn: Callable[P, Awaitable[ToolResult]]) -> Callable[P, Awaitable[ToolResult]]:
        @functools.wraps(fn)
        async def run(*args: P.args, **kwargs: P.kwargs) -> ToolResult:
            started = time.perf_counter()
            try:
                result = await fn(*args, **kwargs)
            except FreshserviceError as error:  # includes Unavailable / RateLimited (no status or 5xx/429)
                result = ToolResult(ok=False, message=explain_failure(error), data={"error": type(error).__name__})
            latency = round((time.perf_counter() - started) * 1000, 1)
            if not result.ok:
                deps.out.failed = True
            deps.out.activities.append(ToolActivity(tool=fn.__name__, title=title, ok=result.ok,
                                                    summary=result.message[:200], latency_ms=latency))
            await deps.audit.record(AuditEvent(
                conversation_id=deps.state.id, employee=deps.employee.email, tool=fn.__name__,
                arguments=dict(kwargs), outcome="ok" if result.ok else "error",
                result={"message": result.message, **{k: v for k, v in result.data.items() if k != "passages"}},
                latency_ms=latency,
            ))
            return result

        return run

    return decorate
