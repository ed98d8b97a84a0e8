"""Service-catalog request tools: a durable draft, form questions, review, confirm, submit.

The draft lives in the conversation state (Redis), not in the model's memory; every answer is
validated against the item's form; nothing is placed until the employee confirms the exact
fields, and the draft's idempotency key makes a double confirmation place one request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation

from copilot.approvals import ApprovalRules, preview_chain
from copilot.conversations import PendingAction
from copilot.policy import WriteMode
from copilot.workflows.request_draft import Choice, DraftClosed, FormField, InvalidAnswer, RequestDraft, Stage
from tools.deps import ToolDeps, tool
from tools.freshservice import PlaceRequest, ServiceItem
from tools.results import ToolResult

AsyncTool = Callable[..., Awaitable[ToolResult]]
ASKABLE_TYPES = {"custom_text", "custom_paragraph", "custom_dropdown", "custom_multi_select_dropdown",
                 "custom_checkbox", "custom_number", "custom_decimal", "custom_date", "custom_url"}


def form_of(item: ServiceItem) -> list[FormField]:
    """The fields an employee fills in on the portal, in form order."""
    fields: list[FormField] = []
    for raw in sorted(item.custom_fields or [], key=lambda f: f.position or 0):
        options = raw.field_options
        shown = getattr(options, "displayed_to_requester", None) if options is not None else None
        if raw.field_type not in ASKABLE_TYPES or raw.deleted or str(shown).lower() == "false":
            continue
        choices = [Choice(label=str(c[0]), value=str(c[1] if len(c) > 1 else c[0])) for c in raw.choices or [] if c]
        fields.append(FormField(name=raw.name, label=raw.label, field_type=raw.field_type,
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


def request_tools(deps: ToolDeps, rules: ApprovalRules) -> list[AsyncTool]:
    state = deps.state

    async def review(draft: RequestDraft) -> ToolResult:
        """Show the exact payload, cost, delivery, seats and approvers, and ask for confirmation."""
        head_name = None
        if deps.employee.department_id:
            department = await deps.client.get_department(deps.employee.department_id)
            if department.head_user_id:
                head = await deps.client.get_requester(department.head_user_id)
                head_name = " ".join(p for p in (head.first_name, head.last_name) if p)
        chain = preview_chain(rules, draft.item_name, draft.total_cost, deps.employee, head_name)
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
        for old in state.open_pending():
            if old.kind == "place_request":
                old.status = "cancelled"
        state.pending[pending.id] = pending
        deps.out.offer(f"confirm:{pending.id}", "Submit request")
        deps.out.offer(f"cancel:{pending.id}", "Cancel")
        lines.append("Shall I submit it? You can also change any field first.")
        return ToolResult(message="\n".join(lines), data={
            "stage": draft.stage.value, "fields": draft.payload(), "approvers": [a.model_dump() for a in chain],
            "pending_action": pending.id})

    async def next_step(draft: RequestDraft, prefix: str = "") -> ToolResult:
        if draft.stage is Stage.REVIEW:
            result = await review(draft)
            result.message = (prefix + "\n\n" if prefix else "") + result.message
            return result
        return ToolResult(message=(prefix + " " if prefix else "") + question_for(draft),
                          data={"stage": draft.stage.value, "awaiting_field": draft.current_field.name
                                if draft.current_field else None})

    @tool(deps, "Started a request")
    async def start_request(item: str) -> ToolResult:
        """Start a service-catalog request for the item the employee named (e.g. 'new laptop', 'Figma')."""
        matches = await deps.catalog.find_items(item)
        software = await deps.catalog.item_for_software(item)
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
                deps.out.offer(f"start:{found.display_id}", found.name)
            names = ", ".join(f"“{found.name}”" for found, _ in matches)
            return ToolResult(data={"items": [found.name for found, _ in matches]},
                              message=f"Which one do you mean: {names}?")
        return await begin(chosen, preset)

    async def begin(item: ServiceItem, preset: dict[str, str]) -> ToolResult:
        if state.draft is not None and state.draft.open:
            state.draft.cancel()
        draft = RequestDraft(item_display_id=item.display_id, item_name=item.name, cost=_cost(item),
                             delivery_time_hours=item.delivery_time, fields=form_of(item))
        for name, value in preset.items():
            try:
                draft.set(name, value)
            except InvalidAnswer:
                pass
        state.draft = draft
        intro = f"Let's request **{item.name}**."
        if draft.cost:
            intro += f" It costs ${draft.cost:,.2f}."
        return await next_step(draft, intro)

    @tool(deps, "Recorded your answer")
    async def answer_request_field(answer: str) -> ToolResult:
        """Answer the question the copilot asked for the open request (the current form field)."""
        draft = state.draft
        if draft is None or not draft.open:
            return ToolResult(ok=False, message="There's no request in progress. What would you like to request?")
        try:
            draft.answer(answer)
        except (InvalidAnswer, DraftClosed) as problem:
            return ToolResult(ok=True, message=str(problem), data={"invalid": True})
        return await next_step(draft, "Got it.")

    @tool(deps, "Changed a detail of your request")
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
        return await next_step(draft, f"Updated {changed}.")

    @tool(deps, "Cancelled the request")
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

    async def start_by_id(display_id: int) -> ToolResult:
        item = await deps.catalog.item(display_id)
        if item is None:
            return ToolResult(ok=False, message="That catalog item is no longer available.")
        return await begin(item, {})

    start_request.start_by_id = start_by_id  # type: ignore[attr-defined]  # used by button actions
    return [start_request, answer_request_field, change_request_field, cancel_request]


async def place_confirmed_request(deps: ToolDeps, pending: PendingAction) -> ToolResult:
    """Submit a confirmed draft. Safe to call twice: the second call returns the first result."""
    if pending.status == "done" and pending.result:
        return ToolResult(message=pending.result["message"], data=pending.result)
    if deps.policy.mode_for("place_request") is WriteMode.REVIEW:
        return ToolResult(ok=False, message="Requests need an IT reviewer here; I've queued it for review.")
    payload = pending.payload
    ticket = await deps.client.place_request(
        payload["item_display_id"],
        PlaceRequest(email=deps.employee.email, quantity=payload["quantity"], custom_fields=payload["custom_fields"]),
        idempotency_key=pending.idempotency_key,
    )
    draft = deps.state.draft
    if draft is not None and draft.id == payload["draft_id"]:
        draft.mark_submitted(ticket.id)
    deps.out.ticket(ticket.id)
    deps.state.tickets.append(ticket.id)
    message = (f"Done — your request is **SR-{ticket.id}** (“{ticket.subject}”). "
               "Your approvers have been asked; I'll show their answer when you ask about it, "
               "and you'll get an email when it moves.")
    pending.status = "done"
    pending.result = {"ticket_id": ticket.id, "message": message}
    return ToolResult(message=message, data=pending.result)
