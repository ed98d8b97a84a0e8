"""Service-catalog request tools: a durable draft, form questions, review, confirm, submit.

The draft lives in the conversation state (Redis), not in the model's memory; every answer is
validated against the item's form; nothing is placed until the employee confirms the exact
fields, and the draft's idempotency key makes a double confirmation place one request.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from tools.actions import button, confirmed_write
from tools.approvals import ApproverPreview, preview_chain
from tools.context import AsyncTool, ToolContext, WriteMode, tool
from tools.form_reading import (
    MALFUNCTION,
    SOFTWARE_FIELD,
    corrections,
    describes_instead_of_naming,
    name_given,
    one_choice,
    people_listed,
    prefill,
    prefill_reason,
    read_answer,
    read_values,
    reason_instead,
)
from tools.freshservice import PlaceRequest, ServiceItem
from tools.patterns import FIRST_NO, confirmation
from tools.request_draft import (
    PEOPLE_LABEL,
    PURPOSE_LABEL,
    Choice,
    DraftClosed,
    DraftField,
    FieldType,
    InvalidAnswer,
    RequestDraft,
    Stage,
)
from tools.results import ToolResult
from tools.state import PendingAction

REQUEST_TOOLS = frozenset({"start_request", "answer_request_field", "change_request_field", "cancel_request",
                           "resume_request"})
TEXT_TYPES = {FieldType.TEXT, FieldType.PARAGRAPH, FieldType.URL}

# What a message that is not the field's value was taken for (``form_reading.not_an_answer``).
NOT_AN_ANSWER = {"question": "That sounds like a question", "cancel": "That sounds like you'd rather stop (say "
                 "“cancel the request” to drop it)", "confirmation": "I need a few words here, not just a yes",
                 "problem": "That sounds like a problem to report (I can log it for you)",
                 "other field": "That sounds like the answer to another question of this form"}
# What comes before "back to <the request>:" is about something else; the value follows the colon.
AFTER_RETURN = re.compile(r"^.*?\b(?:back\s+to|now\s+for|ok\s+so)\s+(?:the\s+|my\s+)?[\w\s-]{1,40}?:\s*(?=\S)", re.I | re.S)
MAX_CHOICE_BUTTONS = 8  # more choices than this are typed (the question lists them all)
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


def ask_to_keep(draft: RequestDraft, field: DraftField) -> str:
    """ "Should I put … as the reason?" — for an answer held back until the employee says it is meant as that."""
    return (f"Should I put “{(draft.tentative or '')[:200]}” as the {field.label.lower()}? (yes or no — or just type "
            f"the {field.label.lower()})")


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


async def approval_chain(ctx: ToolContext, item_name: str, total_cost: Decimal | None) -> list[ApproverPreview]:
    """Who will have to approve this item for this employee, named (the department head looked up)."""
    head_name = None
    if ctx.employee.department_id:
        department = await ctx.client.get_department(ctx.employee.department_id)
        if department.head_user_id:
            head = await ctx.client.get_requester(department.head_user_id)
            head_name = " ".join(p for p in (head.first_name, head.last_name) if p)
    return preview_chain(ctx.approvals, item_name, total_cost, ctx.employee, head_name)


def describe_chain(chain: list[ApproverPreview]) -> str:
    return "; ".join(f"{a.level}. {a.who} ({a.why})" for a in chain) if chain else "none needed"


async def review(ctx: ToolContext, draft: RequestDraft) -> ToolResult:
    """Show the exact payload, cost, delivery, seats and approvers, and ask for confirmation."""
    chain = await approval_chain(ctx, draft.item_name, draft.total_cost)
    lines = [f"Please check your request for **{draft.item_name}**" + (f" × {draft.quantity}" if draft.quantity > 1 else "") + ":"]
    lines += [f"• {line}" for line in draft.summary_lines()]
    if draft.total_cost is not None:
        lines.append(f"Cost: ${draft.total_cost:,.2f}")
    if draft.delivery_time_hours:
        lines.append(f"Delivery: about {draft.delivery_time_hours} hours after approval")
    lines.append("Approvals: " + describe_chain(chain))
    pending = PendingAction(kind="place_request", summary=lines[1:], idempotency_key=draft.idempotency_key,
                            payload={"draft_id": draft.id, "item_display_id": draft.item_display_id,
                                     "quantity": draft.quantity, "custom_fields": draft.payload(),
                                     "needs_approval": bool(chain)})
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
    offer_choices(ctx, draft)
    return ToolResult(message=(prefix + " " if prefix else "") + question_for(draft),
                      data={"stage": draft.stage.value, "awaiting_field": draft.current_field.name
                            if draft.current_field else None})


def offer_choices(ctx: ToolContext, draft: RequestDraft) -> None:
    field = draft.current_field
    if field is not None:
        for index, choice in enumerate(field.choices[:MAX_CHOICE_BUTTONS]):
            ctx.out.offer(f"answer:{field.name}:{index}", choice.label)


async def resume(ctx: ToolContext, draft: RequestDraft, prefix: str) -> ToolResult:
    """Make ``draft`` the current one again (the open one, if different, is parked) and ask where it stopped."""
    state = ctx.state
    if state.draft is not None and state.draft.open and state.draft.id != draft.id:
        state.park(state.draft)
    state.draft = draft
    result = await next_step(ctx, draft, prefix)
    result.data["resumed"] = draft.item_name
    return result


async def begin(ctx: ToolContext, item: ServiceItem, preset: dict[str, str], details: str = "") -> ToolResult:
    """Open a draft for ``item`` and pre-fill it from what the employee already said (``details``: their own
    words). A draft already open for the same item is continued, not restarted; one for another item is
    parked (a topic switch) and offered again when this one is done."""
    state = ctx.state
    current = state.draft if state.draft is not None and state.draft.open else None
    same = current if current is not None and current.item_display_id == item.display_id else None
    same = same or next((d for d in state.parked if d.item_display_id == item.display_id and d.open), None)
    if same is not None:
        if same is not current:
            state.unpark(same.id)
        filled = prefill(same, details) if details else []
        note = f" I've noted {', '.join(filled)}." if filled else ""
        return await resume(ctx, same, f"Let's continue your **{same.item_name}** request.{note}")
    if current is not None:
        state.park(current)
    draft = RequestDraft(item_display_id=item.display_id, item_name=item.name, cost=_cost(item),
                         delivery_time_hours=item.delivery_time, fields=form_of(item),
                         allow_quantity=bool(getattr(item, "allow_quantity", True)), requester_email=ctx.employee.email,
                         item_about=item.short_description or "")
    filled = []
    for name, value in preset.items():
        try:
            filled.append(draft.set(name, value).label)  # shown with the rest: "I've noted Laptop model: …"
        except InvalidAnswer:
            pass
    filled += prefill(draft, details) if details else []
    filled += _software_listed(ctx, draft, details)
    if (earlier := said_just_before(ctx)) is not None:
        shown = state.last_shown
        if shown is not None and shown.kind == "item" and shown.subject == item.name:
            # "which phones do we offer? I'd keep my number" — then "the samsung": that question was about this item
            filled += prefill(draft, earlier, reasons=False)
        filled += prefill_reason(draft, earlier)
    state.draft = draft
    state.show_item(item)
    intro = f"Let's request **{item.name}**."
    if draft.cost:
        intro += f" It costs ${draft.cost:,.2f}."
    if filled and draft.stage is Stage.COLLECTING:
        noted = [line for line in draft.summary_lines() if line.split(":")[0] in filled]
        noted += [f"Quantity: {draft.quantity}"] if "Quantity" in filled else []
        intro += f" From what you said I've noted {'; '.join(noted)}."
    if current is not None:
        intro = f"I've put your **{current.item_name}** request aside; we can finish it after this one. " + intro
    return await next_step(ctx, draft, intro)


# "a spare charger, and also something for the projector": where a message goes on to a second thing
AND_ALSO = re.compile(r"\s*(?:,\s*)?\b(?:and\s+also|and\s+(?:a|an|two|some)|also|plus|as\s+well\s+as)\b", re.I)


async def also_asked(ctx: ToolContext, details: str, chosen: ServiceItem) -> tuple[ServiceItem, bool] | None:
    """Another catalog item the employee asked for in its own part of the same message ("a charger and also a
    dock"), unless that part only gives a value of the chosen item's form ("MacBook Pro 14 and a UK keyboard"):
    that item, and whether it was named before the chosen one."""
    vocabulary = ctx.catalog.vocabulary
    parts = [p for p in AND_ALSO.split(details) if p.strip()] if details else []
    if vocabulary is None or len(parts) < 2:
        return None
    fields = form_of(chosen)
    named = [vocabulary.item_in(part) if not any(one_choice(f, part) is not None for f in fields if f.choices)
             and not MALFUNCTION.search(part) else None  # "… and also my laptop is slow" reports, it asks for nothing
             for part in parts]
    others = {name for name in named if name is not None and name != chosen.name}
    if len(others) != 1:
        return None
    name = next(iter(others))
    found = await ctx.catalog.find_items(name)
    if not found or found[0][0].name != name:
        return None
    return found[0][0], chosen.name not in named or named.index(name) < named.index(chosen.name)


def _software_listed(ctx: ToolContext, draft: RequestDraft, details: str) -> list[str]:
    """A free-text field for software ("Extra software" of an onboarding) filled with the company's applications the
    employee named ("she needs a MacBook Air and tableau + slack on top"), unless it was filled already."""
    vocabulary = ctx.catalog.vocabulary
    field = next((f for f in draft.fields if f.field_type in (FieldType.TEXT, FieldType.PARAGRAPH)
                  and SOFTWARE_FIELD.search(f.label) and f.name not in draft.answers), None)
    if vocabulary is None or field is None or not details:
        return []
    apps = [a for a in vocabulary.every_software_in(details) if a.lower() != draft.item_name.lower()]
    if not apps:
        return []
    try:
        return [draft.set(field.name, ", ".join(apps)).label]
    except InvalidAnswer:
        return []


def _more_software(ctx: ToolContext, draft: RequestDraft, label: str, value: str) -> str:
    """ "she'll also need jira and confluence" for a software field: the applications named, added to those there."""
    field = next((f for f in draft.fields if f.label.lower() == label.strip().lower() or f.name == label), None)
    vocabulary = ctx.catalog.vocabulary
    if field is None or vocabulary is None or not SOFTWARE_FIELD.search(field.label) \
            or field.field_type not in (FieldType.TEXT, FieldType.PARAGRAPH):
        return value
    apps = vocabulary.every_software_in(value)
    if not apps:
        return value
    before = [a.strip() for a in str(draft.answers.get(field.name) or "").split(",") if a.strip()]
    return ", ".join(dict.fromkeys([*before, *apps]))


POINTS_BACK = re.compile(r"\b(?:one|it|that|them|those|these)\b", re.I)


def _named_just_before(ctx: ToolContext) -> str | None:
    """The catalog item the employee's previous message named ("my laptop is old, is it time for a new one?"), for
    a request that names none itself ("ok can I order one then")."""
    earlier = said_just_before(ctx)
    vocabulary = ctx.catalog.vocabulary
    return vocabulary.item_in(earlier) if earlier and vocabulary is not None else None


def said_just_before(ctx: ToolContext) -> str | None:
    """The employee's message before this one, if no request was opened since ("I travel a lot" — then "can I
    get a company phone?"): what they said about themselves may be the reason for this request."""
    said = [e for e in ctx.state.transcript if e.role == "employee"]
    if len(said) < 2 or said[-2].text.startswith("[pressed"):
        return None
    before = said[-2]
    opened = [d.created_at for d in [ctx.state.draft, *ctx.state.parked] if d is not None]
    return None if any(at >= before.at for at in opened) else before.text


def resume_note(ctx: ToolContext) -> str:
    """Offer the latest parked draft once nothing else is open ("…shall we continue it?"), with a button."""
    state = ctx.state
    if (state.draft is not None and state.draft.open) or not state.parked:
        return ""
    parked = state.parked[-1]
    ctx.out.offer(f"resume:{parked.id}", f"Continue the {parked.item_name} request")
    return f"You still have a **{parked.item_name}** request in progress — shall we continue it?"


def _passed_over_offer(ctx: ToolContext, ran: list[str], pending_before: set[str]) -> PendingAction | None:
    """An incident offered in the last reply that this turn answered something else instead ("how do I reset my
    password?" after "wifi keeps dropping"): asked again once, then left (``Engine._withdraw_passed_offers``)."""
    if ran and ran[-1] in {"create_incident", "escalate_to_human", "cancel_request"}:
        return None
    asked = set(ctx.state.asked or [])
    return next((p for p in reversed(ctx.state.open_pending()) if p.kind == "create_incident" and p.id in asked
                 and p.id in pending_before and not p.reminded), None)


def followup(ctx: ToolContext, ran: list[str], pending_before: set[str], draft_was_open: bool) -> str:
    """What the flow says after a turn that was about something else: the open field is asked again (a
    digression: "where do I collect it?"), an open review is offered again, a parked draft is offered once
    the flow that displaced it is done. Nothing while a new question (a confirmation) is waiting. ``ran``:
    the tools of the turn in order; the form's own question is already there when a request tool ran last."""
    state = ctx.state
    if any(p.id not in pending_before and p.kind != "place_request" for p in state.awaiting_decision()):
        return ""
    draft = state.draft if state.draft is not None and state.draft.open else None
    if draft is None and not draft_was_open and (offer := _passed_over_offer(ctx, ran, pending_before)) is not None:
        offer.reminded = True
        ctx.out.offer(f"confirm:{offer.id}", "Create ticket")
        ctx.out.offer(f"cancel:{offer.id}", "Cancel")
        return f"Your incident report “{offer.payload.get('subject', '')}” is still waiting: shall I create it?"
    if draft is None:
        return resume_note(ctx) if draft_was_open or REQUEST_TOOLS.intersection(ran) else ""
    if ran and ran[-1] in REQUEST_TOOLS:
        return ""
    if draft.stage is Stage.COLLECTING:
        offer_choices(ctx, draft)
        return f"Back to your **{draft.item_name}** request: {question_for(draft)}"
    pending = next((p for p in state.open_pending() if p.kind == "place_request"
                    and p.payload.get("draft_id") == draft.id), None)
    if pending is None:
        return ""
    ctx.out.offer(f"confirm:{pending.id}", "Submit request")
    ctx.out.offer(f"cancel:{pending.id}", "Cancel")
    return f"Your **{draft.item_name}** request is ready — shall I submit it, or would you like to change something?"


def request_tools(ctx: ToolContext) -> list[AsyncTool]:
    state = ctx.state

    @tool(ctx, "Started a request")
    async def start_request(item: str, details: str = "") -> ToolResult:
        """Start a service-catalog request for the item the employee named (e.g. 'new laptop', 'Figma').
        ``details``: the employee's own words about it, verbatim (values in it pre-fill the form)."""
        for draft in [state.draft, *reversed(state.parked)]:
            if draft is not None and draft.open and draft.item_name.lower() == item.strip().lower():
                found = await ctx.catalog.item(draft.item_display_id)
                if found is not None:
                    return await begin(ctx, found, {}, details)
        matches = await ctx.catalog.find_items(item)
        if not matches and POINTS_BACK.search(item) and (named := _named_just_before(ctx)) is not None:
            item, matches = named, await ctx.catalog.find_items(named)  # "ok can I order one then" after a laptop question
        software = await ctx.catalog.item_for_software(item)
        chosen: ServiceItem | None = None
        preset: dict[str, str] = {}
        if software is not None:
            chosen, field_name = software
            preset[field_name] = item
        elif len(kind := await ctx.catalog.kind(item)) >= 2:
            matches = [(found, 100.0) for found in kind]  # "I need software": which of the software items?
        elif len(family := await ctx.catalog.family(item)) >= 2:
            matches = [(found, 100.0) for found in family]  # "an Adobe product": which of Adobe's items?
        elif matches and (len(matches) == 1 or matches[0][1] - matches[1][1] >= 8):
            chosen = matches[0][0]
        if chosen is None:
            if not matches and (app := await ctx.catalog.find_application(item)) is not None:
                # an application the company has but does not sell in the catalog (SAP Concur): IT grants it
                ctx.out.offer("escalate", "Ask the IT team")
                return ToolResult(ok=True, data={"items": [], "application": app[0].name}, message=(
                    f"**{app[0].name}** isn't in the service catalog, so I can't request it here. Access to it "
                    "is given by the IT team: I can pass your request to them."))
            if not matches:
                return ToolResult(ok=True, data={"items": []}, message=(
                    "I couldn't find a catalog item for that. Could you describe what you need differently?"))
            for found, _ in matches:
                ctx.out.offer(f"start:{found.display_id}", found.name)
            state.show_items([found for found, _ in matches])
            names = ", ".join(f"“{found.name}”" for found, _ in matches)
            return ToolResult(data={"items": [found.name for found, _ in matches]},
                              message=f"Which one do you mean: {names}?")
        if not preset and (also := await also_asked(ctx, details, chosen)) is not None:
            other, other_first = also
            both = [other, chosen] if other_first else [chosen, other]
            for found in both:
                ctx.out.offer(f"start:{found.display_id}", found.name)
            state.show_items(both)
            return ToolResult(data={"items": [found.name for found in both]}, message=(
                f"You asked for two things: “{both[0].name}” and “{both[1].name}”. Each is its own request — "
                "which one shall we start with?"))
        return await begin(ctx, chosen, preset, details)

    @tool(ctx, "Recorded your answer")
    async def answer_request_field(answer: str, ask_first: bool = False) -> ToolResult:
        """Answer the question the copilot asked for the open request (the current form field). Only a
        value that fits that field is stored; a question, a problem report, a cancel or a correction is not
        an answer (handle that, then ask again). ``ask_first``: unsure the message is meant as this field's
        value — the employee is asked "should I put that as …?" and a yes stores it."""
        draft = state.draft
        if draft is None or not draft.open:
            return ToolResult(ok=False, message="There's no request in progress. What would you like to request?")
        field = draft.current_field
        if field is None:
            return await next_step(ctx, draft, "Everything is filled in.")
        held: str | None = None
        if draft.tentative is not None and field.field_type in TEXT_TYPES:
            held, draft.tentative = draft.tentative, None
            said = confirmation(answer)
            if said is None and FIRST_NO.match(answer):
                said = False  # "no don't log anything, … back to acrobat": not that, whatever follows
            if said is True or answer.strip() == held:
                answer, ask_first = held, False
            elif said is False:
                offer_choices(ctx, draft)
                return ToolResult(ok=True, data={"invalid": True, "reason": "declined"},
                                  message="OK, I haven't stored it. " + question_for(draft))
        answer = AFTER_RETURN.sub("", answer, count=1) or answer  # "…, back to acrobat: editing contracts": the value
        original = answer
        why, other = read_answer(draft, field, answer)  # the other field's choice is read once, with the reason
        if why == "other field" and other is not None:
            changed = draft.set(other[0].name, other[1].label)  # the value of that field, not of the one asked
            draft.tentative = held
            return ToolResult(ok=True, data={"field": changed.label, "value": other[1].label, "still_asking": field.label},
                              message=f"Noted {changed.label}: {other[1].label}. " + (
                                  ask_to_keep(draft, field) if held is not None else question_for(draft)))
        if why is not None:
            offer_choices(ctx, draft)
            data: dict[str, object] = {"invalid": True, "reason": why}
            if why == "correction":
                label, value = corrections(draft, answer)[-1]
                data |= {"field": label, "value": value}
                lead = f"That sounds like a change to {label} ({value})"
            elif why == "hesitation":
                return ToolResult(ok=True, data=data, message="No rush. " + question_for(draft))
            else:
                lead = NOT_AN_ANSWER[why]
            return ToolResult(ok=True, data=data, message=(
                f"{lead} rather than the {field.label.lower()}, so I haven't stored it as that. " + question_for(draft)))
        if ask_first and field.field_type in TEXT_TYPES:
            draft.tentative = answer.strip()
            ctx.out.offer(f"keep_answer:{field.name}", f"Yes, use that as the {field.label.lower()}")
            return ToolResult(ok=True, data={"tentative": draft.tentative, "field": field.label},
                              message=ask_to_keep(draft, field))
        choice = one_choice(field, answer, last=True) if field.choices else None
        if choice is None and (instead := reason_instead(draft, field, answer)) is not None:
            # "I'm a designer on the brand team" while the OS is asked: the empty reason, and the OS asked again
            reason = draft.set(instead[0].name, instead[1])
            offer_choices(ctx, draft)
            return ToolResult(ok=True, data={"field": reason.label, "value": instead[1], "still_asking": field.label},
                              message=f"Noted {reason.label}: {instead[1]}. " + question_for(draft))
        if field.field_type in TEXT_TYPES and (named := name_given(field, answer)) is not None:
            answer = named  # "call it sales-emea-team": the name, not the words around it
        if field.field_type in TEXT_TYPES and describes_instead_of_naming(field, answer):
            noted = prefill(draft, answer, reasons=False)  # "just a list for all of us, no outside people": that much
            offer_choices(ctx, draft)
            values = "; ".join(f"{f.label}: {draft.display_value(f)}" for f in draft.fields if f.label in noted)
            return ToolResult(ok=True, data={"invalid": True, "reason": "not a name", "noted": noted}, message=(
                (f"Noted {values}. " if values else "") + f"What should the {field.label.lower()} be? A short "
                "name is best, like “team-updates”."))
        if field.field_type in TEXT_TYPES and PEOPLE_LABEL.search(field.label) \
                and (people := people_listed(draft, field, f"{field.label}: {answer}")) is not None:
            answer = people  # "me and carol diaz. members: alice nguyen": the owners; the members are read below
        try:
            draft.answer(choice.label if choice is not None else answer)
        except (InvalidAnswer, DraftClosed) as problem:
            offer_choices(ctx, draft)
            return ToolResult(ok=True, message=str(problem), data={"invalid": True})
        if field.field_type not in TEXT_TYPES or PEOPLE_LABEL.search(field.label):
            prefill(draft, original)  # "Samsung Galaxy S25, no number porting", "… members: alice"
        return await next_step(ctx, draft, "Got it.")

    @tool(ctx, "Changed a detail of your request")
    async def change_request_field(field: str, value: str) -> ToolResult:
        """Change one field of the open request, by the field's name or label (empty: the field whose
        choices the value fits). The review is shown again with the change."""
        draft = state.draft
        if draft is None or not draft.open:
            return ToolResult(ok=False, message="There's no request in progress to change.")
        unchanged = (dict(draft.answers), draft.quantity)
        try:
            if field.strip().lower() in {"quantity", "qty", "how many"}:
                changed = _set_labelled(draft, "quantity", value)
            elif not field.strip() and len(several := corrections(draft, value)) > 1:
                # "correction: macbook pro 14, and the start date is 8 february 2027": every change it names
                changed = ", ".join(_set_labelled(draft, label, raw) for label, raw in several)
            elif not field.strip():
                changed = _change_by_value(draft, value)
            else:
                changed = _set_labelled(draft, field, _more_software(ctx, draft, field, value))
        except (InvalidAnswer, DraftClosed, ValueError) as problem:
            offer_choices(ctx, draft)
            return ToolResult(ok=True, message=str(problem), data={"invalid": True})
        now = str(draft.quantity) if changed == "Quantity" else next(
            (draft.display_value(f) for f in draft.fields if f.label == changed), "")
        if (dict(draft.answers), draft.quantity) == unchanged and now:
            return await next_step(ctx, draft, f"{changed} is already {now}.")
        return await next_step(ctx, draft, f"Updated {changed} to {now}." if now and len(now) <= 60 else f"Updated {changed}.")

    @tool(ctx, "Went back to your request")
    async def resume_request(item: str = "", details: str = "") -> ToolResult:
        """Go back to a request in progress (the one put aside, or the one named by ``item``) and ask
        where it stopped. ``details``: the employee's words, verbatim ("yes, office desk" fills that field)."""
        wanted = item.strip().lower()
        candidates = [d for d in [state.draft, *reversed(state.parked)] if d is not None and d.open]
        chosen = next((d for d in candidates if wanted and (wanted in d.item_name.lower()
                                                             or d.item_name.lower() in wanted)), None)
        chosen = chosen or (candidates[0] if candidates else None)
        if chosen is None:
            return ToolResult(ok=True, data={"resumed": None},
                              message="There's no request in progress. What would you like to request?")
        if chosen is not state.draft:
            state.unpark(chosen.id)
        filled = prefill(chosen, details, reasons=False) if details else []
        after = AFTER_RETURN.sub("", details, count=1) if details and AFTER_RETURN.search(details) else ""
        field = chosen.current_field
        if after and field is not None and field.field_type in TEXT_TYPES and read_answer(chosen, field, after)[0] is None:
            try:  # "now back to visio: I map the sales process flows": the answer to the question it stopped at
                chosen.answer(after)
                filled.append(field.label)
            except (InvalidAnswer, DraftClosed):
                pass
        note = f" I've noted {', '.join(filled)}." if filled else ""
        return await resume(ctx, chosen, f"We were working on your **{chosen.item_name}** request.{note}")

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

    return [start_request, answer_request_field, change_request_field, cancel_request, resume_request]


def _set_labelled(draft: RequestDraft, label: str, raw: Any) -> str:
    """Apply one change to a field named by its name or label (or "quantity"); the label it changed."""
    if label == "quantity":
        draft.set_quantity(int(raw))
        return "Quantity"
    target = draft.field(label)
    choice = one_choice(target, str(raw), last=True, loose=True) if target.choices else None
    return draft.set(target.name, choice.label if choice is not None else raw).label


def _change_by_value(draft: RequestDraft, value: str) -> str:
    """Set the one field whose choices ``value`` names; otherwise say which options there are."""
    fitting = [(f, c) for f in draft.fields if f.choices and (c := one_choice(f, value, last=True, loose=True)) is not None]
    if len(fitting) == 1:
        return draft.set(fitting[0][0].name, fitting[0][1].label).label
    values = {name: raw for name, raw in read_values(draft, value, only_unanswered=False, last=True).items()
              if not PURPOSE_LABEL.search(draft.field(name).label)}  # a correction by value is never a new reason
    if len(values) == 1:
        name, raw = next(iter(values.items()))
        return draft.set(name, raw).label
    options = "; ".join(f"{f.label}: {', '.join(c.label for c in f.choices)}" for f in draft.fields if f.choices)
    raise InvalidAnswer(f"“{value.strip()}” isn't one of the options of this form" + (f" ({options})." if options else ".")
                        + " Which detail should I change, and to what?")


@button("answer")
async def answer_by_choice(ctx: ToolContext, argument: str) -> ToolResult:
    """A choice button of a form question (``answer:<field>:<index>``): answers that field with that choice,
    only while it is still the question being asked (an old button from an earlier question does nothing)."""
    field_name, _, index = argument.rpartition(":")
    draft = ctx.state.draft
    field = draft.current_field if draft is not None and draft.open else None
    if draft is None or field is None:
        return ToolResult(ok=True, message="That question isn't open any more.", data={"stale": True})
    if field.name != field_name or not index.isdigit() or int(index) >= len(field.choices):
        return await next_step(ctx, draft, "That button was for an earlier question.")
    draft.answer(field.choices[int(index)].label)
    return await next_step(ctx, draft, "Got it.")


@button("keep_answer")
async def keep_answer(ctx: ToolContext, field_name: str) -> ToolResult:
    """The "Yes, use that as …" button after "should I put that as …?": stores the answer held back."""
    draft = ctx.state.draft
    field = draft.current_field if draft is not None and draft.open else None
    if draft is None or field is None or field.name != field_name or draft.tentative is None:
        return ToolResult(ok=True, message="That question isn't open any more.", data={"stale": True})
    draft.answer(draft.tentative)
    return await next_step(ctx, draft, "Got it.")


@button("resume")
async def resume_by_id(ctx: ToolContext, draft_id: str) -> ToolResult:
    """The "Continue the X request" button: that parked draft becomes the current one again."""
    draft = next((d for d in ctx.state.parked if d.id == draft_id and d.open), None)
    if draft is None:
        current = ctx.state.draft
        if current is not None and current.id == draft_id and current.open:
            return await next_step(ctx, current, f"We're on your **{current.item_name}** request.")
        return ToolResult(ok=True, message="That request isn't in progress any more.", data={"stale": True})
    ctx.state.unpark(draft.id)
    return await resume(ctx, draft, f"Let's continue your **{draft.item_name}** request.")


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
    # drafts reviewed before this key existed said nothing: they keep the approvers' sentence
    then = ("Your approvers have been asked; I'll show their answer when you ask about it, "
            if payload.get("needs_approval", True) else "It needs no approval, so the IT team can start on it; ")
    message = (f"Done — your request is **SR-{ticket.id}** (“{ticket.subject}”). {then}"
               "and you'll get an email when it moves.")
    pending.status = "done"
    pending.result = {"ticket_id": ticket.id, "message": message}
    return ToolResult(message=message, data=pending.result)
