"""A copilot served over real HTTP (REST channel) on top of a real sandbox and a real Redis.

The sandbox carries only Acme's own articles here (``knowledge="org"``) so the knowledge index
builds in seconds; the full 913-article index is exercised by the knowledge benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from sandbox.seed import DEMO_EMPLOYEES
from tests.conftest import SandboxHandle
from tests.servers import serve

TOKEN = "test-integration-token"
ALICE = DEMO_EMPLOYEES[0]["email"]


@dataclass
class Copilot:
    base_url: str
    sandbox: SandboxHandle

    def client(self, email: str = ALICE, token: str = TOKEN) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=60,
                            headers={"Authorization": f"Bearer {token}", "X-Employee-Email": email})


class Chat:
    """One conversation of one employee; ``say`` returns the reply as plain text (+ the raw JSON)."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        created = http.post("/api/v1/conversations")
        assert created.status_code == 201, created.text
        self.id = created.json()["id"]
        self.last: dict[str, Any] = {}

    def send(self, **body: Any) -> dict[str, Any]:
        response = self.http.post(f"/api/v1/conversations/{self.id}/messages", json=body)
        assert response.status_code == 200, response.text
        self.last = response.json()
        return self.last

    def say(self, text: str) -> str:
        return self.text(self.send(text=text))

    def press(self, action: str) -> str:
        return self.text(self.send(action=action))

    @staticmethod
    def text(reply: dict[str, Any]) -> str:
        return "\n".join(m["text"] for m in reply["messages"])

    @property
    def actions(self) -> list[str]:
        return [a["id"] for m in self.last.get("messages", []) for a in m.get("actions", [])]

    @property
    def citations(self) -> list[dict[str, Any]]:
        return [c for m in self.last.get("messages", []) for c in m.get("citations", [])]


@pytest.fixture(scope="session")
def copilot(sandbox_factory: Callable[..., SandboxHandle], redis_url: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Copilot]:
    from copilot.settings import Settings
    from copilot.web.standalone import create_api_app

    handle = sandbox_factory(knowledge="org")
    data_dir = tmp_path_factory.mktemp("copilot")
    settings = Settings(freshservice_url=handle.base_url, freshservice_api_key=handle.api_key, redis_url=redis_url,
                        data_dir=data_dir, api_tokens=TOKEN)
    with serve(create_api_app(settings)) as base_url:
        yield Copilot(base_url=base_url, sandbox=handle)


@pytest.fixture
def chat(copilot: Copilot) -> Iterator[Chat]:
    copilot.sandbox.control("POST", "/_sandbox/reset")
    with copilot.client() as http:
        yield Chat(http)


@pytest.fixture
def as_employee(copilot: Copilot) -> Iterator[Callable[[str], Chat]]:
    """Open chats as named employees on a freshly reset sandbox (closed afterwards)."""
    copilot.sandbox.control("POST", "/_sandbox/reset")
    opened = []

    def open_chat(email: str) -> Chat:
        http = copilot.client(email)
        opened.append(http)
        return Chat(http)

    yield open_chat
    for http in opened:
        http.close()
