"""The chat UI's thumbs, end to end: the real app in its own process, a socket.io client signed in with a portal
token, and ``PUT /feedback`` exactly as Chainlit's frontend sends it (``{feedback: {forId, threadId, value},
sessionId}`` with the ``access_token`` cookie). Chainlit runs ``@cl.on_feedback`` from that route; the checks are
what the employee sees on the socket and the ``feedback`` event the insights read from the audit stream.

What a thumbs said is told apart from what came after by a marker: once ``PUT /feedback`` has answered (it awaits
``on_feedback``), an over-long message is sent, whose fixed "too long" reply comes strictly after anything the
thumbs sent on the same socket.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
import redis.asyncio as aioredis
import socketio

from copilot.audit import STREAM_KEY
from copilot.ui.render import MAX_MESSAGE_BYTES, TOO_LONG
from tests.browser.conftest import RunningApp, knowledge_ready, running_app
from tests.conftest import SandboxHandle

HANG_GUARD = 180.0  # only so that a broken path fails instead of hanging; not a performance bound
PASSWORD_QUESTION = "how do I reset my password"


@pytest.fixture(scope="module")
def app(sandbox_factory: Callable[..., SandboxHandle], redis_url: str,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    data_dir = tmp_path_factory.mktemp("app-thumbs")
    with running_app(sandbox_factory(knowledge="org"), redis_url, str(data_dir), "app-thumbs.log",
                     knowledge_ready, 240) as running:
        yield running


@dataclass
class Shown:
    id: str
    thread_id: str
    text: str


@dataclass
class ChatSession:
    """One signed-in chat over socket.io: the assistant messages it was shown, in order."""
    app: RunningApp
    cookie: str
    session_id: str
    client: socketio.AsyncClient
    shown: list[Shown] = field(default_factory=list)
    actions: dict[str, list[str]] = field(default_factory=dict)
    turns_ended: int = 0
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def _add(self, step: dict[str, Any]) -> None:
        if step.get("type") != "assistant_message" or not step.get("output"):
            return
        async with self.arrived:
            self.shown.append(Shown(id=str(step["id"]), thread_id=str(step.get("threadId") or ""),
                                    text=str(step["output"])))
            self.arrived.notify_all()

    async def _task_end(self, _data: object = None) -> None:
        async with self.arrived:
            self.turns_ended += 1
            self.arrived.notify_all()

    async def _action(self, action: dict[str, Any]) -> None:
        self.actions.setdefault(str(action.get("forId")), []).append(str((action.get("payload") or {}).get("id")))

    async def wait_for(self, start: int, found: Callable[[list[Shown]], bool]) -> list[Shown]:
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: found(self.shown[start:])), HANG_GUARD)
        return self.shown[start:]

    async def ask(self, text: str) -> list[Shown]:
        """Sends ``text``; what the turn showed once it has ended (Chainlit's ``task_end``)."""
        start, ended = len(self.shown), self.turns_ended
        await self.say(text)
        await self.turns_over(ended + 1)
        return self.shown[start:]

    async def turns_over(self, count: int) -> None:
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: self.turns_ended >= count), HANG_GUARD)

    async def say(self, text: str) -> None:
        await self.client.emit("client_message", {"message": {
            "id": str(uuid.uuid4()), "threadId": "", "output": text, "type": "user_message", "name": "User",
            "createdAt": datetime.now(UTC).isoformat()}, "fileReferences": []})

    async def said_until_marker(self, start: int) -> list[Shown]:
        """Everything shown since ``start`` up to the reply to an over-long marker message (excluded)."""
        await self.say("x" * (MAX_MESSAGE_BYTES + 1))
        shown = await self.wait_for(start, lambda new: any(s.text == TOO_LONG for s in new))
        return shown[:next(i for i, s in enumerate(shown) if s.text == TOO_LONG)]

    async def thumbs(self, message: Shown, *, up: bool) -> httpx.Response:
        """What Chainlit's frontend sends when the thumbs under ``message`` is clicked."""
        body = {"feedback": {"forId": message.id, "threadId": message.thread_id, "value": 1 if up else 0},
                "sessionId": self.session_id}
        async with httpx.AsyncClient(base_url=self.app.url, timeout=HANG_GUARD,
                                     cookies={"access_token": self.cookie}) as http:
            return await http.put("/feedback", json=body)


def _token(app: RunningApp, email: str) -> str:
    return jwt.encode({"identifier": email, "metadata": {"email": email},
                       "exp": datetime.now(UTC) + timedelta(minutes=10)}, app.secret, algorithm="HS256")


@asynccontextmanager
async def _open_chat(app: RunningApp, email: str) -> AsyncIterator[ChatSession]:
    async with httpx.AsyncClient(base_url=app.url, timeout=60) as http:
        signed_in = await http.post("/auth/jwt", headers={"Authorization": f"Bearer {_token(app, email)}"})
    assert signed_in.status_code == 200, signed_in.text
    cookie = str(signed_in.cookies.get("access_token"))
    client = socketio.AsyncClient(reconnection=False)
    chat = ChatSession(app=app, cookie=cookie, session_id=str(uuid.uuid4()), client=client)
    client.on("action", chat._action)
    client.on("new_message", chat._add)
    client.on("task_end", chat._task_end)
    await client.connect(app.url, socketio_path="/ws/socket.io", transports=["websocket"], wait_timeout=30,
                         headers={"Cookie": f"access_token={cookie}"},
                         auth={"clientType": "webapp", "sessionId": chat.session_id, "threadId": "",
                               "userEnv": "{}", "chatProfile": ""})
    try:
        await client.emit("connection_successful")
        await chat.turns_over(2)  # Chainlit's task_end on connecting, then after on_chat_start (no greeting)
        yield chat
        assert client.connected, "the socket was dropped"
    finally:
        await client.disconnect()


async def _events_since(redis_url: str, start: str, email: str) -> list[dict[str, Any]]:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    try:
        entries = await redis.xrange(STREAM_KEY, min=f"({start}") or []
    finally:
        await redis.aclose()
    events = [json.loads(fields["event"]) for _, fields in entries if fields]
    return [e for e in events if e["employee"] == email]


async def _stream_end(redis_url: str) -> str:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    try:
        last = await redis.xrevrange(STREAM_KEY, count=1)
    finally:
        await redis.aclose()
    return str(last[0][0]) if last else "0-0"


async def _answered(chat: ChatSession) -> Shown:
    """Asks the password question; the knowledge answer it gets (a confident one: it names a full article)."""
    shown = await chat.ask(PASSWORD_QUESTION)
    answers = [s for s in shown if "Full article:" in s.text]
    assert len(answers) == 1, [s.text for s in shown]
    assert answers[0].thread_id, "a message without its thread can't be rated"
    return answers[0]


async def test_thumbs_down_on_a_knowledge_answer_is_audited_once_and_offers_the_next_article_or_a_person(
        app: RunningApp, redis_url: str) -> None:
    email = "dan.okafor@acme.example"
    start = await _stream_end(redis_url)
    async with _open_chat(app, email) as chat:
        answer = await _answered(chat)
        conversation = {e["conversation_id"] for e in await _events_since(redis_url, start, email)
                        if e["tool"] == "search_kb"}
        assert len(conversation) == 1, conversation
        before = len(chat.shown)
        response = await chat.thumbs(answer, up=False)
        assert response.status_code == 200 and response.json()["success"], response.text
        offered = await chat.said_until_marker(before)
    assert len(offered) == 1, [s.text for s in offered]
    text = offered[0].text
    assert "Sorry that didn't help" in text, text
    next_article = "The next closest article is" in text and "Full article:" in text
    person = "IT team" in text
    assert next_article or person, text
    assert "escalate" in chat.actions.get(offered[0].id, []), chat.actions
    if next_article:
        assert answer.text.split("Full article:")[1].split()[0] not in text, "the same article again"
    feedback = [e for e in await _events_since(redis_url, start, email) if e["tool"] == "feedback"]
    assert len(feedback) == 1, feedback
    assert feedback[0]["conversation_id"] in conversation
    assert feedback[0]["arguments"]["value"] == "down" and feedback[0]["arguments"]["channel"] == "web"


async def test_thumbs_up_is_audited_once_and_says_nothing(app: RunningApp, redis_url: str) -> None:
    email = "erin.walsh@acme.example"
    start = await _stream_end(redis_url)
    async with _open_chat(app, email) as chat:
        answer = await _answered(chat)
        after_answer = await _stream_end(redis_url)
        before = len(chat.shown)
        response = await chat.thumbs(answer, up=True)
        assert response.status_code == 200 and response.json()["success"], response.text
        said = await chat.said_until_marker(before)
    assert said == [], [s.text for s in said]
    conversation = {e["conversation_id"] for e in await _events_since(redis_url, start, email)
                    if e["tool"] == "search_kb"}
    after = await _events_since(redis_url, after_answer, email)
    assert [e["tool"] for e in after] == ["feedback"], after  # nothing else ran: no next article, no turn
    assert after[0]["conversation_id"] in conversation
    assert after[0]["arguments"]["value"] == "up" and after[0]["arguments"]["channel"] == "web"



async def test_thumbs_down_on_a_message_that_is_not_the_last_answer_is_audited_and_offers_nothing(
        app: RunningApp, redis_url: str) -> None:
    email = "bob.martin@acme.example"
    async with _open_chat(app, email) as chat:
        await _answered(chat)
        await chat.said_until_marker(len(chat.shown))
        not_an_answer = chat.shown[-1]  # the "too long" reply: the last knowledge answer is the one before it
        assert not_an_answer.text == TOO_LONG
        after_answer = await _stream_end(redis_url)
        response = await chat.thumbs(not_an_answer, up=False)
        assert response.status_code == 200 and response.json()["success"], response.text
        said = await chat.said_until_marker(len(chat.shown))
    assert said == [], [s.text for s in said]
    after = await _events_since(redis_url, after_answer, email)
    assert [e["tool"] for e in after] == ["feedback"], after
    assert after[0]["arguments"]["value"] == "down"
