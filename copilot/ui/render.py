"""Turn engine results into Chainlit messages: text, sources, tool steps and buttons.

Everything shown comes from the engine's typed results; article passages and ticket text are
plain text rendered as Markdown with raw HTML disabled (``unsafe_allow_html = false``), so HTML or
script in an article, a ticket or a message is shown, never executed. Markdown images and links
from that content go through :func:`copilot.ui.markdown.safe_markdown` (streamed tokens too): no
remote image is loaded and every link shows its real target. The copilot's own sources keep their
title and show their host.
"""

from __future__ import annotations

import asyncio
import re

import chainlit as cl

from copilot.engine import TurnResult
from copilot.ui.markdown import host_of, safe_markdown
from tools.results import ToolActivity

ACTION_NAME = "copilot_action"
# socket.io drops the connection on a frame above its buffer (1 MB by default): raise it moderately and
# answer a message above the REST body limit with words instead of running the turn.
MAX_SOCKET_BYTES = 4 * 1024 * 1024
MAX_MESSAGE_BYTES = 64 * 1024
TOO_LONG = ("That message is too long for me (over 64 KB), so I didn't read it. Please send a shorter one — "
            "the first few paragraphs or the exact error message are enough.")
STREAM_SECONDS = 0.1  # at most ten streamed frames a second per reply
_MD_SPECIAL = re.compile(r"([\[\]()])")


def _link(title: str, url: str) -> str:
    label = _MD_SPECIAL.sub(r"\\\1", title)
    target = url.replace(")", "%29").replace(" ", "%20")
    return f"[{label}]({target})"


def _source(title: str, url: str) -> str:
    host = _MD_SPECIAL.sub(r"\\\1", host_of(url))
    return f"{_link(title, url)} ({host})"


def message_text(text: str, citations: list[tuple[str, str]]) -> str:
    text = safe_markdown(text)
    if not citations:
        return text
    sources = " · ".join(_source(title, url) for title, url in citations)
    return f"{text}\n\n**Sources:** {sources}"


class SafeStream:
    """An ``on_token`` that streams ``message`` through safe_markdown: appends while the safe text only
    grows, resends the whole text when a completed image or link was rewritten.

    Each socket.io frame costs the app CPU (encode, websocket frame, write) and a model streams a word or
    two per token, so tokens are coalesced: the first goes out at once, later ones at most every
    ``STREAM_SECONDS`` (a timer sends what is still waiting). :meth:`close` when the turn is over: the
    reply itself (``Message.send``) then carries the whole text, or takes the streamed draft down."""

    def __init__(self, message: cl.Message) -> None:
        self.message = message
        self.raw: list[str] = []
        self.sent = ""  # the safe text the browser has
        self.last = 0.0  # loop time of the last frame
        self.timer: asyncio.TimerHandle | None = None
        self.closed = False

    async def __call__(self, token: str) -> None:
        if self.closed:
            return
        self.raw.append(token)
        loop = asyncio.get_running_loop()
        wait = self.last + STREAM_SECONDS - loop.time()
        if not self.sent or wait <= 0:
            await self.flush()
        elif self.timer is None:
            self.timer = loop.call_later(wait, lambda: loop.create_task(self.flush()))

    async def flush(self) -> None:
        """Send the text not yet sent (nothing once closed)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.closed:
            return
        safe = safe_markdown("".join(self.raw))
        if safe == self.sent:
            return
        self.last = asyncio.get_running_loop().time()
        sent, self.sent = self.sent, safe  # before the await: a timer's flush may run meanwhile
        if safe.startswith(sent):
            await self.message.stream_token(safe[len(sent):])
        else:
            await self.message.stream_token(safe, is_sequence=True)

    def close(self) -> None:
        """No more frames: the turn's reply replaces the draft."""
        self.closed = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


def safe_stream(message: cl.Message) -> SafeStream:
    return SafeStream(message)


async def clear_actions() -> None:
    """Remove every button of the last offer, not only the one pressed (no stale Cancel)."""
    for action in cl.user_session.get("open_actions") or []:
        await action.remove()
    cl.user_session.set("open_actions", [])


async def show_activity(activity: ToolActivity) -> None:
    async with cl.Step(name=activity.title, type="tool", show_input=False) as step:
        summary = safe_markdown(activity.summary)
        step.output = summary if activity.ok else f"Did not work: {summary}"
        step.is_error = not activity.ok


async def render(result: TurnResult, streamed: cl.Message | None = None) -> list[str]:
    """Tool steps first, then the answer they led to, then the buttons. An answer already streamed before
    its steps were known is taken down and sent again after them (a fresh message also gets a timestamp after
    the steps'), so the chat reads in order. Returns the ids of the messages sent."""
    if streamed is not None and result.activities:
        if getattr(streamed, "streaming", False):
            await streamed.remove()
        streamed = None
    for activity in result.activities:
        await show_activity(activity)
    sent: list[str] = []
    for index, reply in enumerate(result.messages):
        actions = [cl.Action(name=ACTION_NAME, payload={"id": a.id}, label=a.label, tooltip=a.label)
                   for a in reply.actions]
        content = message_text(reply.text, [(c.title, c.url) for c in reply.citations])
        if index == 0 and streamed is not None:
            streamed.content, streamed.actions = content, actions
            await streamed.send()
            sent.append(streamed.id)
        else:
            sent.append((await cl.Message(content=content, actions=actions).send()).id)
        if actions:
            cl.user_session.set("open_actions", actions)  # removed together once one is pressed
    if result.handoff:
        await cl.context.emitter.send_toast("You're now talking to the IT team through your ticket.", "info")
    return sent
