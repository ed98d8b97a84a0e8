"""The conversation engine: one employee turn in, one reply out, state kept in Redis.

UI-agnostic: the Chainlit app and the REST channel both call ``Engine.handle``. Each turn takes
the conversation's Redis lock, loads its state, and then either executes a button action or a
plain confirmation (policy, decided in code), appends the message to the handover ticket, or
runs the conversation's own AutoGen assistant (rebuilt per turn from saved state, never shared
between employees). After the turn the escalation policy looks at what happened, and everything is saved.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import Response
from autogen_agentchat.messages import ModelClientStreamingChunkEvent, TextMessage
from autogen_core import CancellationToken
from autogen_core.model_context import BufferedChatCompletionContext
from autogen_core.models import ChatCompletionClient
from pydantic import BaseModel, Field, model_validator

from copilot import failures, language, metrics
from copilot.audit import AuditLog
from copilot.conversations import ConversationState, ConversationStore
from copilot.models.dialogue_state import DialogueState, FieldPrompt, FormSlot, Shown
from copilot.policy import EscalationReason, Policy, TurnSignals
from copilot.prompts import system_message
from copilot.redact import redact
from tools import handover, requests
from tools.actions import run_write
from tools.approvals import ApprovalRules
from tools.business_hours import OfficeHours
from tools.catalog import CatalogDirectory
from tools.context import (
    URGENT_CONTACT,
    AuditEvent,
    KnowledgeSearch,
    Outcome,
    ToolContext,
    WriteMode,
    guarded,
)
from tools.employee import Employee
from tools.freshservice import FreshserviceClient, WriteClaims
from tools.patterns import FIRST_NO, THANKS, confirmation_naming
from tools.results import Action, Citation, ToolActivity
from tools.state import PendingAction
from tools.toolset import BUTTONS, build_tools

AGENT_NAME = "copilot"
MAX_INPUT_CHARS = 4000
MODEL_CONTEXT_MESSAGES = 16
AGENT_STATE_KEY = "assistant"  # ConversationState.team_state = {"assistant": AssistantAgent.save_state()}
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class IncomingMessage(BaseModel):
    text: str | None = None
    action: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _one_of(self) -> IncomingMessage:
        if (self.text is None) == (self.action is None):
            raise ValueError("send either 'text' or 'action'")
        return self


class ReplyMessage(BaseModel):
    text: str
    citations: list[Citation] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)


class TurnResult(BaseModel):
    conversation_id: str
    messages: list[ReplyMessage]
    handoff: bool
    escalated: bool = False  # handed over during this turn
    tickets: list[int] = Field(default_factory=list)
    activities: list[ToolActivity] = Field(default_factory=list)


# After a "no" to an offer, something else to act on: a person asked for, or a value given ("back to acrobat: …").
MORE_THAN_A_NO = re.compile(r":\s*\S|\b(?:connect|put|pass|get|transfer)\s+me\b|\b(?:talk|speak|chat)\s+(?:to|with)\b",
                            re.I)


class ConversationNotFound(LookupError):
    """No such conversation for this employee (another employee's id looks exactly the same)."""


class NothingToRate(LookupError):
    """A thumbs on a conversation where the copilot has not answered yet: there is nothing to rate."""


def clean_text(text: str) -> tuple[str, bool]:
    """Strip control characters and cap the length; say whether it was cut."""
    text = CONTROL_CHARS.sub("", text).strip()
    return (text[:MAX_INPUT_CHARS], True) if len(text) > MAX_INPUT_CHARS else (text, False)


TokenCallback = Callable[[str], Awaitable[None]]


@dataclass
class EngineDeps:
    """The app-wide parts one engine works with (built once per process by ``copilot.services``)."""

    client: FreshserviceClient
    catalog: CatalogDirectory
    store: ConversationStore
    audit: AuditLog
    policy: Policy
    model_factory: Callable[[], ChatCompletionClient]
    approvals: ApprovalRules = field(default_factory=ApprovalRules)
    knowledge: KnowledgeSearch | None = None
    claims: WriteClaims | None = None  # the ledger of placed service requests (tools.freshservice.claims)
    office_hours: Callable[[], Awaitable[OfficeHours | None]] | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    frustration: Callable[[str], float] = lambda _text: 0.0
    secrets: tuple[str, ...] = ()
    stream: bool = True
    urgent_contact: str = URGENT_CONTACT
    turn_budget_seconds: float = 20.0  # a turn's total time; then "the IT system is slow" (nothing lost)
    max_concurrent_turns: int = 32  # turns running at once in this process
    turn_queue_timeout: float = 1.0  # how long a turn waits for a slot before failures.Busy
    max_queued_turns: int = 32  # turns waiting for a slot; one more is refused at once (fast 503, no pile-up)
    replies_in_employee_language: bool = False  # an LLM answers in the employee's language; the offline model can't


class Engine:
    def __init__(self, deps: EngineDeps) -> None:
        self.deps = deps
        self.store = deps.store
        self._slots = asyncio.Semaphore(deps.max_concurrent_turns)
        self._queued = 0
        self._model_loaded = False

    async def _model_ready(self) -> None:
        """The first turns of a process may meet the model still loading (the offline model fits its classifiers
        and loads MiniLM under a lock the start-up warm-up holds: seconds, half a minute on a new data
        directory). That wait is in a thread, so other conversations go on, and outside the turn's budget,
        which is about the IT system answering."""
        if not self._model_loaded:
            model = await asyncio.to_thread(self.deps.model_factory)
            await model.close()
            self._model_loaded = True

    async def _take_slot(self) -> None:
        """A turn slot, or :class:`failures.Busy` (backpressure, not a pile-up): at once when the queue is
        already full — a saturated process answers "busy" without first paying for a wait — otherwise after
        ``turn_queue_timeout``."""
        if self._slots.locked() and self._queued >= self.deps.max_queued_turns:
            raise failures.Busy("every turn slot is taken and the queue is full")
        self._queued += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), self.deps.turn_queue_timeout)
        except TimeoutError:
            raise failures.Busy("every turn slot is taken") from None
        finally:
            self._queued -= 1

    async def start(self, employee: Employee, context: dict[str, str] | None = None) -> ConversationState:
        """A new conversation; ``context`` is what the host page said about where the employee is."""
        clean = {str(k)[:40]: str(v)[:300] for k, v in (context or {}).items()}
        return await self.store.create(employee_email=employee.email, requester_id=employee.requester_id,
                                       context=dict(list(clean.items())[:5]))

    async def state(self, conversation_id: str, employee: Employee) -> ConversationState:
        state = await self.store.load_for(conversation_id, employee.email)
        if state is None:
            raise ConversationNotFound(conversation_id)
        return state

    async def handle(self, conversation_id: str, employee: Employee, message: IncomingMessage,
                     on_token: TokenCallback | None = None, *, channel: str = "rest") -> TurnResult:
        """One turn, measured for /metrics (turns, latency, tool calls, escalations, errors)."""
        started = time.perf_counter()
        try:
            result = await self._handle(conversation_id, employee, message, on_token, channel)
        except ConversationNotFound:
            raise
        except Exception:
            metrics.ERRORS.inc()
            raise
        metrics.TURNS.labels(channel=channel).inc()
        metrics.TURN_LATENCY.observe(time.perf_counter() - started)
        for activity in result.activities:
            metrics.TOOL_CALLS.labels(tool=activity.tool, outcome="ok" if activity.ok else "error").inc()
        if result.escalated:
            metrics.ESCALATIONS.inc()
        if (remaining := self.deps.client.rate_limit.remaining) is not None:
            metrics.RATE_LIMIT_REMAINING.set(remaining)
        return result

    async def _handle(self, conversation_id: str, employee: Employee, message: IncomingMessage,
                      on_token: TokenCallback | None, channel: str = "rest") -> TurnResult:
        deps = self.deps
        async with self.store.lock(conversation_id):
            state = await self.state(conversation_id, employee)
            await self._take_slot()
            try:
                was_handed_over = state.handoff is not None
                state.turns += 1
                if message.action is None:
                    text, cut = clean_text(message.text or "")
                    state.add("employee", text)  # kept even if the turn runs out of time
                await self._model_ready()
                try:
                    async with asyncio.timeout(deps.turn_budget_seconds):
                        ctx = ToolContext(employee=employee, state=state, client=deps.client, catalog=deps.catalog,
                                          gate=deps.policy, audit=deps.audit, approvals=deps.approvals,
                                          knowledge=deps.knowledge, clock=deps.clock, claims=deps.claims,
                                          urgent_contact=deps.urgent_contact,
                                          office_hours=await deps.office_hours() if deps.office_hours else None)
                        if message.action is not None:
                            texts = [await self._action(ctx, message.action)]
                        else:
                            texts = ["(Your message was very long; I read the first 4,000 characters.)"] if cut else []
                            if not text:
                                texts.append("I didn't catch that — could you type your question?")
                            elif state.handoff is not None:
                                texts.append((await guarded(ctx, lambda: handover.relay(ctx, text,
                                                                                        turn=state.turns))).message)
                                if meanwhile := await self._meanwhile(ctx, state, text):
                                    texts.append(meanwhile)
                            else:
                                texts += await self._converse(ctx, state, text, on_token)
                        texts += await handover.agent_replies(ctx)
                except TimeoutError:
                    metrics.ERRORS.inc()
                    ctx = ToolContext(employee=employee, state=state, client=deps.client, catalog=deps.catalog,
                                      gate=deps.policy, audit=deps.audit, claims=deps.claims,
                                      urgent_contact=deps.urgent_contact)
                    ctx.out.failed = True
                    texts = [failures.slow_turn(deps.turn_budget_seconds, deps.urgent_contact)]
                for reply in texts:
                    state.add("copilot", reply)
                asked = [a.id.partition(":")[2] for a in ctx.out.actions if a.id.startswith("confirm:")]
                if asked or message.action is None:  # a button that asked nothing new leaves the question open
                    state.asked = asked
                await self.store.save(state)
            finally:
                self._slots.release()
        out = ctx.out
        await self._audit_turn(ctx, state, message, channel=channel, handed_over_before=was_handed_over)
        messages = [ReplyMessage(text=t) for t in texts if t]
        if messages:
            messages[-1].citations, messages[-1].actions = out.citations, out.actions
        return TurnResult(conversation_id=state.id, messages=messages, handoff=state.handoff is not None,
                          escalated=not was_handed_over and state.handoff is not None,
                          tickets=out.tickets, activities=out.activities)

    async def _audit_turn(self, ctx: ToolContext, state: ConversationState, message: IncomingMessage, *, channel: str,
                          handed_over_before: bool) -> None:
        """One ``turn`` event per turn for the insights (``copilot.insights``): what kind of input it was, which
        tools ran, whether it failed, and where an open request form stands. No message text."""
        draft = state.draft
        form = None
        if draft is not None:
            current = draft.current_field
            form = {"item_id": draft.item_display_id, "item": draft.item_name[:80], "stage": draft.stage.value,
                    "field": current.name if current is not None else None}
        button = message.action.partition(":")[0][:40] if message.action is not None else None
        await self.deps.audit.record(ctx.event("turn", outcome="error" if ctx.out.failed else "ok", arguments={
            "turn": state.turns, "channel": channel, "input": "button" if button else "text", "button": button,
            "tools": [a.tool for a in ctx.out.activities], "handed_over": handed_over_before,
            "language": state.language}, result={"form": form, "handoff": state.handoff is not None,
                                                 "tickets": list(ctx.out.tickets)}))

    async def feedback(self, conversation_id: str, employee: Employee, *, helpful: bool, channel: str = "rest") -> None:
        """A thumbs-up or thumbs-down on the copilot's last answer, audited once (``feedback``) for the
        insights. What a thumbs-down then offers (the next article, a person) is the ``not_helpful`` button's job."""
        state = await self.state(conversation_id, employee)
        if not any(entry.role == "copilot" for entry in state.transcript):
            raise NothingToRate(conversation_id)  # a thumbs on no answer would skew the insights' ratings
        await self.deps.audit.record(AuditEvent(conversation_id=state.id, employee=employee.email, tool="feedback",
                                                arguments={"value": "up" if helpful else "down", "turn": state.turns,
                                                           "channel": channel}))

    # --- one turn ---------------------------------------------------------------------------

    async def _converse(self, ctx: ToolContext, state: ConversationState, text: str,
                        on_token: TokenCallback | None) -> list[str]:
        policy = self.deps.policy
        found = language.identify(text, prefer=state.language)
        if found.code is not None:
            state.language = found.code
        foreign = state.language in language.SUPPORTED  # this message, or a short one in a foreign conversation
        english = language.gloss(text, state.language or "") if foreign else text
        pending = state.asked_now()
        subject = [d.item_name for d in [state.draft, *state.parked] if d is not None and pending
                   and d.id == pending[-1].payload.get("draft_id")]
        decision = confirmation_naming(english if foreign else text, subject)
        if decision is None and pending and pending[-1].kind == "create_incident" and FIRST_NO.match(text) \
                and not MORE_THAN_A_NO.search(text):
            decision = False  # "no don't log anything, I already have a ticket. back to acrobat": not this one
        if decision and pending and pending[-1].reminded and THANKS.search(text):
            decision = None  # "ok thanks" for the answer the reminder followed: no yes to the reminded offer
        if pending and decision is not None:
            return self._in_language(state, found, await self._decide_then_follow(ctx, pending[-1], confirm=decision))
        if (word := policy.urgent_match(text) or (policy.urgent_match(english) if foreign else None)) is not None:
            return self._in_language(state, found, [await self._urgent(ctx, state, text, word)])
        pending_before = {p.id for p in state.awaiting_decision()}
        draft_was_open = state.draft is not None and state.draft.open
        await self.deps.catalog.keep_fresh()  # the tenant's item and app names, which the model links to
        reply = await self._run_team(ctx, state, text, on_token)
        if foreign and ctx.out.failed and state.language:
            # Not understood in another language: offer a person (the employee decides), never count it towards
            # the automatic handover. An LLM has already said so in their language; the offline model can't.
            if not self.deps.replies_in_employee_language:
                reply = language.offer_person(state.language)
            ctx.out.offer("escalate", "Talk to the IT team")
            ctx.out.failed = False
        replies = self._in_language(state, found, [reply])
        ran = [a.tool for a in ctx.out.activities]
        if state.handoff is None and (note := requests.followup(ctx, ran, pending_before, draft_was_open)):
            replies.append(note)
        frustrated = self.deps.frustration(text) >= policy.config.escalation.frustration_threshold
        state.frustrated_turns = state.frustrated_turns + 1 if frustrated else 0
        state.failed_turns = state.failed_turns + 1 if ctx.out.failed else 0
        signals = TurnSignals(text=text, failed_turns=state.failed_turns, frustrated_turns=state.frustrated_turns)
        reason = policy.escalation(signals)
        if reason in (EscalationReason.FAILED_TURNS, EscalationReason.FRUSTRATION) and state.handoff is None:
            why = ("I haven't been able to help with the last few messages" if reason is EscalationReason.FAILED_TURNS
                   else "I can tell this is frustrating")
            result = await guarded(ctx, lambda: handover.escalate(ctx, f"auto-escalation: {reason.value}",
                                                                  trigger=f"auto:{reason.value}"))
            replies.append(f"{why}, so I'm bringing in a person. {result.message}")
            state.failed_turns = state.frustrated_turns = 0
        return replies

    @staticmethod
    async def _meanwhile(ctx: ToolContext, state: ConversationState, text: str) -> str:
        """"What should I do while I wait?" while handed over: also answered from the knowledge base about the
        report that led to the handover (read in English when the conversation is in another language)."""
        code = state.language if state.language in language.SUPPORTED else ""
        question = f"{text} {language.gloss(text, code)}" if code else text
        since = state.handoff.since if state.handoff is not None else None
        before = next((e.text for e in reversed(state.transcript[:-1]) if e.role == "employee"
                       and not e.text.startswith("[pressed") and (since is None or e.at <= since)), "")
        about = language.gloss(before, code) if code and before else before
        try:
            return await handover.meanwhile(ctx, question, about)
        except Exception:  # a knowledge answer is extra here: the message already reached IT
            return ""

    def _in_language(self, state: ConversationState, found: language.Identification, replies: list[str]) -> list[str]:
        """Replies to a message in another language start, once per conversation and language, with one line
        in that language saying answers are in English (an LLM answers in the employee's language instead)."""
        code = found.code
        if not found.foreign or code is None or self.deps.replies_in_employee_language or code in state.language_notices:
            return replies
        state.language_notices.append(code)
        return [f"_{language.notice(code)}_\n\n{replies[0]}" if replies else language.notice(code), *replies[1:]]

    async def _run_team(self, ctx: ToolContext, state: ConversationState, text: str,
                        on_token: TokenCallback | None) -> str:
        """The conversation's AutoGen assistant for this turn, its model context restored from the state.

        A single agent is driven directly (``on_messages_stream``), not through a one-member
        RoundRobinGroupChat: same messages, same reply, without the team's runtime, manager and its
        saved thread, which cost about a fifth of a turn's CPU."""
        model = self.deps.model_factory()
        agent = AssistantAgent(
            AGENT_NAME, model_client=model, tools=build_tools(ctx), system_message=system_message(self._dialogue(ctx, state)),
            model_context=BufferedChatCompletionContext(buffer_size=MODEL_CONTEXT_MESSAGES),
            reflect_on_tool_use=True, max_tool_iterations=3, model_client_stream=self.deps.stream,
        )
        if (saved := _agent_state(state.team_state)) is not None:
            await agent.load_state(saved)
        reply = ""
        try:
            async for event in agent.on_messages_stream([TextMessage(content=text, source="user")], CancellationToken()):
                if isinstance(event, ModelClientStreamingChunkEvent) and on_token is not None:
                    await on_token(event.content)
                elif isinstance(event, Response) and isinstance(event.chat_message, TextMessage):
                    reply = event.chat_message.content
            state.team_state = {AGENT_STATE_KEY: _trim_agent_state(await agent.save_state())}
        finally:
            await model.close()
        if not reply:
            ctx.out.failed = True
            reply = "Sorry, I couldn't work that out. Could you say it another way?"
        return str(redact(reply, self.deps.secrets))

    @staticmethod
    def _dialogue(ctx: ToolContext, state: ConversationState) -> DialogueState:
        draft = state.draft
        dialogue = DialogueState(conversation_id=state.id, turn=state.turns, employee_first_name=ctx.employee.first_name,
                                 handed_over=state.handoff is not None)
        if draft is not None and draft.open:
            dialogue.draft_item = draft.item_name
            dialogue.draft_fields = [f.label for f in draft.fields]
            dialogue.stage = "review" if draft.stage.value == "review" else "collecting"
            dialogue.form = [FormSlot(name=f.name, label=f.label, field_type=f.field_type, required=f.required,
                                      choices=[c.label for c in f.choices],
                                      value=draft.display_value(f) if f.name in draft.answers else None)
                             for f in draft.fields]
            current = draft.current_field
            if current is not None:
                dialogue.awaiting = "field"
                dialogue.field = FieldPrompt(name=current.name, label=current.label, field_type=current.field_type,
                                             choices=[c.label for c in current.choices], tentative=draft.tentative)
        dialogue.parked_items = [d.item_name for d in state.parked if d.open]
        dialogue.language = state.language
        if state.last_shown is not None:
            shown = state.last_shown
            dialogue.last_shown = Shown(kind=shown.kind, labels=[e.label for e in shown.entries], subject=shown.subject,
                                        costs=[e.cost for e in shown.entries], choices=shown.choices)
        pending = [p for p in state.asked_now() if p.status == "pending"]
        if pending:
            dialogue.awaiting = "confirmation"
            dialogue.pending_action = pending[-1].kind
        return dialogue

    # --- buttons and confirmations -----------------------------------------------------------------

    async def _action(self, ctx: ToolContext, action: str) -> str:
        """A button the employee pressed: a confirm/cancel of a pending write, or a tool's own button."""
        state = ctx.state
        state.add("employee", f"[pressed {action.split(':')[0]}]")
        kind, _, argument = action.partition(":")
        if kind in ("confirm", "cancel") and argument in state.pending:
            return "\n\n".join(await self._decide_then_follow(ctx, state.pending[argument], confirm=kind == "confirm"))
        handler = BUTTONS.get(kind)
        if handler is None:
            return "That button is no longer active. What would you like to do?"
        result = await guarded(ctx, lambda: handler(ctx, argument))
        await ctx.audit.record(ctx.event(f"button:{kind}", outcome="ok" if result.ok else "error",
                                         arguments={"argument": argument[:40]},
                                         result={"message": result.message[:300], **{
                                             k: v for k, v in result.data.items() if k in ("ticket_id", "error")}}))
        return result.message

    async def _urgent(self, ctx: ToolContext, state: ConversationState, text: str, word: str) -> str:
        """A report of an urgent incident happening now: a priority-4 handover, confirmed by the employee
        unless policy makes ``urgent_escalation`` automatic. Both the proposal and the write are audited."""
        pending = PendingAction(kind="urgent_escalation", idempotency_key=f"handover-{state.id}",
                                payload={"reason": f"Employee reported: {text[:200]}", "word": word},
                                summary=[f"Urgent handover to the IT team ({word})"])
        if self.deps.policy.mode_for("urgent_escalation") is WriteMode.AUTO:
            result = await run_write(ctx, pending, why=f"urgent report ({word}); policy: auto")
            return f"That sounds urgent ({word}), so I'm getting a person involved right away. {result.message}"
        for old in state.open_pending():
            if old.kind == "urgent_escalation":
                old.status = "cancelled"
        state.pending[pending.id] = pending
        ctx.out.offer(f"confirm:{pending.id}", "Yes, get IT now")
        ctx.out.offer(f"cancel:{pending.id}", "No")
        await ctx.audit.record(ctx.event("urgent_escalation", outcome="proposed", arguments={
            "pending_action": pending.id, "why": f"urgent report ({word})"}))
        return (f"That sounds urgent ({word}). Shall I hand this to the IT team now as an urgent ticket? "
                f"If it can't wait, {ctx.urgent_contact}.")

    async def _decide_then_follow(self, ctx: ToolContext, pending: PendingAction, *, confirm: bool) -> list[str]:
        """The employee's decision, then what the flow says next: the request they put aside, or the
        question of the form that was open when the incident or handover question came up."""
        draft_was_open = ctx.state.draft is not None and ctx.state.draft.open
        replies = [await self._decide(ctx, pending, confirm=confirm)]
        if dropped := await self._withdraw_passed_offers(ctx, pending):
            replies.append(dropped)
        if note := requests.followup(ctx, [], {p.id for p in ctx.state.awaiting_decision()}, draft_was_open):
            replies.append(note)
        return replies

    async def _withdraw_passed_offers(self, ctx: ToolContext, decided: PendingAction) -> str:
        """An incident or urgent offer the employee passed over — they went on and decided something proposed
        after it — is withdrawn, so a later "ok great" cannot file it. Request reviews stay: the flow asks
        about the request put aside again."""
        passed = [p for p in ctx.state.open_pending()
                  if p.id != decided.id and p.kind in PASSABLE_OFFERS and p.created_at < decided.created_at]
        for offer in passed:
            offer.status = "cancelled"
            await self._audit(ctx, offer, "cancelled", "withdrawn: the employee decided a later proposal instead")
        if not passed:
            return ""
        subject = str(passed[0].payload.get("subject") or "")
        about = f" (“{subject}”)" if subject else ""
        return f"I've dropped the earlier incident offer{about}; tell me if you still want it reported."

    async def _decide(self, ctx: ToolContext, pending: PendingAction, *, confirm: bool) -> str:
        """Run or drop a pending write — the employee's explicit decision, never the model's."""
        if pending.status == "done" and pending.result:
            return str(pending.result["message"])  # a double click or a repeated "yes": same answer
        if pending.status not in ("pending", "checking"):
            return "That was already cancelled; nothing was sent."
        if not confirm:
            checking = pending.status == "checking"
            pending.status = "cancelled"
            if pending.kind == "place_request" and ctx.state.draft is not None and ctx.state.draft.open:
                ctx.state.draft.cancel()
            await self._audit(ctx, pending, "cancelled")
            if checking:  # it may already be with IT: say so, never "nothing was sent"
                return ("OK, I won't send it again. If the first attempt did reach IT, it will show up in "
                        "“my tickets” and you can ask IT to cancel it there.")
            return "OK, cancelled. Nothing was sent to IT."
        why = "employee re-confirmed after an unknown outcome" if pending.status == "checking" else "employee confirmed"
        return (await run_write(ctx, pending, why=why)).message

    @staticmethod
    async def _audit(ctx: ToolContext, pending: PendingAction, outcome: Outcome, message: str = "") -> None:
        await ctx.audit.record(ctx.event(pending.kind, outcome=outcome,
                                         arguments={"pending_action": pending.id, "payload": pending.payload},
                                         result={"message": message} if message else None))


PASSABLE_OFFERS = ("create_incident", "urgent_escalation")  # offers a later decision withdraws


def _agent_state(saved: dict[str, Any] | None) -> dict[str, Any] | None:
    """The assistant's saved state; conversations saved by the former one-agent team still load."""
    if not saved:
        return None
    if AGENT_STATE_KEY in saved:
        return dict(saved[AGENT_STATE_KEY])
    container = saved.get("agent_states", {}).get(AGENT_NAME)  # TeamState -> ChatAgentContainerState
    return dict(container["agent_state"]) if isinstance(container, dict) and "agent_state" in container else None


def _trim_agent_state(state: Any) -> dict[str, Any]:
    """Keep saved state small: the buffered model context only ever shows the last
    MODEL_CONTEXT_MESSAGES messages, so older ones are dropped instead of growing every turn."""
    data = dict(state)
    context = data.get("llm_context")
    if isinstance(context, dict) and isinstance(context.get("messages"), list):
        data["llm_context"] = {**context, "messages": context["messages"][-MODEL_CONTEXT_MESSAGES:]}
    return data
