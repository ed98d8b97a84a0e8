"""Triage fixtures against real parts.

Intake: the sandbox over HTTP (it sends the webhooks itself), the webhook route served by uvicorn, a
real Redis, and a worker reading the real stream. Learning: a sandbox of its own (tests create and
resolve tickets on it), its history pulled through the real client, and helpers that resolve tickets
the way agents do (note + status 4)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from copilot.triage.history import PastTicket, pull_history
from copilot.triage.similar import SimilarTickets
from tests.conftest import SandboxHandle
from tests.servers import serve
from tools.freshservice import FreshserviceClient, Group, TicketCreate, TicketUpdate

SECRET = "kV9q3T0xB7mR2pZ8wL4nY6cF1hJ5sD0aE3uG7iO9"  # 40 random characters: passes the production check
HEADER = "X-Webhook-Token"


@dataclass
class Intake:
    """The app (webhook route) and the sandbox that sends to it."""

    base_url: str
    sandbox: SandboxHandle
    settings: Any
    redis_url: str

    def post(self, body: Any = None, *, secret: str | None = SECRET, content: bytes | None = None,
             headers: dict[str, str] | None = None, params: dict[str, str] | None = None) -> httpx.Response:
        sent = {HEADER: secret} if secret is not None else {}
        sent.update(headers or {})
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            if content is not None:
                return http.post("/webhooks/freshservice", content=content, params=params,
                                 headers={"Content-Type": "application/json", **sent})
            return http.post("/webhooks/freshservice", json=body, headers=sent, params=params)

    def send_webhooks_here(self, events: list[str] | None = None) -> None:
        """Configure the sandbox's Workflow-Automator-style webhook to point at this app."""
        target = {"url": f"{self.base_url}/webhooks/freshservice", "header_name": HEADER, "header_value": SECRET,
                  "events": events or ["ticket_created", "ticket_updated"]}
        assert self.sandbox.control("POST", "/_sandbox/webhooks", json=target).status_code == 201


def triage_settings(sandbox: SandboxHandle, redis_url: str, data_dir: Path, **overrides: Any) -> Any:
    from copilot.settings import Settings

    values: dict[str, Any] = {"freshservice_url": sandbox.base_url, "freshservice_api_key": sandbox.api_key,
                              "redis_url": redis_url, "data_dir": data_dir, "api_tokens": "test-integration-token",
                              "webhook_secret": SECRET, "triage_worker": "off", "triage_claim_idle_seconds": 1.0,
                              "triage_retry_max_seconds": 4.0, "triage_max_attempts": 3}
    return Settings(**{**values, **overrides})


@pytest.fixture(scope="session")
def triage_sandbox(sandbox_factory: Callable[..., SandboxHandle]) -> SandboxHandle:
    return sandbox_factory(knowledge="org")


def webhook_app(settings: Any) -> Any:
    """The production webhook router and failure handlers on their own FastAPI app (the REST app would
    also fit the offline NLU at start-up, which this route never uses)."""
    from fastapi import FastAPI

    from copilot.web import routes, webhooks

    app = FastAPI()
    app.state.settings = settings
    routes.install(app, webhooks.router)
    return app


@pytest.fixture(scope="session")
def intake(triage_sandbox: SandboxHandle, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Intake]:
    settings = triage_settings(triage_sandbox, redis_url, tmp_path_factory.mktemp("triage"))
    with serve(webhook_app(settings)) as base_url:
        yield Intake(base_url=base_url, sandbox=triage_sandbox, settings=settings, redis_url=redis_url)


async def clear_triage(redis: aioredis.Redis) -> None:
    """Forget every triage key (stream, group, dedup keys, proposals) between tests."""
    for pattern in ("copilot:{triage}:*", "copilot:triage:*"):
        keys = [k async for k in redis.scan_iter(match=pattern, count=1000)]
        if keys:
            await redis.delete(*keys)


@pytest.fixture
async def redis(intake: Intake) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(intake.redis_url, decode_responses=True)
    await clear_triage(client)
    yield client
    await clear_triage(client)
    await client.aclose()


@pytest.fixture(scope="session")
async def knowledge(triage_sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The real knowledge index, synced from the sandbox's own (org) articles."""
    from copilot.knowledge.sync import KnowledgeBase
    from tools.freshservice import FreshserviceClient

    kb = KnowledgeBase(tmp_path_factory.mktemp("kb"), triage_sandbox.base_url)
    async with FreshserviceClient(triage_sandbox.base_url, triage_sandbox.api_key) as client:
        await kb.sync(client)
    return kb


async def wait_until(check: Callable[[], Any], within: float = 60.0, every: float = 0.1) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; fail after ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(every)


def triage_notes(sandbox: SandboxHandle, ticket_id: int) -> list[dict[str, Any]]:
    """The triage notes on a ticket, read through the sandbox's API like an agent would."""
    response = sandbox.control("GET", f"/api/v2/tickets/{ticket_id}/conversations")
    response.raise_for_status()
    return [c for c in response.json()["conversations"]
            if c.get("private") and "Copilot triage suggestion" in (c.get("body") or "")]


# -- learning (triage-learn) ----------------------------------------------------------------------


def recent() -> datetime:
    """The window the tests pull (the sandbox also holds 12 months of history; the benchmark reads it all)."""
    return datetime.now(UTC) - timedelta(days=60)


@pytest.fixture(scope="session")
def learn_sandbox(sandbox_factory: Callable[..., SandboxHandle]) -> SandboxHandle:
    """One sandbox for the triage-learning tests; they add tickets to it but never rely on its totals."""
    return sandbox_factory(knowledge="org")


@pytest.fixture(scope="session")
async def history(learn_sandbox: SandboxHandle) -> list[PastTicket]:
    """The last 60 days of resolved tickets, pulled once through the real client."""
    async with FreshserviceClient(learn_sandbox.base_url, learn_sandbox.api_key) as client:
        return [t async for t in pull_history(client, since=recent())]


@pytest.fixture(scope="session")
def index(history: list[PastTicket], learn_sandbox: SandboxHandle) -> SimilarTickets:
    return SimilarTickets.build(history, base_url=learn_sandbox.base_url)


@pytest.fixture
async def learn_client(learn_sandbox: SandboxHandle) -> AsyncIterator[FreshserviceClient]:
    async with FreshserviceClient(learn_sandbox.base_url, learn_sandbox.api_key) as client:
        yield client


async def group_named(client: FreshserviceClient, name: str) -> Group:
    async for group in client.iter_groups():
        if group.name == name:
            return group
    raise AssertionError(f"no group {name}")


async def resolve_ticket(client: FreshserviceClient, subject: str, description: str, *, group_id: int,
                         responder_id: int, resolution: str, category: str | None = None, sub: str | None = None,
                         requester: str = "alice.nguyen@acme.example", **extra: Any) -> int:
    """Create a ticket, let ``responder_id`` write ``resolution`` as a private note, then resolve it."""
    ticket = await client.create_ticket(TicketCreate(subject=subject, description=description, email=requester,
                                                     priority=2, group_id=group_id, responder_id=responder_id,
                                                     category=category, sub_category=sub, **extra))
    await client.add_note(ticket.id, f"<p>{resolution}</p>", private=True)
    await client.update_ticket(ticket.id, TicketUpdate(status=4))
    return ticket.id
