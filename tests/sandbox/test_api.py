"""The sandbox behaves like Freshservice over HTTP: envelopes, status codes, errors, limits, quirks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from sandbox.config import WebhookTarget
from sandbox.seed import DEMO_EMPLOYEES
from tests.conftest import SandboxHandle
from tests.servers import serve

ALICE = DEMO_EMPLOYEES[0]["email"]


@pytest.fixture
def api(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    sandbox.control("POST", "/_sandbox/reset")
    with httpx.Client(base_url=f"{sandbox.base_url}/api/v2", auth=(sandbox.api_key, "X"), timeout=30) as client:
        yield client


def alice_id(api: httpx.Client) -> int:
    return api.get("/requesters", params={"email": ALICE}).json()["requesters"][0]["id"]


def assert_validation(response: httpx.Response, field: str, code: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["description"] == "Validation failed"
    assert {"field": field, "code": code} in [{"field": e["field"], "code": e["code"]} for e in body["errors"]], body


def test_create_answers_201_with_location_and_full_object(api: httpx.Client) -> None:
    response = api.post("/tickets", json={"requester_id": alice_id(api), "subject": "Laptop fan noisy",
                                          "description": "<p>Loud</p>", "status": 2, "priority": 2, "tags": ["hw"]})
    assert response.status_code == 201
    ticket = response.json()["ticket"]
    assert response.headers["location"].endswith(f"/api/v2/tickets/{ticket['id']}")
    assert ticket["tags"] == ["hw"] and ticket["description_text"] == "Loud"
    assert ticket["responder_id"] is None and "group_id" in ticket  # nulls are present, not omitted
    view = api.get(f"/tickets/{ticket['id']}").json()["ticket"]
    assert "tags" not in view  # only with include=tags (reference §6.2)
    assert api.get(f"/tickets/{ticket['id']}", params={"include": "tags"}).json()["ticket"]["tags"] == ["hw"]
    assert api.delete(f"/tickets/{ticket['id']}").status_code == 204


def test_auth_is_basic_with_key_as_username(sandbox: SandboxHandle) -> None:
    url = f"{sandbox.base_url}/api/v2/agents/me"
    assert httpx.get(url, auth=(sandbox.api_key, "anything")).status_code == 200
    assert httpx.get(url, auth=(sandbox.api_key, "")).status_code == 200
    denied = httpx.get(url, auth=("wrong", "X"))
    assert denied.status_code == 401 and denied.json()["code"] == "invalid_credentials"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Basic !!!notbase64"}).status_code == 401


@pytest.mark.parametrize("body, field, code", [
    ({"subject": "x", "description": "y", "status": 2, "priority": 2}, "requester_id", "missing_field"),
    ({"subject": "x", "status": 2, "priority": 2, "email": "a@acme.example"}, "description", "missing_field"),
    ({"subject": "x", "description": "y", "status": 2, "priority": "high", "email": "a@acme.example"}, "priority", "datatype_mismatch"),
    ({"subject": "x", "description": "y", "status": 2, "priority": 2, "email": "a@acme.example", "colour": "red"}, "colour", "invalid_field"),
    ({"subject": "x", "description": "y", "status": 2, "priority": 2, "requester_id": 1}, "requester_id", "invalid_value"),
    ({"subject": "x", "description": "y", "status": 2, "priority": 2, "email": "a@acme.example", "source": 99}, "source", "invalid_value"),
])
def test_create_validation_errors(api: httpx.Client, body: dict[str, Any], field: str, code: str) -> None:
    assert_validation(api.post("/tickets", json=body), field, code)


def test_bad_bodies_and_verbs_get_freshservice_errors(api: httpx.Client) -> None:
    assert_validation(api.post("/tickets", content=b"{not json", headers={"content-type": "application/json"}), "body", "invalid_json")
    assert api.post("/tickets", content=b"<ticket/>", headers={"content-type": "application/xml"}).status_code == 415
    wrong_verb = api.patch("/tickets/1", json={})
    assert wrong_verb.status_code == 405 and wrong_verb.json()["code"]
    missing = api.get("/tickets/987654321")
    assert missing.status_code == 404 and missing.json()["message"]
    assert api.get("/no/such/thing").status_code == 404
    assert api.get("/agents/me", headers={"Accept": "application/xml"}).status_code == 406
    assert_validation(api.get("/tickets", params={"per_page": 101}), "per_page", "invalid_value")
    assert_validation(api.get("/tickets", params={"page": "two"}), "page", "datatype_mismatch")
    assert_validation(api.get("/tickets/1", params={"include": "everything"}), "include", "invalid_value")


def test_pagination_link_only_when_more_pages(api: httpx.Client) -> None:
    first = api.get("/requesters", params={"per_page": 100})
    assert 'rel="next"' in first.headers["link"]
    url = first.headers["link"].split(">")[0].lstrip("<")
    assert url.startswith(str(api.base_url).split("/api/v2")[0]) and "per_page=100" in url and "page=2" in url
    pages, last = 1, first
    while "link" in last.headers:
        last = api.get(last.headers["link"].split(">")[0].lstrip("<"))
        pages += 1
    assert pages >= 3 and len(last.json()["requesters"]) <= 100


def test_rate_limit_headers_and_include_credits(api: httpx.Client) -> None:
    plain = api.get("/tickets")
    assert {"x-ratelimit-total", "x-ratelimit-remaining", "x-ratelimit-used-currentrequest"} <= set(plain.headers)
    assert plain.headers["x-ratelimit-used-currentrequest"] == "1"
    assert api.get("/tickets", params={"include": "stats"}).headers["x-ratelimit-used-currentrequest"] == "3"
    assert api.get("/tickets/1", params={"include": "conversations"}).headers["x-ratelimit-used-currentrequest"] == "2"
    assert plain.headers["x-freshservice-api-version"] == "latest=v2; requested=v2"


def test_token_bucket_answers_429_with_retry_after(sandbox_factory: Any) -> None:
    handle = sandbox_factory(plan="starter")
    with httpx.Client(base_url=f"{handle.base_url}/api/v2", auth=(handle.api_key, "X")) as api:
        statuses = [api.get("/agents/me") for _ in range(105)]
    limited = [r for r in statuses if r.status_code == 429]
    assert statuses[0].headers["x-ratelimit-total"] == "100"
    assert limited and int(limited[0].headers["retry-after"]) >= 1 and limited[0].json()["message"]


def test_ticket_list_window_and_filters(api: httpx.Client) -> None:
    recent = api.get("/tickets", params={"per_page": 100}).json()["tickets"]
    everything = api.get("/tickets", params={"per_page": 100, "updated_since": "2000-01-01"}).json()["tickets"]
    assert recent and len(everything) >= len(recent)
    with_offset = api.get("/tickets", params={"updated_since": "2026-01-02T20:42:12.556301+00:00"})
    assert with_offset.status_code == 200
    both = api.get("/tickets", params={"include": "stats,tags"})
    assert both.status_code == 200
    mine = api.get("/tickets", params={"email": ALICE, "updated_since": "2000-01-01"}).json()["tickets"]
    assert mine and {t["requester_id"] for t in mine} == {alice_id(api)}


def test_filter_endpoint_shape_and_errors(api: httpx.Client) -> None:
    body = api.get("/tickets/filter", params={"query": '"status:2 OR status:3"'}).json()
    assert body["total"] >= len(body["tickets"]) and len(body["tickets"]) <= 30
    assert all(t["status"] in (2, 3) for t in body["tickets"])
    tagged = api.get("/tickets/filter", params={"query": "\"tag:'vpn'\""})
    assert tagged.status_code == 200
    assert_validation(api.get("/tickets/filter", params={"query": "status:2"}), "query", "invalid_value")
    assert_validation(api.get("/tickets/filter", params={"query": '"status:2 AND"'}), "query", "invalid_value")
    assert_validation(api.get("/tickets/filter", params={"query": '"' + "status:2 OR " * 60 + 'status:3"'}), "query", "invalid_value")
    assert_validation(api.get("/tickets/filter", params={"query": "\"mood:'sad'\""}), "mood", "invalid_value")


def test_requester_query_and_prefix_search(api: httpx.Client) -> None:
    found = api.get("/requesters", params={"query": f"\"primary_email:'{ALICE}'\""}).json()["requesters"]
    assert [r["primary_email"] for r in found] == [ALICE]
    prefix = api.get("/requesters", params={"query": "\"~[first_name|last_name]:'ali'\""}).json()["requesters"]
    assert any(r["primary_email"] == ALICE for r in prefix)


def test_notes_are_private_by_default_and_listed(api: httpx.Client) -> None:
    ticket = api.get("/tickets/filter", params={"query": f'"requester_id:{alice_id(api)}"'}).json()["tickets"][0]
    created = api.post(f"/tickets/{ticket['id']}/notes", json={"body": "<p>Checked the logs</p>"})
    assert created.status_code == 201
    note = created.json()["conversation"]
    assert note["private"] is True and note["body_text"] == "Checked the logs"
    listed = api.get(f"/tickets/{ticket['id']}/conversations").json()["conversations"]
    assert listed[-1]["id"] == note["id"]
    assert_validation(api.post(f"/tickets/{ticket['id']}/notes", json={}), "body", "missing_field")


def test_place_request_validates_the_form(api: httpx.Client) -> None:
    items = api.get("/service_catalog/items", params={"per_page": 100}).json()["service_items"]
    assert "custom_fields" not in items[0]  # list items are abbreviated
    full = api.get(f"/service_catalog/items/{items[0]['display_id']}").json()["service_item"]
    assert isinstance(full["cost"], str) and isinstance(full["custom_fields"], list)
    dropdown = next((i for i in (api.get(f"/service_catalog/items/{x['display_id']}").json()["service_item"] for x in items)
                     if any(f["field_type"] == "custom_dropdown" for f in i["custom_fields"])), None)
    assert dropdown is not None
    field = next(f for f in dropdown["custom_fields"] if f["field_type"] == "custom_dropdown")
    wrong = api.post(f"/service_catalog/items/{dropdown['display_id']}/place_request",
                     json={"email": ALICE, "custom_fields": {field["name"]: "definitely-not-a-choice"}})
    assert_validation(wrong, field["name"], "invalid_value")
    unknown = api.post(f"/service_catalog/items/{dropdown['display_id']}/place_request", json={"email": "ghost@nowhere.example"})
    assert_validation(unknown, "email", "invalid_value")
    assert api.post("/service_catalog/items/99999/place_request", json={}).status_code == 404


def test_search_endpoints_return_meta(api: httpx.Client) -> None:
    articles = api.get("/solutions/articles/search", params={"search_term": "password"}).json()
    assert articles["articles"] and set(articles["meta"]) == {"total_items", "total_pages", "current_page"}
    items = api.get("/service_catalog/items/search", params={"search_term": "laptop"}).json()
    assert items["service_items"] and items["meta"]["total_items"] >= 1
    assert_validation(api.get("/solutions/articles/search"), "search_term", "missing_field")


def test_applications_use_the_plural_key_and_assets_suffixed_fields(api: httpx.Client) -> None:
    apps = api.get("/applications", params={"per_page": 100}).json()
    assert "applications" in apps and len(apps["applications"]) >= 30
    asset = api.get("/assets", params={"include": "type_fields"}).json()["assets"][0]
    assert any(k.endswith(f"_{asset['asset_type_id']}") for k in asset["type_fields"])
    assert "type_fields" not in api.get("/assets").json()["assets"][0]


def test_portal_article_page(sandbox: SandboxHandle, api: httpx.Client) -> None:
    found = api.get("/solutions/articles/search", params={"search_term": "VPN"}).json()["articles"][0]
    page = httpx.get(f"{sandbox.base_url}/support/solutions/articles/{found['id']}")
    assert page.status_code == 200 and found["title"].split()[0] in page.text and "<script" not in page.text.lower()
    assert httpx.get(f"{sandbox.base_url}/support/solutions/articles/1").status_code == 404


def test_control_api_can_be_switched_off(sandbox_factory: Any) -> None:
    handle = sandbox_factory(control_enabled=False)
    assert handle.control("POST", "/_sandbox/reset").status_code == 404


def test_webhooks_post_templated_payload_with_secret(sandbox_factory: Any) -> None:
    received: list[tuple[dict[str, Any], str | None]] = []
    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook(request: Request) -> dict[str, bool]:
        received.append((json.loads(await request.body()), request.headers.get("x-webhook-token")))
        return {"ok": True}

    with serve(receiver) as receiver_url:
        handle = sandbox_factory(webhooks=[WebhookTarget(url=f"{receiver_url}/hook", header_value="s3cret")])
        with httpx.Client(base_url=f"{handle.base_url}/api/v2", auth=(handle.api_key, "X")) as api:
            created = api.post("/tickets", json={"email": ALICE, "subject": "VPN drops", "description": "drops hourly",
                                                 "status": 2, "priority": 2}).json()["ticket"]
            api.post(f"/tickets/{created['id']}/notes", json={"body": "more info"})
            for _ in range(100):
                deliveries = handle.control("GET", "/_sandbox/webhooks/deliveries").json()["deliveries"]
                if len(deliveries) >= 2:
                    break
                import time
                time.sleep(0.05)
    events = sorted(body["event"] for body, _ in received)
    assert events == ["note_added", "ticket_created"]
    assert all(secret == "s3cret" for _, secret in received)
    assert received[0][0]["ticket"]["id"] == created["id"] and received[0][0]["ticket"]["requester_email"] == ALICE


HOSTILE = [
    ("GET", "/tickets/filter", {"query": '"' + "(" * 300 + '"'}, None),
    ("GET", "/tickets/filter", {"query": "\"subject:'\\'; DROP TABLE'\""}, None),
    ("GET", "/tickets", {"updated_since": "yesterday"}, None),
    ("GET", "/tickets", {"requester_id": "abc"}, None),
    ("GET", "/tickets/-1", None, None),
    ("GET", "/tickets/99999999999999999999999", None, None),
    ("POST", "/tickets", None, [1, 2, 3]),
    ("POST", "/tickets", None, {"subject": None, "description": {"a": 1}, "status": 2, "priority": 2, "email": ALICE}),
    ("POST", "/tickets", None, {"subject": "x" * 100_000, "description": "y", "status": 2, "priority": 2, "email": 5}),
    ("POST", "/tickets/1/notes", None, {"body": ["list"], "private": "yes"}),
    ("POST", "/service_catalog/items/1/place_request", None, {"quantity": -5, "custom_fields": "nope"}),
    ("PUT", "/tickets/1", None, {"status": None, "custom_fields": [1]}),
    ("GET", "/requesters", {"query": '"~[bogus]:\'x\'"'}, None),
    ("GET", "/assets", {"filter": '"asset_state:"'}, None),
    ("GET", "/solutions/folders", {"category_id": "x"}, None),
]


@pytest.mark.parametrize("method, path, params, body", HOSTILE)
def test_bad_input_never_causes_a_500(api: httpx.Client, method: str, path: str, params: Any, body: Any) -> None:
    response = api.request(method, path, params=params, json=body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json") and response.json()
