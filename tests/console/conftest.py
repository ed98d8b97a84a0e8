"""The real app (``python -m copilot.serve app.py`` in its own process, as in production) on a sandbox and a real
Redis, with the SSO proxy header configured, for the reviewer-queue routes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from copilot.triage.proposal import ProposalStore
from tests.browser.conftest import RunningApp, running_app
from tests.conftest import SandboxHandle
from tools.freshservice import FreshserviceClient

PROXY_SECRET = "console-proxy-secret-4f1c2b7e9a"
PROXY_HEADER = "X-Forwarded-Email"
MODES_YAML = """default: shadow
rules:
  - {type: Incident, category: Network, mode: autonomous, send_kb_reply: true}
  - {category: Hardware, mode: assist}
"""


def redis_ok(response: httpx.Response) -> bool:
    return bool(response.json().get("components", {}).get("redis", {}).get("status") == "ok")


@pytest.fixture(scope="module")
def console_app(sandbox_factory: Callable[..., SandboxHandle], redis_url: str,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    handle = sandbox_factory(knowledge="org")
    data_dir = tmp_path_factory.mktemp("console")
    modes = data_dir / "modes.yaml"
    modes.write_text(MODES_YAML)
    with running_app(handle, redis_url, str(data_dir), "console-app.log", redis_ok, 180,
                     extra_env={"COPILOT_AUTH_HEADER": PROXY_HEADER, "COPILOT_AUTH_PROXY_SECRET": PROXY_SECRET,
                                "COPILOT_TRIAGE_CONSOLE_AGENT_CACHE_SECONDS": "0",
                                "COPILOT_TRIAGE_MODES_FILE": str(modes)}) as running:
        yield running


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url, decode_responses=True)
    async for key in client.scan_iter(match="copilot:triage:*"):
        await client.delete(key)
    async for key in client.scan_iter(match="copilot:console:*"):
        await client.delete(key)
    yield client
    await client.aclose()


@pytest.fixture
def proposals(redis: aioredis.Redis) -> ProposalStore:
    return ProposalStore(redis)


@pytest.fixture
async def fs(console_app: RunningApp) -> AsyncIterator[FreshserviceClient]:
    async with FreshserviceClient(console_app.sandbox.base_url, console_app.sandbox.api_key) as client:
        yield client


@pytest.fixture
async def http(console_app: RunningApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=console_app.url, timeout=60) as client:
        yield client


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]+)"', html)
    assert found, f"no hidden field {name!r} in the page"
    return found.group(1)


async def sign_in(http: httpx.AsyncClient, email: str, password: str = "demo") -> httpx.Response:
    """The demo password form, as a browser sends it (the form's nonce and its cookie included)."""
    page = await http.get("/console/sign-in")
    assert page.status_code == 200, page.text
    return await http.post("/console/sign-in", data={"login": hidden(page.text, "login"), "email": email,
                                                     "password": password})


async def csrf(http: httpx.AsyncClient) -> str:
    page = await http.get("/console")
    assert page.status_code == 200, page.text
    return hidden(page.text, "csrf")


def puts(handle: SandboxHandle, ticket_id: int) -> list[dict[str, Any]]:
    """``PUT /tickets/<id>`` calls the sandbox received since its log was last cleared."""
    found = handle.control("GET", "/_sandbox/requests").json()["requests"]
    return [c for c in found if c["method"] == "PUT" and c["path"] == f"/api/v2/tickets/{ticket_id}"]
