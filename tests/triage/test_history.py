"""History pulls: incremental through the real client, resolutions in agents' words, rate budget respected."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from copilot.rate_budget import BACKGROUND_BUDGET_SHARE, background_client
from copilot.settings import Settings
from copilot.triage.history import HistoryStore, pull_history, sync_history
from tests.conftest import SandboxHandle
from tests.triage.conftest import group_named, recent, resolve_ticket
from tools.freshservice import FreshserviceClient, TicketCreate, TicketUpdate


async def test_second_pull_reads_only_what_changed(learn_client: FreshserviceClient, tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    first = await sync_history(store, learn_client, since=recent())
    assert first.pulled == first.resolved > 100  # the seeded company's resolved and closed tickets
    assert len(store) == first.pulled and store.cursor is not None
    again = await sync_history(store, learn_client)
    assert again.pulled == 0  # nothing changed: no conversation is read again
    assert again.listed < first.listed  # and only the tickets updated since the cursor are listed

    desk = await group_named(learn_client, "Desktop Support")
    new_id = await resolve_ticket(learn_client, "Docking station USB-C ports dead",
                                  "Nothing plugged into the dock works since this morning.", group_id=desk.id,
                                  responder_id=desk.members[1],
                                  resolution="Resolved: updated the dock firmware to 1.0.20 and replaced the power brick.")
    third = await sync_history(store, learn_client)
    assert third.pulled == 1
    stored = {t.ticket_id: t for t in store.tickets()}
    assert stored[new_id].resolution.startswith("Resolved: updated the dock firmware")
    assert stored[new_id].responder_id == desk.members[1] and stored[new_id].group_id == desk.id
    assert len(stored) == first.pulled + 1


async def test_a_ticket_that_changes_after_its_pull_is_pulled_again(learn_client: FreshserviceClient,
                                                                    tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    desk = await group_named(learn_client, "Service Desk")
    ticket_id = await resolve_ticket(learn_client, "Calendar invites arrive twice", "Every invite shows up two times.",
                                     group_id=desk.id, responder_id=desk.members[0],
                                     resolution="Fixed by removing the duplicate delegate in Outlook.")
    await sync_history(store, learn_client, since=datetime.now(UTC) - timedelta(minutes=5))
    await asyncio.sleep(1.1)  # Freshservice timestamps have whole seconds
    await learn_client.update_ticket(ticket_id, TicketUpdate(status=5, category="Email"))
    report = await sync_history(store, learn_client)
    assert report.pulled == 1
    stored = {t.ticket_id: t for t in store.tickets()}[ticket_id]
    assert (stored.status, stored.category) == (5, "Email")


async def test_resolution_is_the_agents_resolution_not_the_requester_or_our_own_note(
        learn_client: FreshserviceClient) -> None:
    started = datetime.now(UTC) - timedelta(seconds=2)
    ticket = await learn_client.create_ticket(TicketCreate(subject="Teams camera black", description="Camera is black.",
                                                           email="dan.okafor@acme.example", priority=2))
    await learn_client.add_note(ticket.id, "<p>Checked the driver version, testing a fix.</p>")
    await learn_client.add_note(ticket.id, "<p>Root cause: the privacy shutter driver was outdated. Reinstalled the "
                                           "camera driver from Company Portal.</p>")
    await learn_client.add_note(ticket.id, "<p>Triage proposal</p>", idempotency_key="triage:123")  # the copilot's note
    await learn_client.update_ticket(ticket.id, TicketUpdate(status=4))
    pulled = [t async for t in pull_history(learn_client, since=started)]
    mine = next(t for t in pulled if t.ticket_id == ticket.id)
    assert mine.resolution.startswith("Root cause: the privacy shutter driver was outdated")


def test_the_training_command_pulls_with_the_background_client() -> None:
    client = background_client(Settings(env="development"))
    assert client.yield_below == BACKGROUND_BUDGET_SHARE


async def test_pull_steps_aside_while_the_budget_is_low(sandbox_factory: Callable[..., SandboxHandle]) -> None:
    """On a 100-credit plan drained below the 30 % reserve, the background pull waits for credits to
    come back before each call, and an employee's call right after it is still served."""
    tiny = sandbox_factory(knowledge="org", plan="starter")
    async with FreshserviceClient(tiny.base_url, tiny.api_key) as interactive:
        desk = await group_named(interactive, "Network")
        since = datetime.now(UTC) - timedelta(seconds=2)
        for n in range(2):
            await resolve_ticket(interactive, f"VPN drops every hour ({n})", "The VPN disconnects.", group_id=desk.id,
                                 responder_id=desk.members[0], resolution="Fixed: reinstalled GlobalProtect 6.2.")
        while (interactive.rate_limit.remaining or 0) > 28:  # drain to just under the reserve
            await interactive.get_me()
        waits: list[float] = []

        async def recording_sleep(seconds: float) -> None:
            waits.append(seconds)
            await asyncio.sleep(seconds)

        async with FreshserviceClient(tiny.base_url, tiny.api_key, yield_below=BACKGROUND_BUDGET_SHARE,
                                      sleep=recording_sleep) as background:
            await background.get_me()  # learns the budget left, like any first call
            seen: list[int] = []
            pull = pull_history(background, since=since)
            async for ticket in pull:
                seen.append(ticket.ticket_id)
                assert (background.rate_limit.remaining or 0) >= 0
        assert len(seen) == 2
        assert waits and sum(waits) > 0  # it yielded instead of spending the employees' reserve
        me = await interactive.get_me()  # the interactive call goes through (no 429 left behind)
        assert me.id
        assert (interactive.rate_limit.remaining or 0) >= BACKGROUND_BUDGET_SHARE * 100 - 10
