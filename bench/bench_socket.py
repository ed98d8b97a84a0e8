"""Chat UI load: employees over Chainlit's socket, the way the browser talks to the app.

Starts the sandbox and the real Chainlit app (``python -m copilot.serve app.py``, offline model, one process)
on a shared Redis, signs each employee in through ``/auth/jwt`` with a portal token (the widget's
path), opens a socket.io connection per employee with the session cookie, starts the chat
(``connection_successful``) and sends ``--messages`` messages ``--think`` seconds apart. A turn's
latency is from emitting ``client_message`` to the end of its ``on_message`` run (Chainlit updates the
run step when the handler returns; the reply is on screen by then). Errors: a refused/dropped
connection, an error message from the app, or a turn with no answer within 60 s. ``--profile FILE``
samples the app with py-spy during the employees phase.

Prints the figures and writes the "Chat UI over the socket" section of docs/benchmarks.md
(``--no-write`` to skip).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import socketio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_load import (  # noqa: E402
    API_KEY,
    MIX,
    Phase,
    measure,
    percentile,
    profile,
    requester_emails,
    sandbox_process,
    share_models,
    stop,
    wait_ready,
)

from copilot.eval.report import BENCHMARKS_MD, write_section  # noqa: E402
from copilot.ui.auth import mint_portal_token  # noqa: E402
from tests.servers import free_port  # noqa: E402

SECTION = "## Chat UI over the socket"
SECRET = "bench-socket-secret-0123456789-0123456789-abcdef"
TURN_SECONDS = 60.0


def start_app(sandbox_url: str, redis_url: str, data_dir: Path,
              models: Path | None = None) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    share_models(models, data_dir)
    env = {**os.environ, "COPILOT_ENV": "development", "COPILOT_FRESHSERVICE_URL": sandbox_url,
           "COPILOT_FRESHSERVICE_API_KEY": API_KEY, "COPILOT_REDIS_URL": redis_url, "COPILOT_DATA_DIR": str(data_dir),
           "CHAINLIT_AUTH_SECRET": SECRET, "COPILOT_LOG_LEVEL": "WARNING", "HF_HUB_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", "COPILOT_KB_SYNC_INTERVAL_SECONDS": "3600"}
    process = subprocess.Popen([sys.executable, "-m", "copilot.serve", "app.py", "--host", "127.0.0.1",
                                "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_ready(f"{url}/healthz", process)
    deadline = time.monotonic() + 600  # the first start embeds the articles: wait for the index
    while time.monotonic() < deadline:
        knowledge = httpx.get(f"{url}/healthz", timeout=10).json().get("components", {}).get("knowledge", {})
        if knowledge.get("status") == "ok":
            break
        time.sleep(2)
    return url, process


class Session:
    """One employee's browser tab: a signed-in socket that sends messages and waits for each reply."""

    def __init__(self, url: str, cookie: str) -> None:
        self.url, self.cookie = url, cookie
        self.client = socketio.AsyncClient(reconnection=False)
        self.done = asyncio.Event()
        self.failed: str | None = None
        self.replies = 0  # assistant messages received
        self.client.on("new_message", self._message)
        self.client.on("update_message", self._update)
        self.client.on("disconnect", self._disconnect)

    async def _update(self, data: dict[str, object]) -> None:
        # Chainlit updates a callback's run step when the callback returns: the end of the chat start or
        # of a turn. (``task_end`` is no such mark: one comes at once on connect, before the chat starts.)
        if data.get("type") == "run" and data.get("name") in ("on_chat_start", "on_message"):
            self.done.set()

    async def _message(self, data: dict[str, object]) -> None:
        if data.get("isError"):
            self.failed = "error message"
        elif data.get("type") == "assistant_message":
            self.replies += 1

    async def _disconnect(self, *_: object) -> None:
        self.failed = self.failed or "disconnected"
        self.done.set()

    async def open(self) -> None:
        auth = {"clientType": "webapp", "sessionId": str(uuid.uuid4()), "threadId": None, "userEnv": "{}",
                "chatProfile": None}
        await self.client.connect(self.url, socketio_path="/ws/socket.io", transports=["websocket"],
                                  headers={"Cookie": self.cookie}, auth=auth, wait_timeout=30)
        self.done.clear()
        await self.client.emit("connection_successful")
        await asyncio.wait_for(self.done.wait(), TURN_SECONDS)  # on_chat_start has opened the conversation

    async def say(self, text: str) -> float:
        self.done.clear()
        replies = self.replies
        started = time.perf_counter()
        message = {"threadId": "", "id": str(uuid.uuid4()), "name": "User", "type": "user_message", "output": text,
                   "createdAt": datetime.now(UTC).isoformat()}
        await self.client.emit("client_message", {"message": message, "fileReferences": []})
        await asyncio.wait_for(self.done.wait(), TURN_SECONDS)
        if self.failed:
            raise RuntimeError(self.failed)
        if self.replies == replies:
            raise RuntimeError("no reply")
        return time.perf_counter() - started


def sign_in(url: str, email: str) -> str:
    token = mint_portal_token(SECRET, email)
    response = httpx.post(f"{url}/auth/jwt", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    response.raise_for_status()
    return "; ".join(f"{k}={v}" for k, v in response.cookies.items())


async def employees(phase: Phase, url: str, cookies: list[str], messages: int, think: tuple[float, float],
                    seed: int) -> None:
    async def employee(index: int, cookie: str) -> None:
        rng = random.Random(seed * 100_003 + index)
        await asyncio.sleep(rng.uniform(0, think[1]))
        session = Session(url, cookie)
        try:
            await session.open()
        except Exception as error:  # noqa: BLE001 - counted by kind
            phase.errors[f"connect {type(error).__name__} {str(error)[:60]}".rstrip()] += 1  # the reason too
            return
        try:
            for number in range(messages):
                if number:
                    await asyncio.sleep(rng.uniform(*think))
                try:
                    phase.latencies.append(await session.say(rng.choice(MIX)[1]))
                except (TimeoutError, RuntimeError) as error:
                    phase.errors[str(error) or type(error).__name__] += 1
                    return
        finally:
            await session.client.disconnect()

    await asyncio.gather(*(employee(i, c) for i, c in enumerate(cookies)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=100)
    parser.add_argument("--messages", type=int, default=2)
    parser.add_argument("--think", type=float, nargs=2, default=(10.0, 30.0), metavar=("MIN", "MAX"))
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", type=Path, metavar="FILE", help="py-spy speedscope profile of the app")
    parser.add_argument("--models", type=Path, metavar="DIR",
                        help="an app data dir's models/ folder to share (skips exporting MiniLM at start)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    with sandbox_process() as (sandbox_url, sandbox), tempfile.TemporaryDirectory() as work:
        url, app = start_app(sandbox_url, args.redis, Path(work), args.models)
        try:
            emails = requester_emails(sandbox_url, args.employees)
            cookies = [sign_in(url, email) for email in emails]
            phase = Phase("employees", 1)
            phase.offered = len(cookies) / (sum(args.think) / 2)
            parts = {"app": [app.pid], "sandbox": [sandbox.pid], "client": [os.getpid()]}
            seconds = args.think[1] * (args.messages + 1)
            profiler = profile(app.pid, args.profile, seconds) if args.profile else None
            measure(phase, parts, employees(phase, url, cookies, args.messages, tuple(args.think), args.seed))
            if profiler is not None:
                profiler.wait()
        finally:
            stop(app)
    if not args.no_write:
        lines = [SECTION, "",
                 f"Generated by `bench/bench_socket.py --employees {args.employees} --messages {args.messages}` on "
                 f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()}-core machine: the real Chainlit app (one process, "
                 "offline model) and the sandbox on it, with the load generator (python-socketio, one process). Each "
                 "employee signs in with a portal token (the widget's path), opens a socket, starts the chat and sends "
                 f"{args.messages} messages {args.think[0]:g}–{args.think[1]:g} s apart; latency is from sending the "
                 "message to the app's end of turn (the reply is on screen).", "",
                 "| employees | turns | p50 | p95 | max | errors | app CPU/turn | machine load |", "|---|---|---|---|---|---|---|---|",
                 f"| {len(cookies)} | {phase.turns} | {1000 * percentile(phase.latencies, .5):.0f} ms | "
                 f"{1000 * percentile(phase.latencies, .95):.0f} ms | {1000 * max(phase.latencies, default=0):.0f} ms | "
                 f"{sum(phase.errors.values())} | {phase.cpu_ms_per_turn('app'):.1f} ms | {phase.load:.1f} |"]
        write_section(SECTION, "\n".join(lines))
        print(f"wrote {BENCHMARKS_MD}")


if __name__ == "__main__":
    main()
