"""Triage-learning fixtures: a sandbox of our own (tests create and resolve tickets on it), its history
pulled through the real client, and helpers that resolve tickets the way agents do (note + status 4)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from copilot.triage.history import PastTicket, pull_history
from copilot.triage.similar import SimilarTickets
from tests.conftest import SandboxHandle
from tools.freshservice import FreshserviceClient, Group, TicketCreate, TicketUpdate


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
