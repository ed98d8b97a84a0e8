"""The copilot's task tools for one turn, as AutoGen FunctionTools bound to its ToolContext, and the
filled registries of buttons and confirmed writes (importing the tool modules fills them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autogen_core.tools import BaseTool, FunctionTool

from tools.actions import BUTTONS, WRITES
from tools.context import ToolContext
from tools.handover import handover_tools
from tools.knowledge import knowledge_tools
from tools.requests import request_tools
from tools.software import software_tools
from tools.tickets import ticket_tools

TOOL_NAMES = (
    "search_kb", "check_license", "find_catalog_item", "start_request", "answer_request_field",
    "change_request_field", "cancel_request", "my_tickets", "ticket_status", "create_incident",
    "escalate_to_human", "ask_to_rephrase",
)

__all__ = ["BUTTONS", "TOOL_NAMES", "WRITES", "build_tools"]


def build_tools(ctx: ToolContext) -> list[BaseTool[Any, Any] | Callable[..., Any]]:
    functions = [
        *knowledge_tools(ctx), *software_tools(ctx), *request_tools(ctx), *ticket_tools(ctx), *handover_tools(ctx),
    ]
    tools: list[BaseTool[Any, Any] | Callable[..., Any]] = [
        FunctionTool(fn, description=(fn.__doc__ or fn.__name__).strip(), name=fn.__name__) for fn in functions]
    assert tuple(fn.__name__ for fn in functions) == TOOL_NAMES, "keep TOOL_NAMES in step with the tool modules"
    return tools
