"""Turn engine results into Chainlit messages: text, sources, tool steps and buttons.

Everything shown comes from the engine's typed results; article passages and ticket text are
plain text rendered as Markdown with raw HTML disabled (``unsafe_allow_html = false``), so HTML or
script in an article, a ticket or a message is shown, never executed.
"""

from __future__ import annotations

import re

import chainlit as cl

from copilot.engine import TurnResult
from tools.results import ToolActivity

ACTION_NAME = "copilot_action"
_MD_SPECIAL = re.compile(r"([\[\]()])")


def _link(title: str, url: str) -> str:
    label = _MD_SPECIAL.sub(r"\\\1", title)
    target = url.replace(")", "%29").replace(" ", "%20")
    return f"[{label}]({target})"


def message_text(text: str, citations: list[tuple[str, str]]) -> str:
    if not citations:
        return text
    sources = " · ".join(_link(title, url) for title, url in citations)
    return f"{text}\n\n**Sources:** {sources}"


async def clear_actions() -> None:
    """Remove every button of the last offer, not only the one pressed (no stale Cancel)."""
    for action in cl.user_session.get("open_actions") or []:
        await action.remove()
    cl.user_session.set("open_actions", [])


async def show_activity(activity: ToolActivity) -> None:
    async with cl.Step(name=activity.title, type="tool", show_input=False) as step:
        step.output = activity.summary if activity.ok else f"Did not work: {activity.summary}"
        step.is_error = not activity.ok


async def render(result: TurnResult, streamed: cl.Message | None = None) -> None:
    for activity in result.activities:
        await show_activity(activity)
    for index, reply in enumerate(result.messages):
        actions = [cl.Action(name=ACTION_NAME, payload={"id": a.id}, label=a.label, tooltip=a.label)
                   for a in reply.actions]
        content = message_text(reply.text, [(c.title, c.url) for c in reply.citations])
        if index == 0 and streamed is not None:
            streamed.content, streamed.actions = content, actions
            await streamed.send()
        else:
            await cl.Message(content=content, actions=actions).send()
        if actions:
            cl.user_session.set("open_actions", actions)  # removed together once one is pressed
    if result.handoff:
        await cl.context.emitter.send_toast("You're now talking to the IT team through your ticket.", "info")
