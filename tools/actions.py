"""What a button press or a confirmed write runs, looked up by kind: the tool modules fill these
registries, the engine only dispatches.

A button arrives as ``"kind:argument"`` (``start:12``, ``escalate``, ``end_handover``); a confirmed
write is a ``PendingAction`` whose ``kind`` names its executor (``place_request``, ``create_incident``).
Nothing here trusts the model: buttons were offered by tools, writes were shown to the employee.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from tools.context import Outcome, ToolContext, guarded
from tools.results import ToolResult
from tools.state import PendingAction

ButtonHandler = Callable[[ToolContext, str], Awaitable[ToolResult]]
WriteExecutor = Callable[[ToolContext, PendingAction], Awaitable[ToolResult]]

BUTTONS: dict[str, ButtonHandler] = {}
WRITES: dict[str, WriteExecutor] = {}


def button(kind: str) -> Callable[[ButtonHandler], ButtonHandler]:
    """Register the handler of the buttons ``kind`` or ``kind:argument``."""

    def register(handler: ButtonHandler) -> ButtonHandler:
        if BUTTONS.setdefault(kind, handler) is not handler:
            raise ValueError(f"button kind {kind!r} is registered twice")
        return handler

    return register


def confirmed_write(kind: str) -> Callable[[WriteExecutor], WriteExecutor]:
    """Register the executor of a confirmed write of this kind (the employee said yes to its payload)."""

    def register(executor: WriteExecutor) -> WriteExecutor:
        if WRITES.setdefault(kind, executor) is not executor:
            raise ValueError(f"write kind {kind!r} is registered twice")
        return executor

    return register


async def run_write(ctx: ToolContext, pending: PendingAction, *, why: str) -> ToolResult:
    """Execute a write (confirmed by the employee, or allowed by policy) and audit who, what, why and the result.

    When the outcome is unknown (sent, answer lost, the lookup by its key could not settle it) the
    action is locked as ``checking`` and kept in the conversation: the next "yes" or button press
    runs it again, and the executor checks by the same key before anything is resent.
    """
    executor = WRITES[pending.kind]
    was = pending.status
    result = await guarded(ctx, lambda: executor(ctx, pending))
    outcome: Outcome = "confirmed" if result.ok else "error"
    if result.data.get("outcome_unknown"):
        outcome = "unknown"
        pending.status = "checking"
        if pending.attempted_at is None:
            raw = result.data.get("attempted_at")
            pending.attempted_at = datetime.fromisoformat(raw) if isinstance(raw, str) else ctx.clock()
        ctx.state.pending[pending.id] = pending
        ctx.out.offer(f"confirm:{pending.id}", "Check again")
    await ctx.audit.record(ctx.event(pending.kind, outcome=outcome, arguments={
        "pending_action": pending.id, "payload": pending.payload, "why": why, "was": was,
        "idempotency_key": pending.idempotency_key}, result={"message": result.message, **result.data}))
    return result
