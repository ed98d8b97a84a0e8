"""What a button press or a confirmed write runs, looked up by kind: the tool modules fill these
registries, the engine only dispatches.

A button arrives as ``"kind:argument"`` (``start:12``, ``escalate``, ``end_handover``); a confirmed
write is a ``PendingAction`` whose ``kind`` names its executor (``place_request``, ``create_incident``).
Nothing here trusts the model: buttons were offered by tools, writes were shown to the employee.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tools.context import ToolContext
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
