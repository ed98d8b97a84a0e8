"""Service catalog: categories, items, search and place_request (reference §10)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request

from sandbox.errors import ApiError, field_error, invalid, not_found
from sandbox.pagination import meta, page_params, paginate, positive_int
from sandbox.requests import json_body
from sandbox.routes.common import account, ok, webhooks
from sandbox.routes.tickets import new_ticket
from sandbox.state import AccountState, now_iso, public
from sandbox.workflow import approval_levels, start_approvals

router = APIRouter()
LIST_DROP = ("description", "cost", "custom_fields", "child_items", "desc_un_html")
PLACE_FIELDS = {"quantity", "email", "requested_for", "custom_fields", "child_items", "parent_ticket_id"}


def _item(state: AccountState, display_id: int) -> dict[str, Any]:
    item = state.service_items.get(display_id)
    if item is None:
        raise not_found("service item", display_id)
    return item


def _published(item: dict[str, Any]) -> bool:
    return item.get("visibility") == 2 and not item.get("deleted")


@router.get("/service_catalog/categories")
async def categories(request: Request) -> Any:
    page, headers = paginate(request, list(account(request).service_categories.values()))
    return ok({"service_categories": page}, headers=headers)


@router.get("/service_catalog/items")
async def list_items(request: Request) -> Any:
    state = account(request)
    items = [i for i in state.service_items.values() if not i.get("deleted")]
    if request.query_params.get("category_id") is not None:
        category_id = positive_int(request, "category_id", 0)
        items = [i for i in items if i.get("category_id") == category_id]
    page, headers = paginate(request, items)
    return ok({"service_items": [public(i, drop=LIST_DROP) for i in page]}, headers=headers)


@router.get("/service_catalog/items/search")
async def search_items(request: Request) -> Any:
    state = account(request)
    term = (request.query_params.get("search_term") or "").strip().lower()
    if not term:
        raise invalid(field_error("search_term", "It should not be blank", "missing_field"))
    words = re.findall(r"\w+", term)
    found = [i for i in state.service_items.values() if _published(i) and all(
        w in f"{i.get('name')} {i.get('short_description')} {i.get('description')}".lower() for w in words)]
    page, per_page = page_params(request)
    chunk = found[(page - 1) * per_page: page * per_page]
    return ok({"service_items": [public(i, drop=LIST_DROP) for i in chunk], "meta": meta(len(found), page, per_page)})


@router.get("/service_catalog/items/{display_id}")
async def view_item(display_id: int, request: Request) -> Any:
    return ok({"service_item": public(_item(account(request), display_id))})


def _check_form(item: dict[str, Any], answers: Any) -> list[dict[str, Any]]:
    """Required fields must be answered (even hidden ones), dropdown values must be choices."""
    if not isinstance(answers, dict):
        return [field_error("custom_fields", "It should be a/an key/value pair", "datatype_mismatch")]
    fields = {f["name"]: f for f in item.get("custom_fields") or [] if not f.get("deleted")}
    errors = [field_error(name, "Unexpected/invalid field in request", "invalid_field") for name in answers if name not in fields]
    for name, spec in fields.items():
        value = answers.get(name)
        kind = spec.get("field_type")
        if value in (None, "", []):
            if spec.get("required") and kind != "custom_static_rich_text":
                errors.append(field_error(name, "It should not be blank", "missing_field"))
            continue
        if kind in ("custom_dropdown", "custom_multi_select_dropdown"):
            allowed = {str(c[1] if isinstance(c, list) and len(c) > 1 else c) for c in spec.get("choices") or []}
            values = value if isinstance(value, list) else [value]
            if any(str(v) not in allowed for v in values):
                errors.append(field_error(name, "It should be one of these values: '" + ",".join(sorted(allowed)) + "'",
                                          "invalid_value"))
        elif kind == "custom_checkbox" and not isinstance(value, bool):
            errors.append(field_error(name, "It should be a/an Boolean", "datatype_mismatch"))
        elif kind in ("custom_number", "custom_decimal"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                errors.append(field_error(name, "It should be a/an Number", "datatype_mismatch"))
        elif kind == "custom_date" and not (isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}", value)):
            errors.append(field_error(name, "It should be in the 'yyyy-mm-dd' format", "invalid_value"))
        elif kind in ("custom_text", "custom_paragraph", "custom_url") and not isinstance(value, str):
            errors.append(field_error(name, "It should be a/an String", "datatype_mismatch"))
    return errors


@router.post("/service_catalog/items/{display_id}/place_request")
async def place_request(display_id: int, request: Request) -> Any:
    state = account(request)
    item = _item(state, display_id)
    if not _published(item):
        raise ApiError(403, "This service item is not available for requests", code="access_denied")
    body = await json_body(request, allowed=PLACE_FIELDS)
    errors: list[dict[str, Any]] = []
    quantity = body.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        errors.append(field_error("quantity", "It should be a/an Positive Integer", "datatype_mismatch"))
        quantity = 1
    requester = state.agents.get(state.api_agent_id)
    if (email := body.get("email")) is not None:
        requester = state.requester_by_email(str(email)) or state.agent_by_email(str(email))
        if requester is None:
            errors.append(field_error("email", "There is no requester with this email", "invalid_value"))
    requested_for = requester
    if (other := body.get("requested_for")) is not None:
        requested_for = state.requester_by_email(str(other))
        if requested_for is None:
            errors.append(field_error("requested_for", "There is no requester with this email", "invalid_value"))
    errors += _check_form(item, body.get("custom_fields") or {})
    if errors:
        raise invalid(*errors)
    assert requester is not None and requested_for is not None
    template = (item.get("configs") or {}).get("subject") or "Request for {{requested_for}} : {{item.name}}"
    subject = template.replace("{{requested_for}}", state.person_name(requested_for["id"]) or "").replace(
        "{{item.name}}", item["name"])
    ticket = new_ticket(state, {"subject": subject, "description": "", "type": "Service Request", "status": 2,
                                "priority": 2, "source": 2, "requested_for_id": requested_for["id"],
                                "custom_fields": {}}, requester["id"])
    stamp = now_iso()
    state.requested_items[ticket["id"]] = [{
        "id": state.next_object_id(), "created_at": stamp, "updated_at": stamp, "quantity": quantity, "stage": 1,
        "loaned": False, "cost_per_request": float(item.get("cost") or 0) * quantity, "remarks": None,
        "delivery_time": item.get("delivery_time"), "is_parent": True, "service_item_id": display_id,
        "custom_fields": dict(body.get("custom_fields") or {}), "attachments": [],
    }]
    response = {"service_request": public(ticket, drop=("tags",))}  # snapshot before the workflow runs (§10.3)
    start_approvals(state, ticket, approval_levels(state, item, quantity, requester))
    webhooks(request).emit(state, "ticket_created", ticket)
    return ok(response, status=201, headers={"Location": f"{str(request.base_url).rstrip('/')}/api/v2/tickets/{ticket['id']}"})
