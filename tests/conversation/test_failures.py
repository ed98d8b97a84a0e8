"""Failures have words, never 500s: the REST channel against its own real Redis server (started,
stopped and restarted here), a real sandbox with fault injection, and the app in its own process
(its settings are small on purpose: 2 turn slots, a 4-connection Redis pool, a 3 s turn budget)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from tests.conftest import SandboxHandle
from tests.conversation.conftest import ALICE, TOKEN, Chat
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SLOTS = 2
BUDGET_SECONDS = 3
SERVE = ("import uvicorn; from copilot.settings import Settings; from copilot.web.standalone import create_api_app; "
         "from copilot.web.serving import MAX_REQUEST_HEAD_BYTES; "
         "import os; uvicorn.run(create_api_app(Settings(), sync_knowledge=False), host='127.0.0.1', "
         "port=int(os.environ['PORT']), log_level='warning', h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES)")


class RedisServer:
    """A real redis-server on a free port that the test can stop and start again."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.5).ping():
                    return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, decode_responses=True)


@dataclass
class App:
    base_url: str
    sandbox: SandboxHandle
    redis: RedisServer

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=60,
                            headers={"Authorization": f"Bearer {TOKEN}", "X-Employee-Email": ALICE})

    def faults(self, **plan: object) -> None:
        self.sandbox.control("PUT", "/_sandbox/faults", json=plan).raise_for_status()


@pytest.fixture(scope="module")
def app(sandbox_factory: Callable[..., SandboxHandle], tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    sandbox = sandbox_factory(knowledge="org")
    server = RedisServer(tmp_path_factory.mktemp("redis-server"))
    server.start()
    port = free_port()
    env = {**os.environ, "COPILOT_ENV": "development", "COPILOT_FRESHSERVICE_URL": sandbox.base_url,
           "COPILOT_FRESHSERVICE_API_KEY": sandbox.api_key, "COPILOT_REDIS_URL": server.url,
           "COPILOT_DATA_DIR": str(tmp_path_factory.mktemp("app")), "COPILOT_API_TOKENS": TOKEN, "PORT": str(port),
           "COPILOT_MAX_CONCURRENT_TURNS": str(SLOTS), "COPILOT_TURN_QUEUE_TIMEOUT": "0.5",
           "COPILOT_REDIS_MAX_CONNECTIONS": "4", "COPILOT_REDIS_POOL_TIMEOUT": "0.5",
           "COPILOT_TURN_BUDGET_SECONDS": str(BUDGET_SECONDS), "COPILOT_URGENT_CONTACT": "call 555-0100"}
    process = subprocess.Popen([sys.executable, "-c", SERVE], cwd=ROOT, env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, "the app exited"
            try:
                httpx.get(f"{base_url}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the app did not start"
                time.sleep(0.2)
        yield App(base_url=base_url, sandbox=sandbox, redis=server)
    finally:
        process.terminate()
        process.wait(timeout=15)
        server.stop()


@pytest.fixture
def fresh(app: App) -> Iterator[App]:
    app.sandbox.control("POST", "/_sandbox/reset")
    app.sandbox.control("DELETE", "/_sandbox/faults")
    if app.redis.process is None:
        app.redis.start()
    forget_rate_pauses(app)
    yield app
    app.sandbox.control("DELETE", "/_sandbox/faults")
    if app.redis.process is None:
        app.redis.start()


def forget_rate_pauses(app: App) -> None:
    """A 429 with Retry-After pauses every client of the account through Redis (copilot/rate_budget.py):
    each test starts without the previous test's pause."""
    from copilot.rate_budget import KEY_PREFIX

    client = app.redis.client()
    for key in client.scan_iter(match=f"{KEY_PREFIX}*"):
        client.delete(key)


def assert_polite(response: httpx.Response, status: int = 503) -> str:
    assert response.status_code == status, response.text
    message = response.json()["detail"]["error"]
    assert "Error" not in message and "Traceback" not in message and "127.0.0.1" not in message
    return str(message)


def test_saturated_turn_queue_answers_503_with_retry_after_never_500(fresh: App) -> None:
    fresh.faults(ratios={"slow": 1.0}, slow_seconds=1.5, path_regex="tickets")  # each turn holds its slot >= 1.5 s
    with fresh.http() as http:
        chats = [Chat(http) for _ in range(SLOTS * 4)]

        def ask(chat: Chat) -> httpx.Response:
            return http.post(f"/api/v1/conversations/{chat.id}/messages", json={"text": "what's the status of my tickets?"})

        with ThreadPoolExecutor(len(chats)) as pool:
            responses = list(pool.map(ask, chats))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.count(200) >= 1 and statuses.count(503) >= 1, statuses
    busy = next(r for r in responses if r.status_code == 503)
    assert int(busy.headers["Retry-After"]) >= 1
    assert "busy" in assert_polite(busy)


def test_redis_down_is_503_everywhere_and_the_app_recovers_when_it_is_back(fresh: App) -> None:
    with fresh.http() as http:
        chat = Chat(http)
        assert "Alice" in chat.say("hi")
        fresh.redis.stop()
        said = http.post(f"/api/v1/conversations/{chat.id}/messages", json={"text": "hi again"})
        assert "nothing you sent was lost" in assert_polite(said).lower() and said.headers["Retry-After"]
        assert_polite(http.post("/api/v1/conversations"))
        assert_polite(http.get(f"/api/v1/conversations/{chat.id}"))
        fresh.redis.start()  # a fresh, empty server: the old conversation is gone, a new one works
        again = Chat(http)
        assert "Alice" in again.say("hi")


def test_rate_limited_it_system_fails_fast_in_words(fresh: App) -> None:
    fresh.faults(ratios={"429": 1.0}, retry_after=20, path_regex="tickets")
    with fresh.http() as http:
        reply = Chat(http).say("what's the status of my tickets?")
    assert "IT system is busy" in reply


def test_slow_it_system_is_cut_at_the_turn_budget_and_said_in_words(fresh: App) -> None:
    fresh.faults(ratios={"slow": 1.0}, slow_seconds=BUDGET_SECONDS * 3, path_regex="tickets")
    with fresh.http() as http:
        chat = Chat(http)
        reply = chat.say("what's the status of my tickets?")
        assert "IT system is slow" in reply and "call 555-0100" in reply and "kept" in reply
        fresh.sandbox.control("DELETE", "/_sandbox/faults")
        transcript = http.get(f"/api/v1/conversations/{chat.id}").json()["transcript"]
    assert [e["role"] for e in transcript] == ["employee", "copilot"]  # the message was not lost
    assert transcript[0]["text"] == "what's the status of my tickets?"


def test_stale_lock_of_a_crashed_worker_frees_itself(fresh: App) -> None:
    with fresh.http() as http:
        chat = Chat(http)
        # A "crashed" worker holds the lock; its TTL is short, as a real one's would be without renewal.
        fresh.redis.client().set(f"copilot:conv:{chat.id}:lock", "crashed-worker", px=1500)
        assert "Alice" in chat.say("hi")  # waits for the stale lock to expire instead of answering 409


def test_oversized_employee_header_is_a_400_with_words(fresh: App) -> None:
    """Sent in 4 KB pieces, as a slow link delivers it: the server reads the whole head (uvicorn's default limit
    answered a bare 400 and closed, which the client saw as a reset) and the app says what is wrong."""
    host, port = fresh.base_url.removeprefix("http://").split(":")
    head = (f"POST /api/v1/conversations HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"X-Employee-Email: {'a' * 65536}@acme.example\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        for start in range(0, len(head), 4096):
            connection.sendall(head[start:start + 4096])
            time.sleep(0.002)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"400", answer[:300]
    body = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert "too long" in body["detail"]["error"]


def test_freshservice_down_is_503_with_the_urgent_line(fresh: App) -> None:
    fresh.faults(ratios={"503": 1.0}, path_regex="requesters")
    with httpx.Client(base_url=fresh.base_url, timeout=60,
                      headers={"Authorization": f"Bearer {TOKEN}",
                               "X-Employee-Email": "bob.martin@acme.example"}) as http:  # not cached yet
        message = assert_polite(http.post("/api/v1/conversations"))
    assert "unreachable" in message and "call 555-0100" in message
