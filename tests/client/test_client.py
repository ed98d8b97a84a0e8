"""The real client against a real sandbox over HTTP: pagination, limits, errors, retries, writes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from sandbox.seed import EXPECTED_SEATS
from tests.client.support import ALICE, calls, first
from tests.conftest import SandboxHandle
from tools.freshservice import (
    AuthenticationFailed,
    FreshserviceClient,
    NotFound,
    PlaceRequest,
    RateLimited,
    TicketCreate,
    Unavailable,
    ValidationFailed,
    seats_available,
)


class RecordingSleep:
    """Records the waits the client asks for and really waits (briefly) so the server clock moves."""

    def __init__(self, scale: float = 1.0) -> None:
        self.waits: list[float] = []
        self.scale = scale

    async def __call__(self, seconds: float) -> None:
        import asyncio

        self.waits.append(seconds)
        await asyncio.sleep(seconds * self.scale)


async def test_pagination_follows_link_over_several_pages(fresh: SandboxHandle) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key, per_page=40) as client:
        people = [r async for r in client.iter_requesters()]
    pages = calls(fresh, "GET", "/api/v2/requesters")
    assert len(people) >= 250 and len({p.id for p in people}) == len(people)
    assert len(pages) == -(-len(people) // 40)  # exactly one call per page, none after the last


async def test_rate_limit_429_is_waited_out_and_no_call_is_lost(sandbox_factory: Any) -> None:
    handle = sandbox_factory()
    handle.control("PUT", "/_sandbox/rate_limit", json={"per_minute": 60})
    sleep = RecordingSleep()
    async with FreshserviceClient(handle.base_url, handle.api_key, sleep=sleep) as client:
        results = [await client.get_me() for _ in range(64)]
        assert client.rate_limit.total == 60
    assert len(results) == 64 and all(r.id == results[0].id for r in results)
    assert sleep.waits and all(w >= 1 for w in sleep.waits)  # Retry-After honoured
    statuses = [c["status"] for c in calls(handle, "GET", "/agents/me")]
    assert statuses.count(429) == len(sleep.waits) and statuses.count(200) == 64


async def test_injected_429_uses_retry_after(fresh: SandboxHandle) -> None:
    fresh.control("PUT", "/_sandbox/faults", json={"sequence": ["429", "429"], "retry_after": 2, "path_regex": "/agents/me"})
    sleep = RecordingSleep(scale=0.01)
    async with FreshserviceClient(fresh.base_url, fresh.api_key, sleep=sleep) as client:
        me = await client.get_me()
    assert me.id and sleep.waits == [2.0, 2.0]


async def test_interactive_client_fails_fast_on_a_long_retry_after(fresh: SandboxHandle) -> None:
    fresh.control("PUT", "/_sandbox/faults", json={"ratios": {"429": 1.0}, "retry_after": 20, "path_regex": "/agents/me"})
    sleep = RecordingSleep(scale=0.0)
    async with FreshserviceClient(fresh.base_url, fresh.api_key, sleep=sleep, max_retry_after=10) as client:
        with pytest.raises(RateLimited) as caught:
            await client.get_me()
    assert caught.value.retry_after == 20 and sleep.waits == []  # told at once, not after 100 s


async def test_total_rate_limit_wait_is_capped(fresh: SandboxHandle) -> None:
    fresh.control("PUT", "/_sandbox/faults", json={"ratios": {"429": 1.0}, "retry_after": 6, "path_regex": "/agents/me"})
    sleep = RecordingSleep(scale=0.0)
    async with FreshserviceClient(fresh.base_url, fresh.api_key, sleep=sleep, max_retry_after=10,
                                  max_rate_limit_wait=15) as client:
        with pytest.raises(RateLimited):
            await client.get_me()
    assert sleep.waits == [6.0, 6.0]  # a third wait would pass the 15 s total


async def test_validation_errors_are_typed(fs_client: FreshserviceClient, sandbox: SandboxHandle) -> None:
    alice = await fs_client.find_requester_by_email(ALICE)
    assert alice is not None
    with pytest.raises(ValidationFailed) as caught:
        await fs_client.create_ticket(TicketCreate(requester_id=alice.id, subject="x", description="y", priority=9))
    assert caught.value.status == 400 and caught.value.errors[0].field == "priority"
    assert caught.value.errors[0].code == "invalid_value"
    with pytest.raises(ValidationFailed) as bad_category:
        await fs_client.create_ticket(TicketCreate(requester_id=alice.id, subject="x", description="y", category="Pizza"))
    assert "category" in bad_category.value.field_messages()


async def test_reads_are_retried_on_5xx_timeouts_and_drops(fresh: SandboxHandle) -> None:
    fresh.control("PUT", "/_sandbox/faults", json={"sequence": ["500", "503", "drop"], "path_regex": "/agents/me"})
    async with FreshserviceClient(fresh.base_url, fresh.api_key, backoff=0.01) as client:
        assert (await client.get_me()).id
    assert len(calls(fresh, "GET", "/agents/me")) == 4
    fresh.control("PUT", "/_sandbox/faults", json={"sequence": ["slow"], "slow_seconds": 1.5, "path_regex": "/agents/me"})
    async with FreshserviceClient(fresh.base_url, fresh.api_key, backoff=0.01, timeout=0.5) as client:
        assert (await client.get_me()).id


async def test_reads_give_up_with_a_clear_error(fresh: SandboxHandle) -> None:
    fresh.control("PUT", "/_sandbox/faults", json={"sequence": ["500"] * 6, "path_regex": "/agents/me"})
    async with FreshserviceClient(fresh.base_url, fresh.api_key, backoff=0.01, max_retries=2) as client:
        with pytest.raises(Unavailable) as caught:
            await client.get_me()
    assert caught.value.status == 500 and not caught.value.request_may_have_succeeded


async def test_creates_are_never_resent_blindly(fresh: SandboxHandle) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key, backoff=0.01) as client:
        alice = await client.find_requester_by_email(ALICE)
        assert alice is not None
        fresh.control("PUT", "/_sandbox/faults", json={"sequence": ["500"], "path_regex": "/tickets$", "methods": ["POST"]})
        with pytest.raises(Unavailable) as caught:
            await client.create_ticket(TicketCreate(requester_id=alice.id, subject="Printer jam", description="jam"))
        assert caught.value.request_may_have_succeeded
        assert len(calls(fresh, "POST", "/api/v2/tickets")) == 1


async def test_lost_answer_to_a_create_is_recovered_by_idempotency_key(fresh: SandboxHandle) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key, backoff=0.01) as client:
        alice = await client.find_requester_by_email(ALICE)
        assert alice is not None
        body = TicketCreate(requester_id=alice.id, subject="Monitor flickers", description="<p>flicker</p>")
        fresh.control("PUT", "/_sandbox/faults", json={"sequence": ["drop"], "path_regex": "/tickets$", "methods": ["POST"]})
        first = await client.create_ticket(body, idempotency_key="conv-1-turn-3")
        again = await client.create_ticket(body, idempotency_key="conv-1-turn-3")
        mine = [t async for t in client.filter_tickets(f"requester_id:{alice.id}") if t.subject == "Monitor flickers"]
    assert first.id == again.id and len(mine) == 1
    assert len(calls(fresh, "POST", "/api/v2/tickets")) == 1


async def test_wrong_key_is_an_authentication_error(sandbox: SandboxHandle) -> None:
    async with FreshserviceClient(sandbox.base_url, "not-the-key") as client:
        with pytest.raises(AuthenticationFailed) as caught:
            await client.get_me()
    assert caught.value.status == 401 and caught.value.code == "invalid_credentials"


async def test_filter_grammar(fs_client: FreshserviceClient) -> None:
    alice = await fs_client.find_requester_by_email(ALICE)
    assert alice is not None
    open_or_pending = [t async for t in fs_client.filter_tickets(f"requester_id:{alice.id} AND (status:2 OR status:3)")]
    everything = [t async for t in fs_client.filter_tickets(f"requester_id:{alice.id}")]
    assert open_or_pending and all(t.status in (2, 3) and t.requester_id == alice.id for t in open_or_pending)
    assert len(everything) > len(open_or_pending)
    urgent = [t async for t in fs_client.filter_tickets("priority:>3 AND agent_id:null")]
    assert urgent and all(t.priority >= 3 and t.responder_id is None for t in urgent)  # ":>" means >=
    with pytest.raises(ValidationFailed) as caught:
        async for _ in fs_client.filter_tickets("colour:'blue'"):
            pass
    assert caught.value.errors[0].code == "invalid_value"


async def test_not_found_is_typed(fs_client: FreshserviceClient) -> None:
    with pytest.raises(NotFound):
        await fs_client.get_ticket(99_999_999)


async def test_place_request_and_approval_flow(fresh: SandboxHandle) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key) as client:
        item = await first(client.iter_service_items(), lambda i: i.name == "Adobe Acrobat Pro")
        full = await client.get_service_item(item.display_id)
        answers = {f.name: _answer(f) for f in full.custom_fields if f.required}
        with pytest.raises(ValidationFailed) as missing:
            await client.place_request(item.display_id, PlaceRequest(email=ALICE, custom_fields={}))
        assert {e.code for e in missing.value.errors} == {"missing_field"}
        ticket = await client.place_request(item.display_id, PlaceRequest(email=ALICE, custom_fields=answers))
        assert ticket.is_service_request and ticket.approval_status is None
        assert ticket.approval_status_name == "Not Requested" and "Adobe Acrobat Pro" in (ticket.subject or "")
        items = await client.list_requested_items(ticket.id)
        assert items[0].service_item_id == item.display_id and items[0].stage_id == 1
        approvals = await client.list_approvals(ticket.id)
        manager = await client.get_requester((await client.find_requester_by_email(ALICE)).reporting_manager_id)  # type: ignore[union-attr,arg-type]
        assert approvals[0].approver_id == manager.id and approvals[0].approval_status.id == 0  # type: ignore[union-attr]
        assert (await client.get_ticket(ticket.id)).approval_status_name == "Requested"
        while pending := [a for a in await client.list_approvals(ticket.id) if a.approval_status.id == 0]:  # type: ignore[union-attr]
            decided = fresh.control("POST", f"/_sandbox/tickets/{ticket.id}/approvals/{pending[0].id}",
                                    json={"status": "approved", "remark": "ok"})
            assert decided.status_code == 200
        assert (await client.get_ticket(ticket.id)).approval_status_name == "Approved"


async def test_rejection_closes_the_request(fresh: SandboxHandle) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key) as client:
        item = await first(client.iter_service_items(), lambda i: i.name == "Adobe Acrobat Pro")
        full = await client.get_service_item(item.display_id)
        answers = {f.name: _answer(f) for f in full.custom_fields if f.required}
        ticket = await client.place_request(item.display_id, PlaceRequest(email=ALICE, custom_fields=answers))
        approval = (await client.list_approvals(ticket.id))[0]
        fresh.control("POST", f"/_sandbox/tickets/{ticket.id}/approvals/{approval.id}", json={"status": "rejected"})
        after = await client.get_ticket(ticket.id)
        assert after.approval_status_name == "Rejected" and after.status == 5
        assert (await client.list_requested_items(ticket.id))[0].stage_id == 3


@pytest.mark.parametrize("name", ["Adobe Acrobat Pro", "Figma", "Slack"])
async def test_seats_available(fs_client: FreshserviceClient, name: str) -> None:
    app = await first(fs_client.iter_applications(), lambda a: a.name == name)
    seats = await seats_available(fs_client, app.id, today=date.today())
    expected = EXPECTED_SEATS[name]
    assert (seats.unlimited, seats.purchased, seats.used, seats.available) == (
        expected["unlimited"], expected["purchased"], expected["used"], expected["available"])


async def test_seat_cases_cover_free_exhausted_and_unlimited(fs_client: FreshserviceClient) -> None:
    results = {}
    async for app in fs_client.iter_applications():
        if app.name in ("Adobe Acrobat Pro", "Figma", "Slack"):
            results[app.name] = await seats_available(fs_client, app.id)
    assert results["Adobe Acrobat Pro"].available and results["Adobe Acrobat Pro"].has_free_seat
    assert results["Figma"].available == 0 and not results["Figma"].has_free_seat
    assert results["Slack"].unlimited and results["Slack"].purchased is None


async def test_knowledge_listing(fs_client: FreshserviceClient) -> None:
    categories = [c async for c in fs_client.iter_solution_categories()]
    folders = [f for c in categories async for f in fs_client.iter_solution_folders(c.id)]
    assert any(not f.portal_visible for f in folders) and any(f.portal_visible for f in folders)
    visible = next(f for f in folders if f.portal_visible)
    articles = [a async for a in fs_client.iter_solution_articles(visible.id)]
    full = await fs_client.get_solution_article(articles[0].id)
    assert full.description and full.tags is not None
    found = await fs_client.search_solution_articles("VPN")
    assert found and all(a.published for a in found)


def _answer(field: Any) -> Any:
    if field.field_type in ("custom_dropdown", "custom_multi_select_dropdown"):
        choice = field.choices[0]
        return choice[1] if isinstance(choice, list) and len(choice) > 1 else choice
    if field.field_type == "custom_checkbox":
        return True
    if field.field_type in ("custom_number", "custom_decimal"):
        return 1
    if field.field_type == "custom_date":
        return date.today().isoformat()
    return "Needed for client contracts"


async def test_background_client_steps_aside_when_the_budget_runs_low(sandbox_factory: Any) -> None:
    handle = sandbox_factory()
    handle.control("PUT", "/_sandbox/rate_limit", json={"per_minute": 60})
    sleep = RecordingSleep()
    async with FreshserviceClient(handle.base_url, handle.api_key, sleep=sleep, yield_below=0.5) as background:
        for _ in range(40):
            await background.get_me()
    statuses = [c["status"] for c in calls(handle, "GET", "/agents/me")]
    assert statuses.count(429) == 0  # it waited before the budget ran out instead of hitting the limit
    assert sleep.waits and background.rate_limit.remaining is not None
    assert background.rate_limit.remaining >= 60 * 0.5 - 2
