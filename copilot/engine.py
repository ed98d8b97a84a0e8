"""The conversation engine: one employee turn in, one reply out, state kept in Redis.

UI-agnostic: the Chainlit app and the REST channel both call ``Engine.handle``. Each turn takes
the conversation's Redis lock, loads its state, and then either executes a button action or a
plain confirmation (policy, decided in code), appends the message to the handover ticket, or
runs the conversation's own AutoGen team (rebuilt per turn from saved state, never shared between
employees). After the turn the escalation policy looks at what happened, and everything is saved.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import TaskResult
from autogen_agentchat.conditions import MaxMessageTermination, TextMessageTermination
from autogen_agentchat.messages import ModelClientStreamingChunkEvent, TextMessage
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_core.model_context import BufferedChatCompletionContext
from autogen_core.models import ChatCompletionClient
from pydantic import BaseModel, Field, model_validator

from copilot import metrics
from copilot.approvals import ApprovalRules
from copilot.audit import AuditEvent, AuditLog
from copilot.business_hours import OfficeHours
from copilot.catalog import CatalogDirectory
from copilot.conversations import ConversationState, ConversationStore, PendingAction
from copilot.identity import Employee
from copilot.models.dialogue_state import DialogueState, FieldPrompt
from copilot.policy import EscalationReason, Policy, TurnSignals
from copilot.prompts import system_message
from copilot.redact import redact
from tools.deps import KnowledgeSearch, ToolDeps, explain_failure
from tools.freshservice import FreshserviceClient, FreshserviceError
from tools.handover import escalate
from tools.registry import build_tools
from tools.requests import place_confirmed_request
from tools.results import Action, Citation, ToolActivity, ToolResult
from tools.tickets import _html, create_confirmed_incident

AGENT_NAME = "copilot"
MAX_INPUT_CHARS = 4000
MODEL_CONTEXT_MESSAGES = 16
TEAM_THREAD_KEEP = 16
MAX_AGENT_MESSAGES = 12
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
YES = re.compile(r"^\s*(yes|y|yep|yeah|sure|ok(ay)?|confirm(ed)?|submit( it)?|go ahead|do it|please do|create it|correct)\b[\s.!]*(please)?[\s.!]*$", re.I)
NO = re.compile(r"^\s*(no|n|nope|cancel( it)?|stop|don'?t|abort|never ?mind)\b[\s.!]*$", re.I)


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


class Engine:
    def __init__(
        self, *, client: FreshserviceClient, catalog: CatalogDirectory, store: ConversationStore, audit: AuditLog,
        policy: Policy, rules: ApprovalRules, model_factory: Callable[[], ChatCompletionClient],
        knowledge: KnowledgeSearch | None = None, office_hours: Callable[[], Awaitable[OfficeHours | None]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC), frustration: Callable[[str], float] | None = None,
        secrets: tuple[str, ...] = (), stream: bool = True,
    ) -> None:
        self.client, self.catalog, self.store, self.audit = client, catalog, store, audit
        self.policy, self.rules, self.knowledge = policy, rules, knowledge
        self.model_factory, self.clock, self.secrets, self.stream = model_factory, clock, secrets, stream
        self._office_hours = office_hours
        self._frustration = frustration or (lambda _text: 0.0)

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
        if (remaining := self.client.rate_limit.remaining) is not None:
            metrics.RATE_LIMIT_REMAINING.set(remaining)
        return result

    async def _handle(self, conversation_id: str, employee: Employee, message: IncomingMessage,
                      on_token: TokenCallback | None) -> TurnResult:
        async with self.store.lock(conversation_id):
            state = await self.state(conversation_id, employee)
            was_handed_over = state.handoff is not None
            deps = ToolDeps(employee=employee, state=state, client=self.client, catalog=self.catalog,
                            policy=self.policy, audit=self.audit, knowledge=self.knowledge, clock=self.clock,
                            office_hours=await self._office_hours() if self._office_hours else None)
            state.turns += 1
            if message.action is not None:
                texts = [await self._action(deps, message.action)]
            else:
                text, cut = clean_text(message.text or "")
                state.add("employee", text)
                texts = ["(Your message was very long; I read the first 4,000 characters.)"] if cut else []
                if not text:
                    texts.append("I didn't catch that — could you type your question?")
                elif state.handoff is not None:
                    texts.append(await self._handed_over(deps, text))
                else:
                    texts += await self._converse(deps, text, on_token)
            texts += await self._agent_replies(deps)
            for text in texts:
                state.add("copilot", text)
            await self.store.save(state)
        out = deps.out
        messages = [ReplyMessage(text=t) for t in texts if t]
        if messages:
            messages[-1].citations, messages[-1].actions = out.citations, out.actions
        return TurnResult(conversation_id=state.id, messages=messages, handoff=state.handoff is not None,
                          escalated=not was_handed_over and state.handoff is not None,
                          tickets=out.tickets, activities=out.activities)

    # --- one turn ---------------------------------------------------------------------------

    async def _converse(self, deps: ToolDeps, text: str, on_token: TokenCallback | None) -> list[str]:
        state = deps.state
        pending = state.open_pending()
        if pending and (YES.match(text) or NO.match(text)):
            return [await self._decide(deps, pending[-1], confirm=bool(YES.match(text)))]
        if (word := self.policy.urgent_match(text)) is not None:
            result = await self._guarded(deps, lambda: escalate(deps, f"Employee reported: {text[:200]}", urgent=True))
            return [f"That sounds urgent ({word}), so I'm getting a person involved right away. {result.message}"]
        reply = await self._run_team(deps, text, on_token)
        replies = [reply]
        frustrated = self._frustration(text) >= self.policy.config.escalation.frustration_threshold
        state.frustrated_turns = state.frustrated_turns + 1 if frustrated else 0
        state.failed_turns = state.failed_turns + 1 if deps.out.failed else 0
        signals = TurnSignals(text=text, failed_turns=state.failed_turns, frustrated_turns=state.frustrated_turns)
        reason = self.policy.escalation(signals)
        if reason in (EscalationReason.FAILED_TURNS, EscalationReason.FRUSTRATION) and state.handoff is None:
            why = ("I haven't been able to help with the last few messages" if reason is EscalationReason.FAILED_TURNS
                   else "I can tell this is frustrating")
            result = await self._guarded(deps, lambda: escalate(deps, f"auto-escalation: {reason.value}"))
            replies.append(f"{why}, so I'm bringing in a person. {result.message}")
            state.failed_turns = state.frustrated_turns = 0
        return replies

    async def _run_team(self, deps: ToolDeps, text: str, on_token: TokenCallback | None) -> str:
        model = self.model_factory()
        tools = build_tools(deps, self.rules)
        agent = AssistantAgent(
            AGENT_NAME, model_client=model, tools=tools, system_message=system_message(self._dialogue(deps)),
            model_context=BufferedChatCompletionContext(buffer_size=MODEL_CONTEXT_MESSAGES),
            reflect_on_tool_use=True, max_tool_iterations=3, model_client_stream=self.stream,
        )
        team = RoundRobinGroupChat([agent], termination_condition=TextMessageTermination(AGENT_NAME)
                                   | MaxMessageTermination(MAX_AGENT_MESSAGES))
        if deps.state.team_state:
            await team.load_state(deps.state.team_state)
        reply = ""
        try:
            async for event in team.run_stream(task=text):
                if isinstance(event, ModelClientStreamingChunkEvent) and on_token is not None:
                    await on_token(event.content)
                elif isinstance(event, TextMessage) and event.source == AGENT_NAME:
                    reply = event.content
                elif isinstance(event, TaskResult):
                    break
            deps.state.team_state = _trim_team_state(await team.save_state())
        finally:
            await model.close()
        if not reply:
            deps.out.failed = True
            reply = "Sorry, I couldn't work that out. Could you say it another way?"
        return str(redact(reply, self.secrets))

    def _dialogue(self, deps: ToolDeps) -> DialogueState:
        state, draft = deps.state, deps.state.draft
        dialogue = DialogueState(conversation_id=state.id, turn=state.turns, employee_first_name=deps.employee.first_name,
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

    # --- buttons, confirmations, handover ------------------------------------------------------

    async def _action(self, deps: ToolDeps, action: str) -> str:
        state = deps.state
        state.add("employee", f"[pressed {action.split(':')[0]}]")
        kind, _, arg = action.partition(":")
        if kind in ("confirm", "cancel") and arg in state.pending:
            return await self._decide(deps, state.pending[arg], confirm=kind == "confirm")
        if kind == "start" and arg.isdigit():
            from tools.requests import request_tools

            starter = request_tools(deps, self.rules)[0]
            result = await self._guarded(deps, lambda: starter.start_by_id(int(arg)))  # type: ignore[attr-defined]
            return result.message
        if kind == "escalate":
            result = await self._guarded(deps, lambda: escalate(deps, "employee asked for a person"))
            return result.message
        if kind == "end_handover" and state.handoff is not None:
            ticket_id = state.handoff.ticket_id
            state.handoff = None
            return f"You're back with the copilot. INC-{ticket_id} stays open with the IT team."
        return "That button is no longer active. What would you like to do?"

    async def _decide(self, deps: ToolDeps, pending: PendingAction, *, confirm: bool) -> str:
        """Run or drop a pending write — the employee's explicit decision, never the model's."""
        if pending.status == "done" and pending.result:
            return str(pending.result["message"])  # a double click or a repeated "yes": same answer
        if pending.status != "pending":
            return "That was already cancelled; nothing was sent."
        if not confirm:
            pending.status = "cancelled"
            if pending.kind == "place_request" and deps.state.draft is not None and deps.state.draft.open:
                deps.state.draft.cancel()
            await self._audit(deps, pending, "cancelled")
            return "OK, cancelled. Nothing was sent to IT."
        execute = {"place_request": place_confirmed_request, "create_incident": create_confirmed_incident}[pending.kind]
        result = await self._guarded(deps, lambda: execute(deps, pending))
        await self._audit(deps, pending, "confirmed" if result.ok else "error", result.message)
        return result.message

    async def _handed_over(self, deps: ToolDeps, text: str) -> str:
        ticket_id = deps.state.handoff.ticket_id  # type: ignore[union-attr]
        result = await self._guarded(deps, lambda: self._note(deps, ticket_id, text))
        return result.message

    async def _note(self, deps: ToolDeps, ticket_id: int, text: str) -> ToolResult:
        conversation = await deps.client.add_note(
            ticket_id, f"<p><b>{_html(deps.employee.name)} via the copilot:</b></p><p>{_html(text)}</p>",
            private=False, idempotency_key=f"note-{deps.state.id}-{deps.state.turns}",
        )
        deps.state.handoff.seen_conversation_ids.append(conversation.id)  # type: ignore[union-attr]
        deps.out.ticket(ticket_id)
        return ToolResult(message=f"Added to INC-{ticket_id}; the IT team will see it.")

    async def _agent_replies(self, deps: ToolDeps) -> list[str]:
        """Replies IT agents wrote on the handover ticket since the employee last looked."""
        handoff = deps.state.handoff
        if handoff is None:
            return []
        shown: list[str] = []
        try:
            async for conversation in deps.client.iter_conversations(handoff.ticket_id):
                if conversation.id in handoff.seen_conversation_ids or conversation.private:
                    continue
                handoff.seen_conversation_ids.append(conversation.id)
                if conversation.user_id == deps.employee.requester_id or conversation.incoming:
                    continue
                shown.append(f"**IT team** on INC-{handoff.ticket_id}: {(conversation.body_text or '').strip()}")
        except FreshserviceError:
            return []
        return shown

    async def _guarded(self, deps: ToolDeps, call: Callable[[], Awaitable[ToolResult]]) -> ToolResult:
        try:
            return await call()
        except FreshserviceError as error:
            deps.out.failed = True
            return ToolResult(ok=False, message=explain_failure(error))

    async def _audit(self, deps: ToolDeps, pending: PendingAction, outcome: Any, message: str = "") -> None:
        await self.audit.record(AuditEvent(
            conversation_id=deps.state.id, employee=deps.employee.email, tool=pending.kind,
            arguments={"pending_action": pending.id, "payload": pending.payload}, outcome=outcome,
            result={"message": message} if message else None,
        ))


def _trim_team_state(state: Any) -> dict[str, Any]:
    """Keep saved team state small: the manager's thread only needs recent messages."""
    data = dict(state)
    for agent_state in data.get("agent_states", {}).values():
        if isinstance(agent_state, dict) and isinstance(agent_state.get("message_thread"), list):
            agent_state["message_thread"] = agent_state["message_thread"][-TEAM_THREAD_KEEP:]
        if isinstance(agent_state, dict) and isinstance(agent_state.get("message_buffer"), list):
            agent_state["message_buffer"] = agent_state["message_buffer"][-TEAM_THREAD_KEEP:]
    return data

