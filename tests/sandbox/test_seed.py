"""The seeded company is deterministic and internally consistent."""

from __future__ import annotations

from datetime import UTC, datetime

from sandbox.seed import DEMO_EMPLOYEES, EXPECTED_SEATS, build_seed

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_same_seed_same_company() -> None:
    assert build_seed(42, NOW) == build_seed(42, NOW)
    assert build_seed(42, NOW).requesters != build_seed(7, NOW).requesters


def test_people_and_organisation_are_consistent() -> None:
    data = build_seed(42, NOW)
    people = {r["id"]: r for r in data.requesters}
    departments = {d["id"] for d in data.departments}
    assert 280 <= len(people) <= 320 and len({r["primary_email"] for r in data.requesters}) == len(people)
    assert all(r["reporting_manager_id"] in people for r in data.requesters if r["reporting_manager_id"])
    assert all(set(r["department_ids"]) <= departments for r in data.requesters)
    assert all(d["head_user_id"] in people for d in data.departments)
    by_email = {r["primary_email"]: r for r in data.requesters}
    assert {e["email"] for e in DEMO_EMPLOYEES} <= set(by_email)
    alice, bob, carol = (by_email[f"{n}@acme.example"] for n in ("alice.nguyen", "bob.martin", "carol.diaz"))
    assert alice["reporting_manager_id"] == bob["id"] and bob["reporting_manager_id"] == carol["id"]
    assert 20 <= len(data.agents) <= 30 and len(data.groups) == 6
    assert all(set(a["member_of"]) <= {g["id"] for g in data.groups} for a in data.agents)


def test_catalog_forms_and_approval_rules() -> None:
    data = build_seed(42, NOW)
    assert 18 <= len(data.service_items) <= 25
    agents = {a["id"] for a in data.agents}
    for item in data.service_items:
        assert item["custom_fields"] and isinstance(item["cost"], str)
        for level in item["_approval_rule"]:
            kind = level["approver"]
            assert kind in ("reporting_manager", "department_head") or int(kind.split(":")[1]) in agents
        for field in item["custom_fields"]:
            if field["field_type"] == "custom_dropdown":
                assert field["choices"]


def test_knowledge_base_includes_imported_and_own_articles() -> None:
    data = build_seed(42, NOW)
    articles = data.solution_articles
    imported = [a for a in articles if "MicrosoftDocs/OfficeDocs-Support" in a["description"]]
    assert len(imported) == 913
    assert len(articles) - len(imported) >= 30
    hidden = {f["id"] for f in data.solution_folders if f["visibility"] == 3}
    assert hidden and any(a["folder_id"] in hidden for a in articles)
    assert any(a["status"] == 1 for a in articles)


def test_expected_seats_cover_every_case() -> None:
    cases = {name: seats for name, seats in EXPECTED_SEATS.items()}
    assert any(s["unlimited"] for s in cases.values())
    assert any(s["available"] == 0 for s in cases.values())
    assert any((s["available"] or 0) > 0 for s in cases.values())
    assert cases["JetBrains IntelliJ IDEA"]["purchased"] == 30  # the expired contract does not count


def test_tickets_cover_every_state() -> None:
    data = build_seed(42, NOW)
    assert 250 <= len(data.tickets) <= 350
    assert {t["status"] for t in data.tickets} >= {2, 3, 4, 5}
    assert {t["type"] for t in data.tickets} == {"Incident", "Service Request"}
    assert any(t["approval_status"] == 0 for t in data.tickets)
    assert all(t["id"] in data.requested_items for t in data.tickets if t["type"] == "Service Request")
