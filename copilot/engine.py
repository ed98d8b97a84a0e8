"""The conversation engine: one employee turn in, one reply out, state kept in Redis.

UI-agnostic: the Chainlit app and the REST channel both call ``Engine.handle``. Each turn takes
the conversation's Redis lock, loads its state, and then either executes a button action or a
plain confirmation (policy, decided in code), appends the message to the handover ticket, or
runs the conversation's own AutoGen assistant (rebuilt per turn from saved state, never shared
between employees). After the turn the escalation policy looks at what happened, and everything is saved.
"""

from __future__ import annotations

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

from copilot import metrics
from copilot.audit import AuditLog
from copilot.conversations import ConversationState, ConversationStore
from copilot.models.dialogue_state import DialogueState, FieldPrompt
from copilot.policy import EscalationReason, Policy, TurnSignals
from copilot.prompts import system_message
from copilot.redact import redact
from tools import handover
from tools.approvals import ApprovalRules
from tools.business_hours import OfficeHours
from tools.catalog import CatalogDirectory
from tools.context import KnowledgeSearch, Outcome, ToolContext, guarded
from tools.employee import Employee
from tools.freshservice import FreshserviceClient
from tools.patterns import confirmation
from tools.results import Action, Citation, ToolActivity
from tools.state import PendingAction
from tools.toolset import BUTTONS, WRITES, build_tools

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


class ConversationNotFound(LookupError):
    """No such conversation for this employee (another employee's id looks exactly the same)."""


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
    office_hours: Callable[[], Awaitable[OfficeHours | None]] | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    frustration: Callable[[str], float] = lambda _text: 0.0
    secrets: tuple[str, ...] = ()
    stream: bool = True


class Engine:
    def __init__(self, deps: EngineDeps) -> None:
        self.deps = deps
        self.store = deps.store

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
            result = await self._handle(conversation_id, employee, message, on_token)
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
                      on_token: TokenCallback | None) -> TurnResult:
        deps = self.deps
        async with self.store.lock(conversation_id):
            state = await self.state(conversation_id, employee)
            was_handed_over = state.handoff is not None
            ctx = ToolContext(employee=employee, state=state, client=deps.client, catalog=deps.catalog,
                              gate=deps.policy, audit=deps.audit, approvals=deps.approvals,
                              knowledge=deps.knowledge, clock=deps.clock,
                              office_hours=await deps.office_hours() if deps.office_hours else None)
            state.turns += 1
            if message.action is not None:
                texts = [await self._action(ctx, message.action)]
            else:
                text, cut = clean_text(message.text or "")
                state.add("employee", text)
                texts = ["(Your message was very long; I read the first 4,000 characters.)"] if cut else []
                if not text:
                    texts.append("I didn't catch that — could you type your question?")
                elif state.handoff is not None:
                    texts.append((await guarded(ctx, lambda: handover.relay(ctx, text, turn=state.turns))).message)
                else:
                    texts += await self._converse(ctx, state, text, on_token)
            texts += await handover.agent_replies(ctx)
            for text in texts:
                state.add("copilot", text)
            await self.store.save(state)
        out = ctx.out
        messages = [ReplyMessage(text=t) for t in texts if t]
        if messages:
            messages[-1].citations, messages[-1].actions = out.citations, out.actions
        return TurnResult(conversation_id=state.id, messages=messages, handoff=state.handoff is not None,
                          escalated=not was_handed_over and state.handoff is not None,
                          tickets=out.tickets, activities=out.activities)

    # --- one turn ---------------------------------------------------------------------------

    async def _converse(self, ctx: ToolContext, state: ConversationState, text: str,
                        on_token: TokenCallback | None) -> list[str]:
        policy = self.deps.policy
        pending = state.open_pending()
        decision = confirmation(text)
        if pending and decision is not None:
            return [await self._decide(ctx, pending[-1], confirm=decision)]
        if (word := policy.urgent_match(text)) is not None:
            result = await guarded(ctx, lambda: handover.escalate(ctx, f"Employee reported: {text[:200]}", urgent=True,
                                                                  trigger="urgent_word"))
            return [f"That sounds urgent ({word}), so I'm getting a person involved right away. {result.message}"]
        reply = await self._run_team(ctx, state, text, on_token)
        replies = [reply]
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
            current = draft.current_field
            if current is not None:
                dialogue.awaiting = "field"
                dialogue.field = FieldPrompt(name=current.name, label=current.label, field_type=current.field_type,
                                             choices=[c.label for c in current.choices])
        pending = state.open_pending()
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
            return await self._decide(ctx, state.pending[argument], confirm=kind == "confirm")
        handler = BUTTONS.get(kind)
        if handler is None:
            return "That button is no longer active. What would you like to do?"
        return (await guarded(ctx, lambda: handler(ctx, argument))).message

    async def _decide(self, ctx: ToolContext, pending: PendingAction, *, confirm: bool) -> str:
        """Run or drop a pending write — the employee's explicit decision, never the model's."""
        if pending.status == "done" and pending.result:
            return str(pending.result["message"])  # a double click or a repeated "yes": same answer
        if pending.status != "pending":
            return "That was already cancelled; nothing was sent."
        if not confirm:
            pending.status = "cancelled"
            if pending.kind == "place_request" and ctx.state.draft is not None and ctx.state.draft.open:
                ctx.state.draft.cancel()
            await self._audit(ctx, pending, "cancelled")
            return "OK, cancelled. Nothing was sent to IT."
        execute = WRITES[pending.kind]
        result = await guarded(ctx, lambda: execute(ctx, pending))
        await self._audit(ctx, pending, "confirmed" if result.ok else "error", result.message)
        return result.message

    @staticmethod
    async def _audit(ctx: ToolContext, pending: PendingAction, outcome: Outcome, message: str = "") -> None:
        await ctx.audit.record(ctx.event(pending.kind, outcome=outcome,
                                         arguments={"pending_action": pending.id, "payload": pending.payload},
                                         result={"message": message} if message else None))


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
