"""The seeded company is deterministic, internally consistent and in Freshservice's wire shape.

The sandbox serves the seed as-is, so a dangling id here becomes a 404 in a demo, and a seat count
that disagrees with the contracts makes the client's "seats available" test meaningless.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from sandbox.seed import COMPANY_DOMAIN, DEMO_EMPLOYEES, EXPECTED_SEATS, SeedData, build_seed

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
EXAMPLES = Path("/work/shared/reference/examples")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
UNLIMITED_TYPES = {"enterprise", "open_source", "free", "trial"}
FORMLESS = {"Wireless keyboard and mouse", "USB-C laptop charger", "USB-C to HDMI adapter", "Grammarly Business"}


@pytest.fixture(scope="module")
def data() -> SeedData:
    return build_seed(42, NOW)


def _public_keys(obj: dict[str, Any]) -> set[str]:
    return {k for k in obj if not k.startswith("_")}


def _example(name: str, *path: str | int) -> dict[str, Any]:
    value: Any = json.loads((EXAMPLES / name).read_text())
    for step in path:
        value = value[step]
    return value


def _seats(data: SeedData, app: dict[str, Any], today: date) -> dict[str, Any]:
    """Reference §12.4, computed from the seeded contracts, applications and users."""
    kept = [c for c in data.contracts if c["software_id"] == app["id"] and c["status"] == "active"
            and (not c["end_date"] or date.fromisoformat(c["end_date"][:10]) >= today)]
    unlimited = any(c["license_type"] in UNLIMITED_TYPES for c in kept)
    purchased = None
    if not unlimited:
        purchased = sum(next(line["count"] for line in c["item_cost_details"] if line["pricing_model"] == "per_unit")
                        for c in kept if c["license_type"] == "volume")
    used = (app["installation_count"] if app["application_type"] == "desktop"
            else len(data.application_users.get(app["id"], [])))
    return {"unlimited": unlimited, "purchased": purchased, "used": used,
            "available": None if purchased is None else purchased - used}


# -- determinism --------------------------------------------------------------------------------


def test_same_seed_and_now_give_the_same_company(data: SeedData) -> None:
    assert build_seed(42, NOW) == data
    assert build_seed(7, NOW).requesters != data.requesters


def test_default_now_is_the_current_second() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    seeded = build_seed(42, imported_articles=False)
    after = datetime.now(UTC).replace(microsecond=0)
    assert seeded in (build_seed(42, before, imported_articles=False), build_seed(42, after, imported_articles=False))


# -- shape --------------------------------------------------------------------------------------


def test_every_timestamp_is_wire_formatted(data: SeedData) -> None:
    bad: list[tuple[str, Any]] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                walk(child, f"{path}.{key}")
        elif isinstance(value, list):
            for child in value:
                walk(child, f"{path}[]")
        elif path.endswith("_at") and value is not None and not (isinstance(value, str) and STAMP.fullmatch(value)):
            bad.append((path, value))

    for f in dataclasses.fields(data):
        walk(getattr(data, f.name), f.name)
    assert not bad


def test_objects_carry_the_documented_keys(data: SeedData) -> None:
    pairs = [
        (data.tickets, _example("ticket_view.json", "ticket")),
        (next(iter(data.conversations.values())), _example("ticket_conversations_list.json", "conversations", 0)),
        (next(iter(data.requested_items.values())), _example("ticket_requested_items.json", "requested_items", 0)),
        (next(iter(data.approvals.values())), _example("ticket_approvals_list.json", "approvals", 0)),
        (data.solution_articles, _example("solution_article_view.json", "article")),
        (data.service_items, _example("service_catalog_item_view.json", "service_item")),
        (data.service_items[0]["custom_fields"],
         _example("service_catalog_item_with_custom_fields.json", "service_item", "custom_fields", 0)),
        (data.applications, _example("application_view.json", "application")),
        (data.contracts, _example("contracts_list.json", "contracts", 0)),
        (next(v for v in data.application_users.values() if v), _example("application_users.json", "application_users", 0)),
        (next(v for v in data.application_installations.values() if v),
         _example("application_installations.json", "installations", 0)),
    ]
    for objects, example in pairs:
        expected = set(example)
        for obj in objects:
            assert expected <= _public_keys(obj), sorted(expected - _public_keys(obj))
    # every object of a collection has the same keys (blank fields are None, never omitted)
    for f in dataclasses.fields(data):
        value = getattr(data, f.name)
        objects = [o for group in value.values() for o in group] if isinstance(value, dict) else value
        if isinstance(objects, list) and objects:
            assert len({frozenset(_public_keys(o)) for o in objects}) == 1, f.name


def test_ids_follow_the_conventions(data: SeedData) -> None:
    for name in ("requesters", "agents", "groups", "departments", "locations", "solution_articles",
                 "applications", "contracts", "service_items"):
        ids = [o["id"] for o in getattr(data, name)]
        assert all(i > 2**31 for i in ids) and len(set(ids)) == len(ids), name
    people = [o["id"] for o in data.requesters + data.agents]
    assert len(set(people)) == len(people)
    assert [t["id"] for t in data.tickets] == list(range(1, len(data.tickets) + 1))
    assert [i["display_id"] for i in data.service_items] == list(range(1, len(data.service_items) + 1))
    assert [a["display_id"] for a in data.assets] == list(range(1, len(data.assets) + 1))


# -- people and organisation ----------------------------------------------------------------------


def test_counts(data: SeedData) -> None:
    assert len(data.departments) == 8 and len(data.locations) == 4
    assert 280 <= len(data.requesters) <= 320
    assert 20 <= len(data.agents) <= 32 and len(data.groups) == 6
    assert len(data.business_hours) == 1 and data.business_hours[0]["is_default"]
    assert 22 <= len(data.service_items) <= 30 and len(data.service_categories) >= 4
    assert 35 <= len(data.applications) <= 45
    assert 120 <= len(data.assets) <= 180 and len(data.asset_types) >= 3
    assert 3000 <= len(data.tickets) <= 3600  # ~300 recent + a year of resolved history (history.py)


def test_people_and_organisation_are_consistent(data: SeedData) -> None:
    people = {r["id"]: r for r in data.requesters}
    departments = {d["id"] for d in data.departments}
    locations = {loc["id"] for loc in data.locations}
    emails = [r["primary_email"] for r in data.requesters]
    assert len(set(emails)) == len(emails) and all(e.endswith(f"@{COMPANY_DOMAIN}") for e in emails)
    for r in data.requesters:
        assert r["reporting_manager_id"] is None or r["reporting_manager_id"] in people
        assert len(r["department_ids"]) == 1 and set(r["department_ids"]) <= departments
        assert r["location_id"] in locations and r["active"] is True and r["custom_fields"] == {}
    assert all(d["head_user_id"] in people for d in data.departments)
    # managers form one tree: exactly one root (the CEO), no cycles, every head reports to it
    roots = [r for r in data.requesters if r["reporting_manager_id"] is None]
    assert len(roots) == 1
    for r in data.requesters:
        seen: set[int] = set()
        while r["reporting_manager_id"] is not None:
            assert r["id"] not in seen
            seen.add(r["id"])
            r = people[r["reporting_manager_id"]]
    assert all(people[d["head_user_id"]]["reporting_manager_id"] == roots[0]["id"] for d in data.departments)


def test_demo_employees_have_their_story(data: SeedData) -> None:
    by_email = {r["primary_email"]: r for r in data.requesters}
    assert {e["email"] for e in DEMO_EMPLOYEES} <= set(by_email)
    alice, bob, carol, dan, erin = (by_email[f"{n}@{COMPANY_DOMAIN}"] for n in
                                    ("alice.nguyen", "bob.martin", "carol.diaz", "dan.okafor", "erin.walsh"))
    departments = {d["name"]: d for d in data.departments}
    assert alice["reporting_manager_id"] == bob["id"] and bob["reporting_manager_id"] == carol["id"]
    assert departments["Sales"]["head_user_id"] == carol["id"]
    assert alice["department_ids"] == [departments["Sales"]["id"]]
    assert dan["department_ids"] == [departments["Engineering"]["id"]]
    assert erin["department_ids"] == [departments["Finance"]["id"]]
    tickets = [t for t in data.tickets if t["requester_id"] == alice["id"]]
    assert 4 <= len(tickets) <= 6
    assert any(t["type"] == "Incident" and t["status"] == 2 for t in tickets)
    assert any(t["type"] == "Service Request" and t["approval_status_name"] == "Requested" for t in tickets)
    assert any(t["status"] in (4, 5) for t in tickets)
    assert not [t for t in data.tickets if erin["id"] in (t["requester_id"], t["requested_for_id"])]


def test_agents_groups_and_the_api_agent(data: SeedData) -> None:
    agents = {a["id"]: a for a in data.agents}
    groups = {g["id"]: g for g in data.groups}
    assert data.api_agent_id in agents
    assert {g["name"] for g in data.groups} == {"Service Desk", "Desktop Support", "Network", "Identity & Access",
                                               "Software & Licensing", "Security"}
    hours = {b["id"] for b in data.business_hours}
    for g in data.groups:
        assert g["members"] and set(g["members"]) <= set(agents) and set(g["leaders"]) <= set(g["members"])
        assert g["business_hours_id"] in hours
    for a in data.agents:
        assert "primary_email" not in a and a["email"].endswith(f"@{COMPANY_DOMAIN}")
        assert set(a["member_of"]) <= set(groups)
        assert all(a["id"] in groups[g]["members"] for g in a["member_of"])
        assert isinstance(a["custom_fields"]["skills"], str)


def test_ticket_form_has_nested_categories(data: SeedData) -> None:
    fields = {f["name"]: f for f in data.ticket_form_fields}
    assert {"category", "status", "priority", "group"} <= set(fields)
    categories = {c["value"]: c for c in fields["category"]["choices"]}
    assert {"Hardware", "Software", "Network", "Access", "Email", "Other"} <= set(categories)
    assert all(c["nested_options"] for c in categories.values())
    # ticket categories come from the form
    for t in data.tickets:
        if t["category"] is not None:
            assert t["sub_category"] in {o["value"] for o in categories[t["category"]]["nested_options"]}


# -- knowledge base -----------------------------------------------------------------------------


def test_knowledge_base_includes_imported_and_own_articles(data: SeedData) -> None:
    articles = data.solution_articles
    folders = {f["id"]: f for f in data.solution_folders}
    categories = {c["id"] for c in data.solution_categories}
    imported = [a for a in articles if "MicrosoftDocs/OfficeDocs-Support" in a["description"]]
    assert len(imported) == 913
    assert all(a["keywords"] or a["tags"] for a in imported)
    assert len(articles) - len(imported) >= 30
    assert all(a["folder_id"] in folders and a["category_id"] == folders[a["folder_id"]]["category_id"] for a in articles)
    assert all(f["category_id"] in categories for f in folders.values())
    hidden = [f for f in folders.values() if f["visibility"] == 3]
    assert len(hidden) == 1 and sum(a["folder_id"] == hidden[0]["id"] for a in articles) >= 2
    assert sum(a["status"] == 1 for a in articles) == 2
    assert all(a["description_text"] and "<" not in a["description_text"][:50] for a in articles)


# -- catalog and approvals ----------------------------------------------------------------------


def test_each_service_item_has_a_form_and_an_approval_rule(data: SeedData) -> None:
    agents = {a["id"] for a in data.agents}
    categories = {c["id"] for c in data.service_categories}
    for item in data.service_items:
        assert item["category_id"] in categories and isinstance(item["cost"], str)
        assert re.fullmatch(r"\d+\.\d\d", item["cost"]) and item["visibility"] == 2 and item["deleted"] is False
        assert item["custom_fields"] or item["name"] in FORMLESS, item["name"]
        for position, field in enumerate(item["custom_fields"], 1):
            assert field["position"] == position and field["item_id"] == item["id"]
            assert re.fullmatch(r"[a-z0-9_]+", field["name"]) and isinstance(field["required"], bool)
            assert all(v is None or isinstance(v, str) for v in field["field_options"].values())
            if field["field_type"] == "custom_dropdown":
                assert field["choices"] and all(len(c) == 2 for c in field["choices"])
        for level in item["_approval_rule"]:
            kind = level["approver"]
            assert kind in ("reporting_manager", "department_head") or int(kind.split(":")[1]) in agents
            assert level["min_cost"] is None or isinstance(level["min_cost"], float)
    by_name = {i["name"]: i for i in data.service_items}
    assert {i["name"] for i in data.service_items if not i["custom_fields"]} == FORMLESS  # real catalogs have these
    assert by_name["Headset"]["_approval_rule"] == []
    assert any(lvl["approver"].startswith("agent:") for lvl in by_name["Temporary admin rights"]["_approval_rule"])


def test_service_requests_have_items_and_approvals(data: SeedData) -> None:
    people = {r["id"] for r in data.requesters} | {a["id"] for a in data.agents}
    items = {i["display_id"]: i for i in data.service_items}
    for t in data.tickets:
        if t["type"] != "Service Request":
            assert t["id"] not in data.requested_items and t["approval_status_name"] == "Not Requested"
            continue
        if t["id"] not in data.requested_items:  # an emailed request the agent retyped: words, no catalog item
            assert t["description_text"] and t["_stats"]["resolved_at"]
            continue
        requested = data.requested_items[t["id"]]
        assert requested and all(r["service_item_id"] in items for r in requested)
        if items[requested[0]["service_item_id"]]["_approval_rule"]:
            assert data.approvals.get(t["id"]), t["id"]
        for approval in data.approvals.get(t["id"], []):
            assert approval["approver_id"] in people
            assert approval["approval_status"]["name"] in ("requested", "approved", "rejected")
    assert set(data.approvals) <= {t["id"] for t in data.tickets if t["type"] == "Service Request"}


def test_tickets_cover_every_state(data: SeedData) -> None:
    people = {r["id"] for r in data.requesters}
    agents = {a["id"] for a in data.agents}
    groups = {g["id"] for g in data.groups}
    assert {t["status"] for t in data.tickets} >= {2, 3, 4, 5, 6}
    assert {t["type"] for t in data.tickets} == {"Incident", "Service Request"}
    assert {t["priority"] for t in data.tickets} == {1, 2, 3, 4}
    assert any(t["approval_status"] == 0 for t in data.tickets)
    assert any(t["group_id"] is None for t in data.tickets)
    oldest = min(t["created_at"] for t in data.tickets)
    assert (NOW - datetime.strptime(oldest, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)).days <= 366
    for t in data.tickets:
        assert t["requester_id"] in people and t["requested_for_id"] in people
        assert t["responder_id"] is None or t["responder_id"] in agents
        assert t["group_id"] is None or t["group_id"] in groups
        assert t["created_at"] <= t["updated_at"] <= NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert isinstance(t["tags"], list) and t["deleted"] is False and t["spam"] is False
    for ticket_id, conversations in data.conversations.items():
        assert all(c["ticket_id"] == ticket_id for c in conversations)
    statuses = Counter(t["status"] for t in data.tickets)
    assert statuses[2] and statuses[5]


# -- software, contracts and seats ----------------------------------------------------------------


def test_applications_match_their_users_and_installations(data: SeedData) -> None:
    apps = {a["id"]: a for a in data.applications}
    people = {r["id"] for r in data.requesters}
    assert set(data.application_users) <= set(apps) and set(data.application_installations) <= set(apps)
    assert all(c["software_id"] in apps for c in data.contracts if c["software_id"] is not None)
    assert "Software License" in {t["name"] for t in data.contract_types}
    for app in data.applications:
        users = data.application_users.get(app["id"], [])
        assert app["user_count"] == len(users), app["name"]
        assert all(u["user_id"] in people for u in users)
    assert {a["application_type"] for a in data.applications} == {"desktop", "saas"}


def test_installation_count_matches_installation_rows(data: SeedData) -> None:
    for app in data.applications:
        assert app["installation_count"] == len(data.application_installations.get(app["id"], [])), app["name"]


def test_expected_seats_agree_with_contracts_and_users(data: SeedData) -> None:
    apps = {a["name"]: a for a in data.applications}
    assert set(EXPECTED_SEATS) <= set(apps)
    for name, expected in EXPECTED_SEATS.items():
        computed = _seats(data, apps[name], NOW.date())
        assert {k: computed[k] for k in ("unlimited", "purchased", "used")} == \
               {k: expected[k] for k in ("unlimited", "purchased", "used")}, name
        assert expected["available"] == computed["available"], name


def test_expected_seats_available_is_purchased_minus_used(data: SeedData) -> None:
    apps = {a["name"]: a for a in data.applications}
    for name, expected in EXPECTED_SEATS.items():
        assert expected["available"] == _seats(data, apps[name], NOW.date())["available"], name


def test_expected_seats_cover_every_case(data: SeedData) -> None:
    seats = EXPECTED_SEATS
    assert seats["Adobe Acrobat Pro"]["available"] > 0  # a free seat for the demo request
    assert seats["Figma"]["available"] == 0 and seats["Figma"]["purchased"] == seats["Figma"]["used"]
    assert seats["Slack"]["unlimited"] and seats["Slack"]["purchased"] is None
    assert seats["JetBrains IntelliJ IDEA"]["purchased"] == 30  # the expired contract does not count
    assert any(s["purchased"] is not None and s["used"] > s["purchased"] for s in seats.values())  # over-used
    apps = {a["name"]: a for a in data.applications}
    statuses = Counter(c["status"] for c in data.contracts if c["software_id"] == apps["JetBrains IntelliJ IDEA"]["id"])
    assert statuses == {"active": 1, "expired": 1}
    # the catalog's software items are applications
    assert {"Adobe Acrobat Pro", "Figma", "Microsoft Visio", "JetBrains IntelliJ IDEA", "Zoom Pro"} <= \
           {i["name"] for i in data.service_items} & set(apps)


# -- assets -------------------------------------------------------------------------------------


def test_asset_type_fields_are_suffixed(data: SeedData) -> None:
    types = {t["id"] for t in data.asset_types}
    people = {r["id"] for r in data.requesters}
    serials = []
    for asset in data.assets:
        t = asset["asset_type_id"]
        assert t in types and asset["user_id"] in people
        assert {f"serial_number_{t}", f"asset_state_{t}", f"product_{t}"} <= set(asset["type_fields"])
        serials.append(asset["type_fields"][f"serial_number_{t}"])
    assert len(set(serials)) == len(serials)


# -- organisation articles ----------------------------------------------------------------------


def _words(html: str) -> int:
    return len(re.sub(r"<[^>]+>", " ", html).split())


def test_org_articles_are_real_how_tos() -> None:
    from sandbox.seed.org_articles import ORG_ARTICLES

    assert len(ORG_ARTICLES) >= 25
    assert len({title for _, title, _, _ in ORG_ARTICLES}) == len(ORG_ARTICLES)
    assert all(_words(body) >= 50 and "<h2>" in body for _, _, _, body in ORG_ARTICLES)
