"""The copilot's task tools for one turn, as AutoGen FunctionTools bound to its ToolContext, and the
filled registries of buttons and confirmed writes (importing the tool modules fills them).

The tools are closures over the turn's context, so they are built per turn; what does not depend on
the turn — the typed signature, the pydantic argument model and the JSON schema the model sees — is
built once per process and tool (a tool's schema is read on every model call, and generating it was
about a quarter of a turn's CPU).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

from autogen_core.tools import BaseTool, FunctionTool, ToolSchema

from tools.actions import BUTTONS, WRITES
from tools.context import ToolContext
from tools.handover import handover_tools
from tools.knowledge import knowledge_tools
from tools.requests import request_tools
from tools.software import software_tools
from tools.tickets import ticket_tools

TOOL_NAMES = (
    "search_kb", "check_license", "find_catalog_item", "start_request", "answer_request_field",
    "change_request_field", "cancel_request", "resume_request", "my_tickets", "ticket_status", "create_incident",
    "escalate_to_human", "ask_to_rephrase",
)

__all__ = ["BUTTONS", "TOOL_NAMES", "WRITES", "build_tools"]


def _detached(**_: Any) -> None:
    raise RuntimeError("a shared tool template is not bound to a turn")


class TurnTool(FunctionTool):
    """A FunctionTool for one turn's closure that reuses the process-wide argument model and schema of
    every other closure of the same function (same code, defaults, name and description)."""

    _shared: ClassVar[dict[tuple[Any, ...], FunctionTool]] = {}

    def __init__(self, func: Callable[..., Any], description: str, name: str) -> None:
        key = (func.__code__, repr(func.__defaults__), repr(func.__kwdefaults__), name, description)
        template = self._shared.get(key)
        if template is None:
            template = FunctionTool(func, description=description, name=name)
            template.__dict__["_schema_json"] = json.dumps(template.schema)
            template._func = _detached  # the template never runs; it must not keep a turn's context alive
            self._shared[key] = template
        self.__dict__.update(template.__dict__)
        self._func = func

    @property
    def schema(self) -> ToolSchema:
        schema: ToolSchema = json.loads(self.__dict__["_schema_json"])  # a fresh copy each time (cheaper than
        return schema  # deepcopy): callers may adjust what they get, the shared one stays intact


def build_tools(ctx: ToolContext) -> list[BaseTool[Any, Any] | Callable[..., Any]]:
    functions = [
        *knowledge_tools(ctx), *software_tools(ctx), *request_tools(ctx), *ticket_tools(ctx), *handover_tools(ctx),
    ]
    tools: list[BaseTool[Any, Any] | Callable[..., Any]] = [
        TurnTool(fn, description=(fn.__doc__ or fn.__name__).strip(), name=fn.__name__) for fn in functions]
    assert tuple(fn.__name__ for fn in functions) == TOOL_NAMES, "keep TOOL_NAMES in step with the tool modules"
    return tools
