"""The per-turn tools share one argument model and schema per function, and each runs its own closure."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from autogen_core import CancellationToken
from autogen_core.tools import FunctionTool

from tools.toolset import TOOL_NAMES, TurnTool


def closure(offset: int) -> Callable[[int, str], Awaitable[str]]:
    async def shift(number: int, label: str = "n") -> str:
        """Add the turn's offset to a number."""
        return f"{label}={number + offset}"

    return shift


def test_turn_tools_share_the_schema_but_run_their_own_closure() -> None:
    first, second = (TurnTool(closure(n), description="Add the offset.", name="shift") for n in (1, 100))
    plain = FunctionTool(closure(1), description="Add the offset.", name="shift")
    assert first.schema == plain.schema == second.schema
    assert first.args_type() is second.args_type()
    token = CancellationToken()
    assert asyncio.run(first.run_json({"number": 1}, token)) == "n=2"
    assert asyncio.run(second.run_json({"number": 1, "label": "x"}, token)) == "x=101"


def test_a_changed_schema_copy_does_not_leak_into_the_next_turn() -> None:
    tool = TurnTool(closure(1), description="Add the offset.", name="shift")
    schema = tool.schema
    schema["parameters"]["properties"].clear()
    assert "number" in TurnTool(closure(2), description="Add the offset.", name="shift").schema["parameters"]["properties"]


def test_a_different_description_is_a_different_tool() -> None:
    one = TurnTool(closure(1), description="Add the offset.", name="shift")
    other = TurnTool(closure(1), description="Shift it.", name="shift")
    assert one.schema["description"] != other.schema["description"]
    assert len(TOOL_NAMES) == len(set(TOOL_NAMES))
