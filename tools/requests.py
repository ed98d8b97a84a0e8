"""Service-catalog request tools: a durable draft, form questions, review, confirm, submit.

The draft lives in the conversation state (Redis), not in the model's memory; every answer is
validated against the item's form; nothing is placed until the employee confirms the exact
fields, and the draft's idempotency key makes a double confirmation place one request.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from tools.actions import button, confirmed_write
from tools.approvals import preview_chain
from tools.context import AsyncTool, ToolContext, WriteMode, tool
from tools.freshservice import PlaceRequest, ServiceItem
from tools.request_draft import Choice, DraftClosed, DraftField, InvalidAnswer, RequestDraft, Stage
from tools.results import ToolResult
from tools.state import PendingAction

ASKABLE_TYPES = {"custom_text", "custom_paragraph", "custom_dropdown", "custom_multi_select_dropdown",
                 "custom_checkbox", "custom_number", "custom_decimal", "custom_date", "custom_url"}


def form_of(item: ServiceItem) -> list[DraftField]:
    """The fields an employee fills in on the portal, in form order."""
    fields: list[DraftField] = []
    for raw in sorted(item.custom_fields or [], key=lambda f: f.position or 0):
        options = raw.field_options
        shown = getattr(options, "displayed_to_requester", None) if options is not None else None
        if raw.field_type not in ASKABLE_TYPES or raw.deleted or str(shown).lower() == "false":
            continue
        choices = [Choice(label=str(c[0]), value=str(c[1] if len(c) > 1 else c[0])) for c in raw.choices or [] if c]
        fields.append(DraftField(name=raw.name, label=raw.label or raw.name, field_type=raw.field_type,
                                required=bool(raw.required), choices=choices, description=raw.description))
    return fields


def _cost(item: ServiceItem) -> Decimal | None:
    try:
        return Decimal(str(item.cost)) if item.cost not in (None, "") else None
    except InvalidOperation:
        return None


def question_for(draft: RequestDraft) -> str:
    field = draft.current_field
    if field is None:
        return ""
    hint = f" Options: {', '.join(c.label for c in field.choices)}." if field.choices else ""
    if field.field_type == "custom_checkbox":
        hint = " (yes or no)"
    elif field.field_type == "custom_date":
        hint = " (a date, e.g. 2026-12-01)"
    return f"{field.label}?{hint}"


async def review(ctx: ToolContext, draft: RequestDraft) -> ToolResult:
    """Show the exact payload, cost, delivery, seats and approvers, and ask for confirmation."""
    head_name = None
    if ctx.employee.department_id:
        department = await ctx.client.get_department(ctx.employee.department_id)
        if department.head_user_id:
            head = await ctx.client.get_requester(department.head_user_id)
            head_name = " ".join(p for p in (head.first_name, head.last_name) if p)
    chain = preview_chain(ctx.approvals, draft.item_name, draft.total_cost, ctx.employee, head_name)
    lines = [f"Please check your request for **{draft.item_name}**" + (f" × {draft.quantity}" if draft.quantity > 1 else "") + ":"]
    lines += [f"• {line}" for line in draft.summary_lines()]
    if draft.total_cost is not None:
        lines.append(f"Cost: ${draft.total_cost:,.2f}")
    if draft.delivery_time_hours:
        lines.append(f"Delivery: about {draft.delivery_time_hours} hours after approval")
    lines.append("Approvals: " + ("; ".join(f"{a.level}. {a.who} ({a.why})" for a in chain) if chain else "none needed"))
    pending = PendingAction(kind="place_request", summary=lines[1:], idempotency_key=draft.idempotency_key,
                            payload={"draft_id": draft.id, "item_display_id": draft.item_display_id,
                                     "quantity": draft.quantity, "custom_fields": draft.payload()})
    for old in ctx.state.open_pending():
        if old.kind == "place_request":
            old.status = "cancelled"
    ctx.state.pending[pending.id] = pending
    ctx.out.offer(f"confirm:{pending.id}", "Submit request")
    ctx.out.offer(f"cancel:{pending.id}", "Cancel")
    lines.append("Shall I submit it? You can also change any field first.")
    return ToolResult(message="\n".join(lines), data={
        "stage": draft.stage.value, "fields": draft.payload(), "approvers": [a.model_dump() for a in chain],
        "pending_action": pending.id})


async def next_step(ctx: ToolContext, draft: RequestDraft, prefix: str = "") -> ToolResult:
    """Ask the next question, or show the review once every required field is answered."""
    if draft.stage is Stage.REVIEW:
        result = await review(ctx, draft)
        result.message = (prefix + "\n\n" if prefix else "") + result.message
        return result
    return ToolResult(message=(prefix + " " if prefix else "") + question_for(draft),
                      data={"stage": draft.stage.value, "awaiting_field": draft.current_field.name
                            if draft.current_field else None})


async def begin(ctx: ToolContext, item: ServiceItem, preset: dict[str, str]) -> ToolResult:
    """Open a new draft for ``item`` (an open one is cancelled), pre-filling what the employee already said."""
    if ctx.state.draft is not None and ctx.state.draft.open:
        ctx.state.draft.cancel()
    draft = RequestDraft(item_display_id=item.display_id, item_name=item.name, cost=_cost(item),
                         delivery_time_hours=item.delivery_time, fields=form_of(item))
    for name, value in preset.items():
        try:
            draft.set(name, value)
        except InvalidAnswer:
            pass
    ctx.state.draft = draft
    intro = f"Let's request **{item.name}**."
    if draft.cost:
        intro += f" It costs ${draft.cost:,.2f}."
    return await next_step(ctx, draft, intro)


def request_tools(ctx: ToolContext) -> list[AsyncTool]:
    state = ctx.state

    @tool(ctx, "Started a request")
    async def start_request(item: str) -> ToolResult:
        """Start a service-catalog request for the item the employee named (e.g. 'new laptop', 'Figma')."""
        matches = await ctx.catalog.find_items(item)
        software = await ctx.catalog.item_for_software(item)
        chosen: ServiceItem | None = None
        preset: dict[str, str] = {}
        if software is not None:
            chosen, field_name = software
            preset[field_name] = item
        elif matches and (len(matches) == 1 or matches[0][1] - matches[1][1] >= 8):
            chosen = matches[0][0]
        if chosen is None:
            if not matches:
                return ToolResult(ok=True, data={"items": []}, message=(
                    "I couldn't find a catalog item for that. Could you describe what you need differently?"))
            for found, _ in matches:
                ctx.out.offer(f"start:{found.display_id}", found.name)
            names = ", ".join(f"“{found.name}”" for found, _ in matches)
            return ToolResult(data={"items": [found.name for found, _ in matches]},
                              message=f"Which one do you mean: {names}?")
        return await begin(ctx, chosen, preset)

    @tool(ctx, "Recorded your answer")
    async def answer_request_field(answer: str) -> ToolResult:
        """Answer the question the copilot asked for the open request (the current form field)."""
        draft = state.draft
        if draft is None or not draft.open:
            return ToolResult(ok=False, message="There's no request in progress. What would you like to request?")
        try:
            draft.answer(answer)
        except (InvalidAnswer, DraftClosed) as problem:
            return ToolResult(ok=True, message=str(problem), data={"invalid": True})
        return await next_step(ctx, draft, "Got it.")

    @tool(ctx, "Changed a detail of your request")
    async def change_request_field(field: str, value: str) -> ToolResult:
        """Change one field of the open request, by the field's name or label."""
        draft = state.draft
        if draft is None or not draft.open:
            return ToolResult(ok=False, message="There's no request in progress to change.")
        try:
            if field.strip().lower() in {"quantity", "qty", "how many"}:
                draft.set_quantity(int(value))
                changed = "Quantity"
            else:
                changed = draft.set(field, value).label
        except (InvalidAnswer, DraftClosed, ValueError) as problem:
            return ToolResult(ok=True, message=str(problem), data={"invalid": True})
        return await next_step(ctx, draft, f"Updated {changed}.")

    @tool(ctx, "Cancelled the request")
    async def cancel_request() -> ToolResult:
        """Cancel the request in progress; nothing is sent to IT."""
        draft = state.draft
        if draft is None or not draft.open:
            return ToolResult(message="There's no request in progress, so there's nothing to cancel.")
        draft.cancel()
        for pending in state.open_pending():
            if pending.kind == "place_request":
                pending.status = "cancelled"
        return ToolResult(message=f"OK, I've cancelled the {draft.item_name} request. Nothing was sent.",
                          data={"stage": draft.stage.value})

    return [start_request, answer_request_field, change_request_field, cancel_request]


@button("start")
async def start_by_id(ctx: ToolContext, display_id: str) -> ToolResult:
    """The "Request X" button of a catalog answer: start that item's draft."""
    item = await ctx.catalog.item(int(display_id)) if display_id.isdigit() else None
    if item is None:
        return ToolResult(ok=False, message="That catalog item is no longer available.")
    return await begin(ctx, item, {})


@confirmed_write("place_request")
async def place_confirmed_request(ctx: ToolContext, pending: PendingAction) -> ToolResult:
    """Submit a confirmed draft. Safe to call twice: the second call returns the first result."""
    if pending.status == "done" and pending.result:
        return ToolResult(message=pending.result["message"], data=pending.result)
    if ctx.gate.mode_for("place_request") is WriteMode.REVIEW:
        return ToolResult(ok=False, message="Requests need an IT reviewer here; I've queued it for review.")
    payload = pending.payload
    # a re-check after an unknown outcome searches from the first attempt; nothing is resent unless it
    # proves that attempt did not land (tools.freshservice.client.FreshserviceClient.place_request)
    ticket = await ctx.client.place_request(
        payload["item_display_id"],
        PlaceRequest(email=ctx.employee.email, quantity=payload["quantity"], custom_fields=payload["custom_fields"]),
        idempotency_key=pending.idempotency_key, claims=ctx.claims,
        attempted_since=pending.attempted_at if pending.status == "checking" else None,
    )
    draft = ctx.state.draft
    if draft is not None and draft.id == payload["draft_id"]:
        draft.mark_submitted(ticket.id)
    ctx.out.ticket(ticket.id)
    ctx.state.tickets.append(ticket.id)
    message = (f"Done — your request is **SR-{ticket.id}** (“{ticket.subject}”). "
               "Your approvers have been asked; I'll show their answer when you ask about it, "
               "and you'll get an email when it moves.")
    pending.status = "done"
    pending.result = {"ticket_id": ticket.id, "message": message}
    return ToolResult(message=message, data=pending.result)
