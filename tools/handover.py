"""Hand the conversation to a person: a ticket with the transcript, then notes while handed over."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from copilot.conversations import Handoff
from tools.deps import ToolDeps, tool
from tools.freshservice import TicketCreate
from tools.results import ToolResult
from tools.tickets import _html

AsyncTool = Callable[..., Awaitable[ToolResult]]
URGENT_LINE = "call the IT urgent line on extension 4444"


def transcript_html(deps: ToolDeps) -> str:
    rows = "\n".join(f"[{e.at:%Y-%m-%d %H:%M}] {e.role}: {e.text}" for e in deps.state.transcript)
    return "<pre>" + _html(rows) + "</pre>"


def context_html(deps: ToolDeps) -> str:
    """Where the employee was when they opened the chat (from the portal page), for the IT agent."""
    context = deps.state.context
    if not context:
        return ""
    return "<p>Opened from: " + _html(", ".join(f"{k}: {v}" for k, v in context.items())) + "</p>"


def handover_tools(deps: ToolDeps) -> list[AsyncTool]:
    @tool(deps, "Handed over to the IT team")
    async def escalate_to_human(reason: str, urgent: bool = False) -> ToolResult:
        """Hand the conversation to a person on the IT team, with the transcript and the reason."""
        return await escalate(deps, reason, urgent=urgent)

    @tool(deps, "Asked to rephrase")
    async def ask_to_rephrase(what_was_unclear: str = "") -> ToolResult:
        """Use when the employee's message cannot be understood at all; asks them to say it another way.
        Two such turns in a row bring in a person."""
        deps.out.failed = True  # counts towards the failed-turns escalation rule
        return ToolResult(ok=True, data={"unclear": what_was_unclear[:200]}, message=(
            "Sorry, I didn't understand that. Could you describe what you need in a sentence? For example: "
            "“my VPN won't connect” or “I need a new monitor”."))

    return [escalate_to_human, ask_to_rephrase]


async def escalate(deps: ToolDeps, reason: str, *, urgent: bool = False) -> ToolResult:
    """Create (or reuse) the handover ticket and mark the conversation as handed over."""
    state = deps.state
    if state.handoff is not None:
        ticket_id = state.handoff.ticket_id
        await deps.client.add_note(ticket_id, f"<p>Escalated again: {_html(reason)}</p>", private=False,
                                   idempotency_key=f"note-{uuid.uuid4().hex}")
    else:
        priority = 4 if urgent else 2
        subject = ("URGENT: " if urgent else "") + f"Copilot handover: {reason.strip()[:90] or 'employee asked for help'}"
        ticket = await deps.client.create_ticket(
            TicketCreate(requester_id=deps.employee.requester_id, subject=subject, status=2, priority=priority,
                         urgency=3 if urgent else 2, impact=2 if urgent else 1, source=4, category="Other",
                         description=f"<p>Reason: {_html(reason)}</p>{context_html(deps)}"
                                     f"<p>Conversation so far:</p>{transcript_html(deps)}"),
            idempotency_key=f"handover-{state.id}",
        )
        ticket_id = ticket.id
        state.handoff = Handoff(ticket_id=ticket_id, reason=reason)
        state.tickets.append(ticket_id)
    deps.out.ticket(ticket_id)
    deps.out.handoff = True
    hours = deps.office_hours
    now = deps.clock()
    if hours is None or hours.is_open(now):
        when = "The IT service desk is open now and has been notified; an agent will reply here or by email."
    else:
        when = (f"The service desk is closed right now; your ticket will be picked up {hours.describe_next_open(now)}. "
                f"If this can't wait (security incident, nobody can work), {URGENT_LINE}.")
    deps.out.offer("end_handover", "Back to the copilot")
    return ToolResult(message=f"I've handed this over to the IT team as **INC-{ticket_id}**. {when} "
                      "Anything you write here now is added to that ticket.",
                      data={"ticket_id": ticket_id, "urgent": urgent})
