"""Handover to a person, all in one place: escalate (a ticket with the transcript), relay what the
employee writes while handed over onto that ticket, show the IT agents' replies, and end it.

Every write here is audited with who, why and the ticket it touched, whether the model, a button, an
urgent word or an automatic rule started it.
"""

from __future__ import annotations

import re
from html import escape

from tools.actions import button, confirmed_write
from tools.context import AsyncTool, ToolContext, tool
from tools.freshservice import FreshserviceError, Ticket, TicketCreate
from tools.knowledge import shown_passage
from tools.results import ToolResult
from tools.state import Handoff, PendingAction
from tools.summary import problem_subject, summary_html
from tools.tickets import DONE_STATUSES, ticket_label


def transcript_html(ctx: ToolContext) -> str:
    rows = "\n".join(f"[{e.at:%Y-%m-%d %H:%M}] {e.role}: {e.text}" for e in ctx.state.transcript)
    return "<pre>" + escape(rows) + "</pre>"


def context_html(ctx: ToolContext) -> str:
    """Where the employee was when they opened the chat (from the portal page), for the IT agent."""
    context = ctx.state.context
    if not context:
        return ""
    return "<p>Opened from: " + escape(", ".join(f"{k}: {v}" for k, v in context.items())) + "</p>"


def handover_tools(ctx: ToolContext) -> list[AsyncTool]:
    @tool(ctx, "Handed over to the IT team")
    async def escalate_to_human(reason: str, urgent: bool = False) -> ToolResult:
        """Hand the conversation to a person on the IT team, with the transcript and the reason."""
        return await escalate(ctx, reason, urgent=urgent, trigger="model")

    @tool(ctx, "Asked to rephrase")
    async def ask_to_rephrase(what_was_unclear: str = "") -> ToolResult:
        """Use when the employee's message cannot be understood at all; asks them to say it another way.
        Two such turns in a row bring in a person."""
        ctx.out.failed = True  # counts towards the failed-turns escalation rule
        return ToolResult(ok=True, data={"unclear": what_was_unclear[:200]}, message=(
            "Sorry, I didn't understand that. Could you describe what you need in a sentence? For example: "
            "“my VPN won't connect” or “I need a new monitor”."))

    return [escalate_to_human, ask_to_rephrase]


def handover_reply(ctx: ToolContext, ticket_id: int, *, urgent: bool, label: str = "") -> str:
    """What the employee is told once the ticket exists: its number, whether it is treated as urgent, when a
    person will look, and — for urgent handovers, or when the desk is closed — how to reach one by phone.
    The phone line (``COPILOT_URGENT_CONTACT``) and the hours (Freshservice's business hours) are the IT
    team's configuration, never wording of ours."""
    hours = ctx.office_hours
    now = ctx.clock()
    open_now = hours is None or hours.is_open(now)
    schedule = f" Service desk hours: {hours.describe_week()}." if hours is not None else ""
    if urgent:
        desk = ("The service desk is open now and has been alerted." if open_now else
                "The service desk is closed right now, so don't wait for a reply here.")
        return (f"I've handed this over to the IT team as an **urgent** ticket, **INC-{ticket_id}**: it is treated as "
                f"top priority. {desk} If it can't wait, {ctx.urgent_contact}.{schedule} "
                "Anything you write here now is added to that ticket.")
    if hours is None or open_now:
        when = "The IT service desk is open now and has been notified; an agent will reply here or by email."
    else:
        when = (f"The service desk is closed right now; your ticket will be picked up {hours.describe_next_open(now)}. "
                f"If this can't wait (security incident, nobody can work), {ctx.urgent_contact}.")
    if label:  # the employee's own ticket, just described: the person picks it up there, no second ticket
        return f"I've passed this to the IT team on **{label}**, with our conversation. {when} Anything you write " \
               "here now is added to that ticket."
    return f"I've handed this over to the IT team as **INC-{ticket_id}**. {when} Anything you write here now is added " \
           "to that ticket."


async def ticket_just_described(ctx: ToolContext) -> Ticket | None:
    """The employee's own open ticket the copilot described last ("can someone chase this?" after its status):
    a handover then goes onto it rather than opening another ticket about the same thing."""
    shown = ctx.state.last_shown
    if shown is None or shown.kind != "ticket" or len(shown.entries) != 1 or not shown.entries[0].id.isdigit():
        return None
    try:
        ticket = await ctx.client.get_ticket(int(shown.entries[0].id))
    except FreshserviceError:
        return None  # not found or unreachable now: a new handover ticket, as without it
    if ticket.requester_id != ctx.employee.requester_id or ticket.status in DONE_STATUSES:
        return None
    return ticket


async def escalate(ctx: ToolContext, reason: str, *, urgent: bool = False, trigger: str = "model") -> ToolResult:
    """Create (or reuse) the handover ticket and mark the conversation as handed over.

    ``trigger`` says who asked: ``model``, ``button``, ``urgent_word`` or ``auto:<rule>`` (for the audit).
    """
    state = ctx.state
    again = state.handoff is not None
    onto: Ticket | None = None
    try:
        if state.handoff is None and not urgent:
            onto = await ticket_just_described(ctx)
        if state.handoff is not None:
            ticket_id = state.handoff.ticket_id
            await ctx.client.add_note(ticket_id, f"<p>Escalated again: {escape(reason)}</p>", private=False,
                                      idempotency_key=f"escalate-again-{state.id}-{len(state.transcript)}")
        elif onto is not None:
            note = await ctx.client.add_note(
                onto.id, f"<p><b>{escape(ctx.employee.name)} asked for a person about this ticket via the copilot."
                         f"</b></p>{summary_html(state.transcript, reason)}{context_html(ctx)}"
                         f"<p>Full conversation:</p>{transcript_html(ctx)}",
                private=False, idempotency_key=f"handover-{state.id}")
            ticket_id = onto.id
            # what is on the ticket already (our note, earlier replies) is not news from IT for this handover
            earlier = [c.id async for c in ctx.client.iter_conversations(ticket_id)]
            state.handoff = Handoff(ticket_id=ticket_id, reason=reason, label=ticket_label(onto),
                                    seen_conversation_ids=[note.id, *earlier])
        else:
            priority = 4 if urgent else 2
            # The subject says what the problem is (the employee's words), not why the copilot hands over.
            fallback = reason.strip()[:60] if not reason.startswith("auto-escalation") else "employee needs help"
            problem = problem_subject(ctx.state.transcript, fallback=fallback or "employee asked for help")
            subject = ("URGENT: " if urgent else "") + f"Copilot handover: {problem}"
            ticket = await ctx.client.create_ticket(
                TicketCreate(requester_id=ctx.employee.requester_id, subject=subject, status=2, priority=priority,
                             urgency=3 if urgent else 2, impact=2 if urgent else 1, source=4, category="Other",
                             description=f"{summary_html(ctx.state.transcript, reason)}{context_html(ctx)}"
                                         f"<p>Full conversation:</p>{transcript_html(ctx)}"),
                idempotency_key=f"handover-{state.id}",
            )
            ticket_id = ticket.id
            state.handoff = Handoff(ticket_id=ticket_id, reason=reason)
            state.tickets.append(ticket_id)
    except FreshserviceError as error:
        await ctx.audit.record(ctx.event("escalate_to_human", outcome="error",
                                         arguments={"reason": reason, "urgent": urgent, "trigger": trigger},
                                         result={"error": type(error).__name__}))
        raise
    await ctx.audit.record(ctx.event("escalate_to_human", outcome="escalated",
                                     arguments={"reason": reason, "urgent": urgent, "trigger": trigger},
                                     result={"ticket_id": ticket_id, "again": again, "existing": onto is not None}))
    ctx.out.ticket(ticket_id)
    ctx.out.handoff = True
    ctx.out.offer("end_handover", "Back to the copilot")
    return ToolResult(message=handover_reply(ctx, ticket_id, urgent=urgent,
                                             label=state.handoff.label if state.handoff else ""),
                      data={"ticket_id": ticket_id, "urgent": urgent})


@confirmed_write("urgent_escalation")
async def urgent_escalation(ctx: ToolContext, pending: PendingAction) -> ToolResult:
    """An urgent report (``copilot.policy.Policy.urgent_match``) handed over as a priority-4 ticket,
    after the employee's yes unless policy makes ``urgent_escalation`` automatic."""
    if pending.status == "done" and pending.result:
        return ToolResult(message=pending.result["message"], data=pending.result)
    result = await escalate(ctx, str(pending.payload.get("reason") or "urgent report"), urgent=True,
                            trigger="urgent_word")
    pending.status = "done"
    pending.result = {**result.data, "message": result.message}
    return result


@button("escalate")
async def escalate_button(ctx: ToolContext, _argument: str) -> ToolResult:
    """The "Talk to the IT team" button."""
    return await escalate(ctx, "employee asked for a person", trigger="button")


@button("end_handover")
async def end_handover(ctx: ToolContext, _argument: str) -> ToolResult:
    """The "Back to the copilot" button: the ticket stays open with IT, the copilot answers again."""
    handoff = ctx.state.handoff
    if handoff is None:
        return ToolResult(ok=False, message="That button is no longer active. What would you like to do?")
    ctx.state.handoff = None
    return ToolResult(message=f"You're back with the copilot. {handoff.name} stays open with the IT team.")


async def relay(ctx: ToolContext, text: str, *, turn: int) -> ToolResult:
    """Add what the employee wrote while handed over to the handover ticket, once per turn."""
    handoff = ctx.state.handoff
    if handoff is None:
        raise RuntimeError("relay() needs a handed-over conversation")
    note = await ctx.client.add_note(
        handoff.ticket_id, f"<p><b>{escape(ctx.employee.name)} via the copilot:</b></p><p>{escape(text)}</p>",
        private=False, idempotency_key=f"note-{ctx.state.id}-{turn}",
    )
    handoff.seen_conversation_ids.append(note.id)
    ctx.out.ticket(handoff.ticket_id)
    await ctx.audit.record(ctx.event("add_handover_note", outcome="ok",
                                     arguments={"ticket_id": handoff.ticket_id, "turn": turn},
                                     result={"note_id": note.id}))
    return ToolResult(message=f"Added to {handoff.name}; the IT team will see it.")


async def agent_replies(ctx: ToolContext) -> list[str]:
    """Replies IT agents wrote on the handover ticket since the employee last looked."""
    handoff = ctx.state.handoff
    if handoff is None:
        return []
    shown: list[str] = []
    try:
        async for conversation in ctx.client.iter_conversations(handoff.ticket_id):
            if conversation.id in handoff.seen_conversation_ids or conversation.private:
                continue
            handoff.seen_conversation_ids.append(conversation.id)
            if conversation.user_id == ctx.employee.requester_id or conversation.incoming:
                continue
            shown.append(f"**IT team** on {handoff.name}: {(conversation.body_text or '').strip()}")
    except FreshserviceError:
        return []
    return shown


# "what should I do while I wait?", "anything I can do in the meantime?" — asked of the copilot, not the agent.
MEANWHILE = re.compile(r"\b(?:while\s+i\s+wait|in\s+the\s+meantime|meanwhile|until\s+then|till\s+then|before\s+they|"
                       r"what\s+(?:should|can|do|must)\s+i\s+do|anything\s+i\s+(?:should|can|must)\s+do|"
                       r"what\s+now|what\s+do\s+i\s+do\s+now|"
                       # the same in the other languages employees write in (es, pt, de, fr, it, nl, pl)
                       r"mientras\s+(?:tanto|espero)|enquanto\s+(?:isso|espero)|in\s+der\s+zwischenzeit|währenddessen|"
                       r"solange\s+ich\s+warte|en\s+attendant|pendant\s+ce\s+temps|nel\s+frattempo|mentre\s+aspetto|"
                       r"ondertussen|intussen|w\s+międzyczasie)\b", re.I)
GENERIC_REASONS = re.compile(r"^(?:employee asked for a person|auto-escalation)", re.I)


async def meanwhile(ctx: ToolContext, question: str, about: str = "") -> str:
    """While handed over, "what should I do while I wait?" is answered from the knowledge base about what
    the handover is for (``about``, the employee's report in English; else the handover's reason), as well
    as passed to the IT team. "" when it isn't such a question or nothing confident is found."""
    handoff = ctx.state.handoff
    if handoff is None or not MEANWHILE.search(question) or ctx.knowledge is None or not ctx.knowledge.ready:
        return ""
    topic = about or re.sub(r"^Employee reported:\s*", "", handoff.reason)
    if not topic or GENERIC_REASONS.match(topic):
        return ""
    found = await ctx.knowledge.search(topic, k=2)
    if not found.articles or found.tier not in ("confident", "plausible"):
        return ""
    best = found.articles[0]
    if found.tier == "confident" and found.answer:
        ctx.out.cite(best.title, best.url)
        return f"While you wait — from “{best.title}”:\n\n{shown_passage(best.passages)}\n\nFull article: {best.url}"
    for article in found.articles:
        ctx.out.cite(article.title, article.url)
    return "While you wait, these articles may help:\n\n" + "\n".join(f"- {a.title}: {a.url}" for a in found.articles)

