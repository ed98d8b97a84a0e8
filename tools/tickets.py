"""Ticket tools: the employee's own tickets and requests, their status, and new incidents.

An employee sees only tickets they raised or that were raised for them. Asking about anyone
else's ticket gets exactly the answer a non-existent ticket gets, so nothing leaks.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from html import escape, unescape
from typing import Any

from tools.actions import button, confirmed_write, run_write
from tools.context import AsyncTool, ToolContext, WriteMode, tool
from tools.freshservice import FreshserviceError, NotFound, RequestedItem, ServiceItem, Ticket, TicketCreate
from tools.knowledge import best_reading, shown_passage
from tools.patterns import ticket_reference
from tools.requests import approval_chain
from tools.results import ToolResult
from tools.state import PendingAction
from tools.summary import continues_problem, incident_subject, summary_html
from tools.ticket_match import Candidate, Query, carries_no_topic, hit, rank, read_query, words_of

STATUS_WORDS = {2: "Open — the IT team has it", 3: "Pending — waiting on something before IT can continue",
                4: "Resolved", 5: "Closed"}
PRIORITY_WORDS = {1: "low", 2: "medium", 3: "high", 4: "urgent"}
URGENCY = {"low": 1, "medium": 2, "high": 3}
OPEN_STATUSES = {2, 3}
DONE_STATUSES = {4, 5}  # Resolved, Closed (custom statuses above 5 are neither)
MAX_SEARCHED = 30  # the most recently updated tickets a question about "my X" is matched against
MAX_CHOICES = 5
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
        ctx.state.show("tickets", [(t.id, f"{ticket_label(t)} {t.subject}") for t in shown])
        note = pickup_note().strip()  # its own paragraph: the last line ends without a full stop
        return ToolResult(message="Your tickets:\n" + "\n".join(lines) + (f"\n\n{note}" if note else ""),
                          data={"tickets": rows})

    async def candidates(tickets: list[Ticket]) -> dict[int, Candidate]:
        """Each ticket with the words it can be found by; the employee's own name is left out (it is
        in every "Request for <name> : <item>" subject)."""
        mine = set(words_of(f"{me.first_name} {me.last_name}"))
        found: dict[int, Candidate] = {}
        for ticket in tickets[:MAX_SEARCHED]:
            text = [ticket.subject or "", ticket.type or "", status_words(ticket), ticket.category or "",
                    ticket.sub_category or ""]
            is_request = (ticket.type or "").lower() == "service request"
            awaiting = False
            if is_request:
                for requested in await ctx.client.list_requested_items(ticket.id):
                    item = await ctx.catalog.item(requested.service_item_id) if requested.service_item_id else None
                    text.append(item.name if item else "")
                approvals = await ctx.client.list_approvals(ticket.id)
                text += [a.approver_name or "" for a in approvals]
                awaiting = any(a.approval_status is not None and a.approval_status.id == 0 for a in approvals)
            words = set(words_of(" ".join(text))) - mine
            found[ticket.id] = Candidate(ticket.id, words, is_request, ticket.status in OPEN_STATUSES,
                                         status=ticket.status, awaiting_approval=awaiting)
        return found

    async def by_application(query: Query, searched: list[Candidate]) -> list[Candidate]:
        """Tickets about the kind of thing a named application is ("my GlobalProtect problem": GlobalProtect is
        a Network application, the ticket is filed under Network / VPN), when no ticket names it itself."""
        topics: list[str] = []
        for word in query.unmatched:
            found = await ctx.catalog.find_application(word)
            if found is None or not found[0].category or not hit(word, set(words_of(found[0].name))):
                continue
            topics += [w for w in words_of(found[0].category) if not carries_no_topic(w)]
        if not topics:
            return []
        return rank(Query(content=topics, wants_request=query.wants_request, wants_incident=query.wants_incident,
                          wants_open=query.wants_open, state=query.state), searched)

    async def requested(found: Ticket) -> list[tuple[RequestedItem, ServiceItem]]:
        """The catalog items a service request asks for, each with its line (quantity), read once per answer."""
        lines = await ctx.client.list_requested_items(found.id)
        items = [(line, await ctx.catalog.item(line.service_item_id) if line.service_item_id else None) for line in lines]
        return [(line, item) for line, item in items if item is not None]

    def delivery_after(lines: list[tuple[RequestedItem, ServiceItem]]) -> str:
        """", usually within about 72 hours (3 days)": the catalog's delivery time of the item requested."""
        hours = [int(item.delivery_time) for _, item in lines if item.delivery_time]
        if not hours:
            return ""
        most = max(hours)
        return f", usually within about {most} hours" + (f" ({most // 24} days)" if most >= 48 and most % 24 == 0 else "")

    async def handled_by(found: Ticket) -> str:
        """ "It is with Desktop Support (Elena Garcia)." — the group and agent working on it, as the portal shows
        them; nothing when neither is set or they cannot be read."""
        group = agent = ""
        try:
            if found.group_id is not None:
                group = (await ctx.client.get_group(found.group_id)).name
            if found.responder_id is not None:
                person = await ctx.client.get_agent(found.responder_id)
                agent = " ".join(p for p in (person.first_name, person.last_name) if p)
        except FreshserviceError:
            return ""
        if group and agent:
            return f"It is with {group} ({agent})."
        if group or agent:
            return f"It is with {group or agent}" + (", not yet picked up by an agent." if group else ".")
        return ""

    async def why_approver(lines: list[tuple[RequestedItem, ServiceItem]], who: str) -> str:
        """ "Why Priya Raman: head of Engineering; requests from $500 need it." — the catalog's rule that put the
        pending approver on this request ("why does Priya need to sign it?"), when it can be told."""
        for line, item in lines:
            chain = await approval_chain(ctx, item.name, (item.cost or Decimal(0)) * (line.quantity or 1))
            if (rule := next((a for a in chain if a.who == who), None)) is not None:
                return f"Why {who}: {rule.why}."
        return ""

    async def describe(found: Ticket) -> ToolResult:
        """One ticket of the employee's: status, approvals (who, since when) and what happens next."""
        ctx.out.ticket(found.id)
        ctx.state.last_ticket = found.id
        ctx.state.show("ticket", [(found.id, f"{ticket_label(found)} {found.subject}")], subject=found.subject or "")
        parts = [f"**{ticket_label(found)}** “{found.subject}”: {status_words(found)}."]
        approval = await waiting_on(found)
        approvals = await ctx.client.list_approvals(found.id) if (found.type or "").lower() == "service request" else []
        decided = sorted(approvals, key=lambda a: a.level or 0)
        for record in decided:
            status_id = record.approval_status.id if record.approval_status else 0
            if status_id == 1:
                parts.append(f"{record.approver_name} approved it ({_when(record.updated_at or record.created_at)}).")
        waiting = approval is not None and approval.startswith("waiting")
        who = approval.removeprefix("waiting for approval from ").split(" since ")[0] if approval and waiting else ""
        lines = await requested(found) if waiting else []
        if approval:
            parts.append(f"It is {approval}.")
            if waiting and (why := await why_approver(lines, who)):
                parts.append(why)
        open_now = found.status in OPEN_STATUSES
        if open_now and waiting:
            parts.append(f"Next: once {who} approves, the IT team fulfils it{delivery_after(lines)}. You can "
                         "remind them; I can't approve on their behalf.")
        elif open_now and (found.type or "").lower() == "service request" and approval == "approved":
            parts.append("Next: it is approved, so the IT team is fulfilling it.")
        elif found.responder_id is None and open_now and found.group_id is None:
            parts.append("It isn't assigned to an agent yet.")
        if open_now and (handler := await handled_by(found)):
            parts.append(handler)
        if open_now and found.due_by:
            parts.append(f"Due by {_when(found.due_by)}.")
        if found.status == 3:
            parts.append("Pending usually means it is waiting on you (an answer or a confirmation) or on a supplier: "
                         "check your email for the IT team's latest message about it and reply to it.")
        if found.status == 4:
            parts.append("If it isn't actually fixed, reply to the resolution email and it reopens.")
        data: dict[str, Any] = {"found": True, "id": found.id, "status": found.status, "approval": approval}
        return ToolResult(message=" ".join(parts) + (pickup_note() if open_now else ""), data=data)

    async def by_content(text: str) -> ToolResult:
        """The employee's own ticket(s) the question is about: one → its status; several → ask with
        buttons; none → say so and offer to request the thing."""
        query = read_query(text)
        tickets = [t for t in await own_tickets() if not t.deleted and owns(t, me.requester_id)]
        pool = await candidates(tickets)
        last = ctx.state.last_ticket
        everything = [c for c in pool.values() if not (query.other and c.ticket_id == last)]  # "and the other one?"
        searched = everything
        just_shown = ctx.state.last_shown
        if just_shown is not None and just_shown.kind == "tickets" and not query.content and not query.other:
            # "who is it stuck with?" right after "which of your tickets do you mean?": one of those just listed
            ids = {e.id for e in just_shown.entries}
            searched = [c for c in searched if str(c.ticket_id) in ids] or searched
            last = last if str(last) in ids else None
        best = rank(query, searched)
        if not best and query.state and searched is not everything:
            best = rank(query, everything)  # "the resolved one" after a list of open tickets: among all of them
        if not best and query.content:
            best = await by_application(query, everything)
        if last in pool and query.pronoun and not query.other and (not query.content or not best):
            # "who is it stuck with?", "can you chase him?": nothing else found, so the ticket just described
            best = [pool[last]]
        elif not query.content and len(best) > 1:
            best = [c for c in best if c.is_open] or best
        still_open = [c for c in best if c.is_open]
        if len(best) > 1 and len(still_open) == 1 and query.content:
            # "my vpn ticket" with one open and older closed ones: the open one, the others named in a line
            others = [t for t in tickets if t.id in {c.ticket_id for c in best} and t.id != still_open[0].ticket_id]
            answer = await describe(next(t for t in tickets if t.id == still_open[0].ticket_id))
            earlier = "; ".join(f"{ticket_label(t)} — {status_words(t).split(' — ')[0]}" for t in others[:MAX_CHOICES])
            return ToolResult(ok=answer.ok, data=answer.data,
                              message=f"{answer.message}\n\n(You also had {earlier}.)")
        if len(best) == 1:
            return await describe(next(t for t in tickets if t.id == best[0].ticket_id))
        if len(best) > 1:
            shown = [t for t in tickets if t.id in {c.ticket_id for c in best}][:MAX_CHOICES]
            for ticket in shown:
                ctx.out.offer(f"ticket:{ticket.id}", f"{ticket_label(ticket)} {ticket.subject}"[:60])
            lines = [f"• **{ticket_label(t)}** {t.subject} — {status_words(t)}" for t in shown]
            ctx.state.show("tickets", [(t.id, f"{ticket_label(t)} {t.subject}") for t in shown])
            return ToolResult(message="Which of your tickets do you mean?\n" + "\n".join(lines),
                              data={"found": True, "choices": [t.id for t in shown]})
        noun = "request" if query.wants_request or not query.wants_incident else "ticket"
        about = f" about {query.topic}" if query.topic else ""
        message = f"I couldn't find a {noun} of yours{about}."
        if not tickets:
            message += " You don't have any tickets or requests with IT."
        if query.topic:
            matches = await ctx.catalog.find_items(query.topic)
            if matches:
                item = matches[0][0]
                ctx.out.offer(f"start:{item.display_id}", f"Request {item.name}")
                ctx.state.show_item(item)  # "ok, how do I order one?"
                message += f" If you'd like to ask for one, I can start a “{item.name}” request."
            else:
                message += " If something isn't working, I can report it to IT for you."
                if tickets:  # nothing to request by that name either: show what they do have
                    listed = await my_tickets()
                    message += "\n\n" + listed.message
        return ToolResult(ok=True, message=message, data={"found": False, "topic": query.topic})

    @tool(ctx, "Checked a ticket")
    async def ticket_status(ticket: str) -> ToolResult:
        """Status of one of the employee's tickets: by reference such as INC-42, SR-7 or 42, or by what it is
        about in the employee's words ("my monitor request", "the vpn problem")."""
        reference = ticket_reference(ticket or "", bare=True)
        ref = ticket.strip() or "?"
        if reference is None:
            if not (ticket or "").strip():
                return ToolResult(ok=True, message="Which ticket? Give me its number, like INC-42 or SR-7.")
            return await by_content(ticket)
        try:
            found = await ctx.client.get_ticket(reference[1])
        except NotFound:
            return ToolResult(ok=True, message=NOT_FOUND.format(ref=ref), data={"found": False})
        if not owns(found, me.requester_id) or found.deleted:
            return ToolResult(ok=True, message=NOT_FOUND.format(ref=ref), data={"found": False})
        return await describe(found)

    @tool(ctx, "Prepared an incident")
    async def create_incident(summary: str, details: str = "", urgency: str = "medium") -> ToolResult:
        """Report a problem to IT as an incident ticket (the employee confirms before it is created)."""
        level = URGENCY.get(urgency.lower().strip(), 2)
        offered = next((p for p in reversed(ctx.state.open_pending()) if p.kind == "create_incident"), None)
        kept = ""
        if offered is not None and continues_problem(details or summary):
            # "it still doesn't work" while the offer is open: the same problem, described further
            offered.status = "cancelled"
            kept = str(offered.payload.get("subject") or "")
            details = " ".join(part for part in (first_paragraph(str(offered.payload.get("description", ""))),
                                                 details or "") if part)
            level = max(level, int(offered.payload.get("urgency", level)))
        excerpt = [f"{e.role}: {e.text}" for e in ctx.state.transcript[-6:]]
        subject = kept or incident_subject(summary, ctx.state.transcript)
        description = (f"<p>{escape(details or summary)}</p>"
                       f"{summary_html(ctx.state.transcript, 'The employee reported a problem and confirmed the incident.')}"
                       "<p><b>Reported via Portal Copilot.</b> Recent conversation:</p>"
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
        fix = "" if kept else await known_fix(ctx, details or summary)
        return ToolResult(message=f"{fix}I'll open an incident for IT:\n• Subject: {subject}\n• Urgency: "
                          f"{PRIORITY_WORDS[level]}\nShall I create it?",
                          data={"pending_action": pending.id, "subject": subject, "known_fix": bool(fix)})

    return [my_tickets, ticket_status, create_incident]


@button("ticket")
async def show_ticket(ctx: ToolContext, ticket_id: str) -> ToolResult:
    """A "which ticket do you mean?" button: that ticket's status, if it is still the employee's."""
    tools = {fn.__name__: fn for fn in ticket_tools(ctx)}
    if not ticket_id.isdigit():
        return ToolResult(ok=False, message="That button is no longer active. Which ticket do you mean?")
    return await tools["ticket_status"](ticket=f"#{ticket_id}")


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


FIX_CHARS = 450  # a tip before the incident offer, not the whole article: the link has the rest


async def known_fix(ctx: ToolContext, problem: str) -> str:
    """What an article the index is *confident* about says for this problem ("Acrobat says trial expired": sign
    out and in again), shown before the incident offer so the employee can try it first; "" otherwise (the
    index not ready or not sure: the offer alone, no guess)."""
    if ctx.knowledge is None or not ctx.knowledge.ready:
        return ""
    found = await best_reading(ctx.knowledge, problem)
    if not found.answer or not found.articles or not (passage := shown_passage(found.articles[0].passages, FIX_CHARS)):
        return ""
    best = found.articles[0]
    ctx.out.cite(best.title, best.url)
    return (f"This may fix it — from “{best.title}”:\n\n{passage}\n\nFull article: {best.url}\n\n"
            "If it doesn't, ")


def first_paragraph(html: str) -> str:
    """The employee's own words an incident description opens with (``create_incident`` writes them first)."""
    match = re.match(r"<p>(.*?)</p>", html, re.S)
    return unescape(match.group(1)) if match else ""
