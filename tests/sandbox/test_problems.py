"""The sandbox's Problems (reference §14): create, list, view, update, with Freshservice's validation."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import jsonschema
import pytest

from sandbox.seed import DEMO_EMPLOYEES
from tests.conftest import SandboxHandle
from tests.contract.openapi import relax, response_schema
from tests.sandbox.test_api import alice_id, assert_validation

PROBLEM = {"subject": "VPN gateway drops Manchester users", "description": "<p>8 tickets in an hour</p>",
           "status": 1, "impact": 2, "priority": 3, "due_by": "2026-12-07T10:00:00Z"}


@pytest.fixture
def api(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    sandbox.control("POST", "/_sandbox/reset")
    with httpx.Client(base_url=f"{sandbox.base_url}/api/v2", auth=(sandbox.api_key, "X"), timeout=30) as client:
        yield client


def test_create_answers_201_with_location_and_the_spec_shape(api: httpx.Client) -> None:
    response = api.post("/problems", json={**PROBLEM, "requester_id": alice_id(api)})

    assert response.status_code == 201, response.text
    problem = response.json()["problem"]
    assert response.headers["location"].endswith(f"/api/v2/problems/{problem['id']}")
    assert problem["subject"] == PROBLEM["subject"] and problem["status"] == 1 and problem["priority"] == 3
    assert problem["description_text"] == "8 tickets in an hour" and problem["known_error"] is False
    assert problem["agent_id"] is None and problem["custom_fields"] == {}  # nulls present, objects always objects
    jsonschema.validate(response.json(), relax(response_schema("/api/v2/problems", "post", "201")))
    assert api.get(f"/problems/{problem['id']}").json()["problem"] == problem


def test_the_requester_may_be_given_by_email(api: httpx.Client) -> None:
    response = api.post("/problems", json={**PROBLEM, "email": DEMO_EMPLOYEES[0]["email"]})
    assert response.status_code == 201 and response.json()["problem"]["requester_id"] == alice_id(api)


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"subject": None}, "subject", "missing_field"),
    ({"due_by": None}, "due_by", "missing_field"),
    ({"status": 4}, "status", "invalid_value"),
    ({"impact": 5}, "impact", "invalid_value"),
    ({"priority": "high"}, "priority", "datatype_mismatch"),
    ({"colour": "red"}, "colour", "invalid_field"),
    ({"due_by": "next week"}, "due_by", "invalid_value"),
    ({"agent_id": 1}, "agent_id", "invalid_value"),
])
def test_create_validates_like_freshservice(api: httpx.Client, change: dict[str, object], field: str, code: str) -> None:
    body = {**PROBLEM, "requester_id": alice_id(api), **change}
    assert_validation(api.post("/problems", json={k: v for k, v in body.items() if v is not None}), field, code)
    assert api.get("/problems").json()["problems"] == []  # nothing half-created


def test_a_requester_is_required(api: httpx.Client) -> None:
    assert_validation(api.post("/problems", json=PROBLEM), "requester_id", "missing_field")


def test_list_is_newest_first_and_filters_by_updated_since(api: httpx.Client) -> None:
    ids = [api.post("/problems", json={**PROBLEM, "requester_id": alice_id(api), "subject": f"P{n}"}).json()["problem"]["id"]
           for n in range(3)]

    listed = api.get("/problems").json()["problems"]
    assert [p["id"] for p in listed] == ids[::-1]
    assert api.get("/problems", params={"updated_since": "2999-01-01"}).json()["problems"] == []
    jsonschema.validate(api.get("/problems").json(), relax(response_schema("/api/v2/problems", "get", "200")))


def test_update_and_unknown_ids(api: httpx.Client) -> None:
    problem = api.post("/problems", json={**PROBLEM, "requester_id": alice_id(api)}).json()["problem"]

    updated = api.put(f"/problems/{problem['id']}", json={"status": 3, "known_error": True})

    assert updated.status_code == 200 and updated.json()["problem"]["status"] == 3
    assert updated.json()["problem"]["known_error"] is True
    assert_validation(api.put(f"/problems/{problem['id']}", json={"workspace_id": 3}), "workspace_id", "invalid_field")
    assert api.get("/problems/999999").status_code == 404
    assert api.put("/problems/999999", json={"status": 3}).status_code == 404
