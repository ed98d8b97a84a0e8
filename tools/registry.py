"""All copilot tools for one conversation, as AutoGen FunctionTools bound to its ToolDeps."""

from __future__ import annotations

from autogen_core.tools import FunctionTool

from copilot.approvals import ApprovalRules
from tools.answers import knowledge_tools, software_tools
from tools.deps import ToolDeps
from tools.handover import handover_tools
from tools.requests import request_tools
from tools.tickets import ticket_tools

TOOL_NAMES = (
    "search_kb", "check_license", "find_catalog_item", "start_request", "answer_request_field",
    "change_request_field", "cancel_request", "my_tickets", "ticket_status", "create_incident",
    "escalate_to_human", "ask_to_rephrase",
)


def build_tools(deps: ToolDeps, rules: ApprovalRules) -> list[FunctionTool]:
    functions = [
        *knowledge_tools(deps), *software_tools(deps), *request_tools(deps, rules),
        *ticket_tools(deps), *handover_tools(deps),
    ]
    tools = [FunctionTool(fn, description=(fn.__doc__ or fn.__name__).strip(), name=fn.__name__)
             for fn in functions]
    assert tuple(t.name for t in tools) == TOOL_NAMES, "keep TOOL_NAMES in step with the tool modules"
    return tools
