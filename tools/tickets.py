"""Ticket tools: the employee's own tickets and requests, their status, and new incidents.

An employee sees only tickets they raised or that were raised for them. Asking about anyone
else's ticket gets exactly the answer a non-existent ticket gets, so nothing leaks.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from html import escape
from typing import Any

from tools.actions import confirmed_write, run_write
from tools.context import AsyncTool, ToolContext, WriteMode, tool
from tools.freshservice import NotFound, Ticket, TicketCreate
from tools.patterns import ticket_reference
from tools.results import ToolResult
from tools.state import PendingAction

STATUS_WORDS = {2: "Open — the IT team has it", 3: "Pending — waiting on something before IT can continue",
                4: "Resolved", 5: "Closed"}
PRIORITY_WORDS = {1: "low", 2: "medium", 3: "high", 4: "urgent"}
URGENCY = {"low": 1, "medium": 2, "high": 3}
OPEN_STATUSES = {2, 3}
NOT_FOUND = "I couldn't find a ticket {ref} among your tickets and requests. Please check the number."


def ticket_label(ticket: Ticket) -> str:
    prefix = "SR" if (ticket.type or "").lower() == "service request" else "INC"
    return f"{prefix}-{ticket.id}"


def status_words(ticket: Ticket) -> str:
    if ticket.status in STATUS_WORDS:
        return STATUS_WORDS[ticket.status]
    return "In progress" + (f" ({ticket.status_name})" if getattr(ticket, "status_name", None) else "")


def _when(value: datetime | None) -> str:
    return value.strftime("%a %d %b %H:%M UTC") if value else "—"


def owns(ticket: Ticket, requester_id: int) -> bool:
    return requester_id in (ticket.requester_id, ticket.requested_for_id)


def ticket_tools(ctx: ToolContext) -> list[AsyncTool]:
    me = ctx.employee

    async def own_tickets() -> list[Ticket]:
        found: dict[int, Ticket] = {}
        query = f"requester_id:{me.requester_id}"
        async for ticket in ctx.client.filter_tickets(query):
            found[ticket.id] = ticket
        return sorted(found.values(), key=lambda t: t.updated_at or t.created_at or datetime.min.replace(tzinfo=UTC), reverse=True)

    async def waiting_on(ticket: Ticket) -> str | None:
        if (ticket.type or "").lower() != "service request":
            return None
        approvals = await ctx.client.list_approvals(ticket.id)
        pending = [a for a in approvals if a.approval_status and a.approval_status.id == 0]
        if pending:
            first = min(pending, key=lambda a: (a.level or 0, a.created_at))
            return f"waiting for approval from {first.approver_name} since {_when(first.created_at)}"
        rejected = [a for a in approvals if a.approval_status and a.approval_status.id == 2]
        if rejected:
            return f"rejected by {rejected[0].approver_name}" + (f": “{rejected[0].latest_remark}”" if rejected[0].latest_remark else "")
        return "approved" if approvals else None

    def pickup_note() -> str:
        hours = ctx.office_hours
        if hours is None or hours.is_open(ctx.clock()):
            return ""
        return f" The service desk is closed now; open tickets are picked up {hours.describe_next_open(ctx.clock())}."

    @tool(ctx, "Looked up your tickets")
    async def my_tickets(include_closed: bool = False) -> ToolResult:
        """List the employee's own tickets and service requests with their status in plain words."""
        tickets = await own_tickets()
        shown = [t for t in tickets if include_closed or t.status in OPEN_STATUSES or t.status > 5][:10]
        if not shown:
            extra = " (including closed ones)" if include_closed else " that are still open"
            return ToolResult(message=f"You have no tickets{extra}.", data={"tickets": []})
        lines, rows = [], []
        for ticket in shown:
            approval = await waiting_on(ticket)
            line = f"• **{ticket_label(ticket)}** {ticket.subject} — {status_words(ticket)}"
            if approval:
                line += f"; {approval}"
            if ticket.status in OPEN_STATUSES and ticket.due_by:
                line += f"; due {_when(ticket.due_by)}"
            lines.append(line)
            rows.append({"id": ticket.id, "label": ticket_label(ticket), "subject": ticket.subject,
                         "status": ticket.status, "approval": approval})
            ctx.out.ticket(ticket.id)
        return ToolResult(message="Your tickets:\n" + "\n".join(lines) + pickup_note(), data={"tickets": rows})

    @tool(ctx, "Checked a ticket")
    async def ticket_status(ticket: str) -> ToolResult:
        """Status of one of the employee's tickets, by reference such as INC-42, SR-7 or 42."""
        reference = ticket_reference(ticket or "", bare=True)
        ref = ticket.strip() or "?"
        if reference is None:
            return ToolResult(ok=True, message="Which ticket? Give me its number, like INC-42 or SR-7.")
        try:
            found = await ctx.client.get_ticket(reference[1])
        except NotFound:
            return ToolResult(ok=True, message=NOT_FOUND.format(ref=ref), data={"found": False})
        if not owns(found, me.requester_id) or found.deleted:
            return ToolResult(ok=True, message=NOT_FOUND.format(ref=ref), data={"found": False})
        ctx.out.ticket(found.id)
        parts = [f"**{ticket_label(found)}** “{found.subject}”: {status_words(found)}."]
        approval = await waiting_on(found)
        if approval:
            parts.append(f"It is {approval}.")
        if found.responder_id is None and found.status in OPEN_STATUSES:
            parts.append("It isn't assigned to an agent yet.")
        if found.status in OPEN_STATUSES and found.due_by:
            parts.append(f"Due by {_when(found.due_by)}.")
        data: dict[str, Any] = {"found": True, "id": found.id, "status": found.status, "approval": approval}
        return ToolResult(message=" ".join(parts) + (pickup_note() if found.status in OPEN_STATUSES else ""), data=data)

    @tool(ctx, "Prepared an incident")
    async def create_incident(summary: str, details: str = "", urgency: str = "medium") -> ToolResult:
        """Report a problem to IT as an incident ticket (the employee confirms before it is created)."""
        level = URGENCY.get(urgency.lower().strip(), 2)
        excerpt = [f"{e.role}: {e.text}" for e in ctx.state.transcript[-6:]]
        subject = summary.strip().rstrip(".")[:120] or "Problem reported through the IT copilot"
        description = (f"<p>{escape(details or summary)}</p><p><b>Reported via Portal Copilot.</b> Recent conversation:</p>"
                       "<pre>" + escape("\n".join(excerpt)) + "</pre>")
        payload = {"subject": subject, "description": description, "urgency": level, "priority": level,
                   "impact": 1, "status": 2, "source": 4, "category": "Other"}
        pending = PendingAction(kind="create_incident", payload=payload, idempotency_key=f"inc-{uuid.uuid4().hex}",
                                summary=[f"Subject: {subject}", f"Urgency: {PRIORITY_WORDS[level]}"])
        if ctx.gate.mode_for("create_incident") is WriteMode.AUTO:
            return await run_write(ctx, pending, why="policy: create_incident is auto")
        ctx.state.pending[pending.id] = pending
        ctx.out.offer(f"confirm:{pending.id}", "Create ticket")
        ctx.out.offer(f"cancel:{pending.id}", "Cancel")
        return ToolResult(message=f"I'll open an incident for IT:\n• Subject: {subject}\n• Urgency: {PRIORITY_WORDS[level]}\n"
                          "Shall I create it?", data={"pending_action": pending.id, "subject": subject})

    return [my_tickets, ticket_status, create_incident]


@confirmed_write("create_incident")
async def create_confirmed_incident(ctx: ToolContext, pending: PendingAction) -> ToolResult:
    """Create a confirmed incident once; a repeated confirmation returns the same ticket."""
    if pending.status == "done" and pending.result:
        return ToolResult(message=pending.result["message"], data=pending.result)
    ticket = await ctx.client.create_ticket(
        TicketCreate(requester_id=ctx.employee.requester_id, **pending.payload),
        idempotency_key=pending.idempotency_key,
    )
    ctx.out.ticket(ticket.id)
    ctx.state.tickets.append(ticket.id)
    message = f"Created **INC-{ticket.id}** “{ticket.subject}”. The IT team will pick it up; you'll get email updates."
    pending.status = "done"
    pending.result = {"ticket_id": ticket.id, "message": message}
    return ToolResult(message=message, data=pending.result)
