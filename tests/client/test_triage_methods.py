"""Client methods the upcoming triage feature needs (no caller yet), over real HTTP against the sandbox.

Read tests use a sandbox pinned to a known ``now`` and compare with the seed built independently for
that same moment (``build_seed``), so counts, order and fields are checked, not just shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sandbox.seed import SeedData, build_seed
from sandbox.seed.acme import APPLICATIONS, CATALOG_CATEGORIES, DEPARTMENTS, GROUPS, LOCATIONS
from tests.client.support import ALICE, calls
from tests.conftest import SandboxHandle
from tools.freshservice import FreshserviceClient, NotFound, TicketUpdate, ValidationFailed


class Pinned:
    def __init__(self, handle: SandboxHandle, seed: SeedData, now: datetime) -> None:
        self.handle, self.seed, self.now = handle, seed, now

    def client(self, **options: Any) -> FreshserviceClient:
        return FreshserviceClient(self.handle.base_url, self.handle.api_key, **options)

    def person(self, email: str) -> dict[str, Any]:
        return next(r for r in self.seed.requesters if r["primary_email"] == email)


@pytest.fixture(scope="module")
def pinned(sandbox_factory: Callable[..., SandboxHandle]) -> Pinned:
    now = datetime.now(UTC).replace(microsecond=0)
    handle = sandbox_factory(now=now, knowledge="org")  # read-only: nothing here writes to it
    return Pinned(handle, build_seed(42, now, imported_articles=False), now)


def _at(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def _newest_first(tickets: list[dict[str, Any]]) -> list[int]:
    return [t["id"] for t in sorted(tickets, key=lambda t: (t["created_at"], t["id"]), reverse=True)]


# -- tickets -------------------------------------------------------------------------------------------


async def test_iter_tickets_default_window_follows_link_across_pages(pinned: Pinned) -> None:
    cutoff = datetime.now(UTC) - timedelta(days=30)
    expected = _newest_first([t for t in pinned.seed.tickets if _at(t["created_at"]) >= cutoff])
    assert 40 < len(expected) < len(pinned.seed.tickets)  # several pages, and the window really cuts
    pinned.handle.control("DELETE", "/_sandbox/requests")
    async with pinned.client(per_page=20) as client:
        tickets = [t async for t in client.iter_tickets()]
    assert [t.id for t in tickets] == expected  # newest first, nothing lost or repeated across pages
    pages = [c for c in calls(pinned.handle, "GET", "/api/v2/tickets") if c["path"] == "/api/v2/tickets"]
    assert len(pages) == -(-len(expected) // 20)
    assert all(t.tags is None for t in tickets)  # list items carry no tags (reference §6.5)


async def test_iter_tickets_updated_since_reaches_older_tickets(pinned: Pinned) -> None:
    seed = pinned.seed.tickets
    # a ticket last updated 45-90 days ago; the cutoff is one second after it, so it must be left out
    pivot = next(t for t in sorted(seed, key=lambda t: t["updated_at"])
                 if timedelta(days=45) < pinned.now - _at(t["updated_at"]) < timedelta(days=90))
    cutoff = _at(pivot["updated_at"]) + timedelta(seconds=1)
    expected = {t["id"] for t in seed if _at(t["updated_at"]) >= cutoff}
    old = {t["id"] for t in seed if _at(t["created_at"]) < pinned.now - timedelta(days=31)}
    async with pinned.client() as client:
        since_time = {t.id async for t in client.iter_tickets(updated_since=cutoff)}  # a datetime, sent as ...Z
        day = (pinned.now - timedelta(days=10)).date()
        since_day = {t.id async for t in client.iter_tickets(updated_since=day.isoformat())}
    assert since_time == expected and pivot["id"] not in since_time
    assert since_time & old  # updated_since lifts the 30-day creation window
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    assert since_day == {t["id"] for t in seed if _at(t["updated_at"]) >= midnight}


async def test_iter_tickets_filters_by_requester_and_type(pinned: Pinned) -> None:
    alice = pinned.person(ALICE)
    mine = [t for t in pinned.seed.tickets if t["requester_id"] == alice["id"]]
    long_ago = pinned.now - timedelta(days=365)
    async with pinned.client() as client:
        recent = [t async for t in client.iter_tickets(requester_id=alice["id"])]
        requests = [t async for t in client.iter_tickets(requester_id=alice["id"], type="Service Request",
                                                         updated_since=long_ago)]
    cutoff = datetime.now(UTC) - timedelta(days=30)
    assert [t.id for t in recent] == _newest_first([t for t in mine if _at(t["created_at"]) >= cutoff])
    assert [t.id for t in requests] == _newest_first([t for t in mine if t["type"] == "Service Request"])
    assert len(requests) == 2 and all(t.is_service_request for t in requests)  # Monitor (recent) and Headset (old)


async def test_update_ticket_sets_the_triage_fields(fresh: SandboxHandle) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key) as client:
        alice = await client.find_requester_by_email(ALICE)
        assert alice is not None
        vpn = [t async for t in client.iter_tickets(requester_id=alice.id) if t.subject == "Cannot connect to VPN from home"][0]
        desk = [g async for g in client.iter_groups() if g.name == "Desktop Support"][0]
        assert vpn.group_id != desk.id and vpn.category == "Network" and vpn.priority == 3
        change = TicketUpdate(category="Hardware", sub_category="Laptop", item_category="Dell Latitude 7450",
                              group_id=desk.id, responder_id=desk.members[1], priority=4)
        updated = await client.update_ticket(vpn.id, change)
        again = await client.get_ticket(vpn.id)
        missing = await client.find_ticket_by_idempotency_key("never-used-key")
    for ticket in (updated, again):
        assert (ticket.category, ticket.sub_category, ticket.item_category) == ("Hardware", "Laptop", "Dell Latitude 7450")
        assert (ticket.group_id, ticket.responder_id, ticket.priority) == (desk.id, desk.members[1], 4)
        assert ticket.subject == vpn.subject and ticket.requester_id == alice.id and ticket.status == vpn.status
    assert updated.updated_at is not None and vpn.updated_at is not None and updated.updated_at >= vpn.updated_at
    assert missing is None


async def test_update_ticket_validation_error_is_typed_with_field_errors(fresh: SandboxHandle) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key) as client:
        before = await client.get_ticket(1)
        with pytest.raises(ValidationFailed) as caught:
            await client.update_ticket(1, TicketUpdate(priority=9, group_id=12345, category="Pizza"))
        after = await client.get_ticket(1)
        with pytest.raises(NotFound):
            await client.update_ticket(99_999_999, TicketUpdate(priority=2))
    error = caught.value
    assert error.status == 400 and error.method == "PUT" and error.path.endswith("/tickets/1")
    assert set(error.field_messages()) == {"priority", "group_id", "category"}
    assert {e.code for e in error.errors} == {"invalid_value"}
    assert "Hardware" in error.field_messages()["category"]  # the message lists the allowed values
    assert (after.priority, after.group_id, after.category) == (before.priority, before.group_id, before.category)


async def test_list_requested_items(pinned: Pinned) -> None:
    dan = pinned.person("dan.okafor@acme.example")
    idea = next(i for i in pinned.seed.service_items if i["name"] == "JetBrains IntelliJ IDEA")
    ticket = next(t for t in pinned.seed.tickets if t["requester_id"] == dan["id"] and t["subject"].endswith(idea["name"]))
    incident = next(t for t in pinned.seed.tickets if t["type"] == "Incident")
    async with pinned.client() as client:
        items = await client.list_requested_items(ticket["id"])
        with pytest.raises(ValidationFailed):
            await client.list_requested_items(incident["id"])  # requested items exist only on service requests
    assert len(items) == 1
    item = items[0]
    assert item.service_item_id == idea["display_id"] and item.stage == 1 and item.quantity == 1
    assert item.cost_per_request == Decimal("600.00") and item.custom_fields["operating_system"] == "Windows"


# -- people and organisation ---------------------------------------------------------------------------


async def test_agents_groups_and_business_hours(pinned: Pinned) -> None:
    pinned.handle.control("DELETE", "/_sandbox/requests")
    async with pinned.client(per_page=10) as client:
        agents = [a async for a in client.iter_agents()]
        groups = [g async for g in client.iter_groups()]
        security = await client.get_group(groups[-1].id)
        lead = await client.get_agent(security.leaders[0])
        hours = await client.get_business_hours(security.business_hours_id)  # type: ignore[arg-type]
        with pytest.raises(NotFound):
            await client.get_agent(1)
        with pytest.raises(NotFound):
            await client.get_group(1)
    assert len(agents) == 29 == len(pinned.seed.agents) and len({a.id for a in agents}) == 29
    left = [a for a in agents if not a.active]  # three agents left last year: deactivated, in no group
    assert len(left) == 3 and all(a.member_of == [] for a in left)
    assert [c["path"] for c in calls(pinned.handle, "GET", "/api/v2/agents")].count("/api/v2/agents") == 3  # 10+10+9
    assert [a.first_name for a in agents] == sorted((a.first_name or "" for a in agents), key=str.lower)
    assert [g.name for g in groups] == [name for name, _, _ in GROUPS]
    assert [len(g.members) for g in groups] == [4, 4, 4, 4, 4, 5]
    by_id = {a.id: a for a in agents}
    for group in groups:  # agents and groups agree on membership
        assert all(group.id in by_id[m].member_of for m in group.members)
    assert security.name == "Security" and security.leaders == [security.members[0]]
    assert lead.id == security.leaders[0] and security.id in lead.member_of and lead.email == by_id[lead.id].email
    assert lead.custom_fields["skills"].startswith("phishing")
    assert hours.name == "Acme IT Service Desk" and hours.is_default and hours.time_zone == "London"
    assert set(hours.service_desk_hours) == {"monday", "tuesday", "wednesday", "thursday", "friday"}
    assert hours.service_desk_hours["monday"].beginning_of_workday == "8:00 am"  # type: ignore[union-attr]
    assert len(hours.list_of_holidays) == 6 and {h.holiday_name for h in hours.list_of_holidays} == {
        "New Year's Day", "Christmas Day", "Boxing Day"}


async def test_departments_locations_and_requester_queries(pinned: Pinned) -> None:
    engineering = next(d for d in pinned.seed.departments if d["name"] == "Engineering")
    expected = [r["id"] for r in sorted((r for r in pinned.seed.requesters if engineering["id"] in r["department_ids"]),
                                        key=lambda r: r["created_at"], reverse=True)]
    async with pinned.client(per_page=5) as client:
        departments = [d async for d in client.iter_departments()]
        locations = [x async for x in client.iter_locations()]
        head = await client.get_requester(next(d for d in departments if d.name == "Sales").head_user_id)  # type: ignore[arg-type]
        engineers = [r async for r in client.iter_requesters(f"department_id:{engineering['id']}")]
    assert [d.name for d in departments] == [name for name, _, _ in DEPARTMENTS]
    assert all(d.head_user_id and d.head_user_id == d.prime_user_id for d in departments)
    assert (head.first_name, head.last_name, head.job_title) == ("Carol", "Diaz", "VP Sales")
    assert [(x.name, x.city, x.country) for x in locations] == [(n, c, k) for n, c, k, _ in LOCATIONS]
    assert len(expected) > 60 and [r.id for r in engineers] == expected  # query pages of 30, newest first


# -- catalog, software, contracts, assets -------------------------------------------------------------


async def test_service_categories_and_item_search(pinned: Pinned) -> None:
    async with pinned.client(per_page=2) as client:
        categories = [c async for c in client.iter_service_categories()]
        monitors = await client.search_service_items("monitor")
        nothing = await client.search_service_items("submarine")
    assert [(c.name, c.description) for c in categories] == CATALOG_CATEGORIES
    hardware = next(c.id for c in categories if c.name == "Hardware")
    assert sorted(i.name for i in monitors) == ["Docking station", "Monitor"]
    assert all(i.category_id == hardware for i in monitors) and nothing == []


async def test_contracts_and_applications(pinned: Pinned) -> None:
    async with pinned.client(per_page=25) as client:
        contracts = [c async for c in client.iter_contracts()]
        apps = {a.name: a async for a in client.iter_applications()}
        figma = await client.get_application(apps["Figma"].id)
        idea_licences = await client.list_application_licenses(apps["JetBrains IntelliJ IDEA"].id)
        zip_licences = await client.list_application_licenses(apps["7-Zip"].id)
        figma_contract = await client.get_contract(next(c.id for c in contracts if c.software_id == figma.id))
        with pytest.raises(NotFound):
            await client.get_contract(1)
        with pytest.raises(NotFound):
            await client.get_application(1)
    assert len(contracts) == sum(len(licences) for *_, licences, _ in APPLICATIONS) == len({c.id for c in contracts})
    assert sorted(c.name or "" for c in contracts if c.status == "expired")[0].startswith("JetBrains IntelliJ IDEA")
    assert [c.status for c in contracts].count("expired") == 2  # IntelliJ's old contract and Sketch
    assert (figma.name, figma.application_type, figma.user_count, figma.installation_count) == ("Figma", "saas", 20, 0)
    assert figma_contract.license_type == "volume" and figma_contract.status == "active"
    assert figma_contract.item_cost_details[0].count == 20 and figma_contract.contract_number == f"CNTR-{figma_contract.id % 10000}"
    idea_contracts = {c.id: c for c in contracts if c.software_id == apps["JetBrains IntelliJ IDEA"].id}
    assert {x.id for x in idea_licences} == set(idea_contracts) and len(idea_licences) == 2
    assert {x.contract_id for x in idea_licences} == {c.contract_number for c in idea_contracts.values()}
    assert zip_licences == []


async def test_assets(pinned: Pinned) -> None:
    monitor_type = next(t["id"] for t in pinned.seed.asset_types if t["name"] == "Monitor")
    first_asset = next(a for a in pinned.seed.assets if a["display_id"] == 1)
    async with pinned.client() as client:
        plain = [a async for a in client.iter_assets()]
        monitors = [a async for a in client.iter_assets(filter=f"asset_type_id:{monitor_type}", include_type_fields=True)]
        one = await client.get_asset(1)
        with pytest.raises(NotFound):
            await client.get_asset(999)
    assert len(plain) == 150 and all(a.type_fields is None for a in plain)  # type_fields only on request
    assert len(monitors) == 25 and all(a.asset_type_id == monitor_type for a in monitors)
    assert all(f"product_{monitor_type}" in (a.type_fields or {}) for a in monitors)  # keys carry the type id
    t = one.asset_type_id
    assert (one.id, one.display_id, one.asset_tag, one.user_id) == (first_asset["id"], 1, "ACME-00001", first_asset["user_id"])
    assert one.type_fields and one.type_fields[f"asset_state_{t}"] == "In Use"
    assert one.type_fields[f"serial_number_{t}"] == first_asset["type_fields"][f"serial_number_{t}"]


async def test_article_search_ranks_titles_and_respects_the_users_view(pinned: Pinned) -> None:
    async with pinned.client() as client:
        as_agent = await client.search_solution_articles("runbook")
        as_alice = await client.search_solution_articles("runbook", user_email=ALICE)
        vpn = await client.search_solution_articles("GlobalProtect", user_email=ALICE)
    assert sorted(a.title for a in as_agent) == ["Runbook: VPN gateway failover", "Runbook: issuing a Temporary Access Pass"]
    assert as_alice == []  # agents-only folder: not visible to an employee
    assert vpn[0].title == "Connect to the VPN (GlobalProtect)" and all(a.status == 2 for a in vpn)
