"""The chat UI (the real Chainlit app, over its socket) when Redis stops and comes back mid-conversation:
a plain sentence, never "Error 111 connecting to 127.0.0.1", and the same chat goes on afterwards. The
app's log of all this holds no message text."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jwt
import pytest
import socketio

from tests.conftest import SandboxHandle
from tests.conversation.test_failures import RedisServer
from tests.core.test_app_process import ROOT, later
from tests.servers import free_port

SECRET = "Hs4Pq8Wn2Zc6Lv0Tb3Kx7Mf1Rj5Gd9Ye-Oa_Ui4Qs"
REPLY_SECONDS = 60.0


@dataclass
class App:
    url: str
    redis: RedisServer
    sandbox: SandboxHandle
    log_path: Path


@pytest.fixture(scope="module")
def app(sandbox_factory: Callable[..., SandboxHandle], tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    sandbox = sandbox_factory(knowledge="org")
    server = RedisServer(tmp_path_factory.mktemp("chat-redis"))
    server.start()
    data_dir = tmp_path_factory.mktemp("chat-app")
    port = free_port()
    env = {**os.environ, "COPILOT_ENV": "development", "COPILOT_FRESHSERVICE_URL": sandbox.base_url,
           "COPILOT_FRESHSERVICE_API_KEY": sandbox.api_key, "COPILOT_REDIS_URL": server.url,
           "COPILOT_DATA_DIR": str(data_dir), "CHAINLIT_AUTH_SECRET": SECRET,
           "COPILOT_KB_SYNC_INTERVAL_SECONDS": "3600", "COPILOT_URGENT_CONTACT": "call 555-0100"}
    log = (data_dir / "app.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "copilot.serve", "app.py", "--host", "127.0.0.1",
                                "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, (data_dir / "app.log").read_text()[-2000:]
            try:
                if httpx.get(f"{url}/healthz", timeout=3).json()["components"]["redis"]["status"] == "ok":
                    break
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.5)
        yield App(url=url, redis=server, sandbox=sandbox, log_path=data_dir / "app.log")
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        server.stop()


@dataclass
class ChatTab:
    """One signed-in browser tab, spoken to over Chainlit's socket.io protocol."""

    client: socketio.AsyncClient
    shown: dict[str, str] = field(default_factory=dict)  # message id -> its text as last sent or updated
    ended: asyncio.Event = field(default_factory=asyncio.Event)  # the run of the last callback was updated (it ended)

    async def say(self, text: str) -> list[str]:
        before = set(self.shown)
        self.ended.clear()
        await self.client.emit("client_message", {"message": {
            "id": str(uuid.uuid4()), "threadId": "", "output": text, "type": "user_message", "name": "User",
            "createdAt": datetime.now(UTC).isoformat()}, "fileReferences": []})
        await asyncio.wait_for(self.ended.wait(), REPLY_SECONDS)
        assert self.client.connected, "the socket was dropped"
        return [text for key, text in self.shown.items() if key not in before]


@pytest.fixture
async def tab(app: App) -> AsyncIterator[ChatTab]:
    email = "bob.martin@acme.example"
    signed = jwt.encode({"identifier": email, "metadata": {"email": email}, "exp": later()}, SECRET, algorithm="HS256")
    async with httpx.AsyncClient(timeout=30) as http:
        cookie = (await http.post(f"{app.url}/auth/jwt", headers={"Authorization": f"Bearer {signed}"})).cookies
    client = socketio.AsyncClient(reconnection=False)
    opened = ChatTab(client)

    async def on_message(step: dict[str, object]) -> None:
        if step.get("type") not in ("user_message", "run") and step.get("output"):
            opened.shown[str(step.get("id"))] = str(step["output"])

    async def on_update(step: dict[str, object]) -> None:
        if step.get("type") == "run" and step.get("name") in ("on_chat_start", "on_message"):
            opened.ended.set()  # Chainlit updates a callback's run step when the callback returns
        else:
            await on_message(step)

    async def on_delete(step: dict[str, object]) -> None:
        opened.shown.pop(str(step.get("id")), None)  # a streamed answer taken down to be re-sent after its steps

    client.on("new_message", on_message)  # a streamed reply arrives empty, then as an update
    client.on("delete_message", on_delete)
    client.on("update_message", on_update)

    await client.connect(app.url, socketio_path="/ws/socket.io", transports=["websocket"], wait_timeout=15,
                         headers={"Cookie": f"access_token={cookie.get('access_token')}"},
                         auth={"clientType": "webapp", "sessionId": str(uuid.uuid4()), "threadId": "",
                               "userEnv": "{}", "chatProfile": ""})
    try:
        await client.emit("connection_successful")
        await asyncio.wait_for(opened.ended.wait(), REPLY_SECONDS)  # the chat has started
        yield opened
    finally:
        await client.disconnect()
        if app.redis.process is None:
            app.redis.start()


async def test_redis_stopped_and_restarted_mid_chat_gets_a_sentence_then_the_chat_goes_on(app: App, tab: ChatTab) -> None:
    assert any("Bob" in text for text in await tab.say("hi"))
    app.redis.stop()
    shown = " ".join(await tab.say("what's the status of my tickets? (Project Bluefin laptop)"))
    assert "Error" not in shown and "127.0.0.1" not in shown and "Traceback" not in shown, shown
    assert "nothing you sent was lost" in shown.lower(), shown
    app.redis.start()  # an empty server: the conversation's state is gone, the employee is not told to sign in
    after = " ".join(await tab.say("what's the status of my tickets?"))
    assert "went wrong" not in after and "sign in" not in after.lower(), after
    assert "lost track of our earlier conversation" in after and "INC-" in after, after
    assert any("INC-" in text for text in await tab.say("what is the status of my tickets?"))  # and it goes on


async def test_the_log_of_failed_and_served_turns_holds_no_message_text(app: App, tab: ChatTab) -> None:
    await tab.say("my manager Quentin Zabriskie wants the Bluefin budget sheet")
    app.redis.stop()
    await tab.say("Zabriskie says the Bluefin sheet is urgent")
    app.redis.start()
    await tab.say("still need the Bluefin budget sheet for Zabriskie")
    logged = app.log_path.read_text(errors="replace")
    assert "chat_unavailable" in logged  # the failure was logged, by its kind
    assert "Bluefin" not in logged and "Zabriskie" not in logged
