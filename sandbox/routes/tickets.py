"""Tickets, notes, conversations, approvals, requested items (reference §6, §7, §10.4, §11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request

from sandbox import query
from sandbox.errors import ApiError, field_error, invalid, not_found
from sandbox.pagination import page_params, paginate, positive_int
from sandbox.requests import includes, int_value, json_body, str_list
from sandbox.routes.common import account, created, no_content, ok, webhooks
from sandbox.state import AccountState, now_iso, public

router = APIRouter()

SOURCES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 18}
PRIORITIES = {1, 2, 3, 4}
LEVELS = {1, 2, 3}
STATUSES = {2, 3, 4, 5, 6}  # 6 = the account's custom "On Hold" status (reference §6.1)
TYPES = {"Incident", "Service Request"}
VIEW_INCLUDES = {"conversations", "requester", "requested_for", "stats", "problem", "assets", "change",
                 "related_tickets", "tags", "department", "feedback", "onboarding_context", "offboarding_context"}
LIST_INCLUDES = {"stats", "requester", "requested_for", "tags", "onboarding_context", "offboarding_context"}
CREATE_FIELDS = {"subject", "description", "requester_id", "email", "phone", "name", "status", "priority", "urgency",
                 "impact", "source", "type", "category", "sub_category", "item_category", "group_id", "responder_id",
                 "department_id", "tags", "cc_emails", "custom_fields", "due_by", "fr_due_by", "workspace_id",
                 "email_config_id", "requested_for_id", "assets"}
UPDATE_FIELDS = CREATE_FIELDS - {"workspace_id"}
FILTER_FIELDS = {"workspace_id", "requester_id", "email", "agent_id", "group_id", "priority", "status", "impact",
                 "urgency", "tag", "due_by", "fr_due_by", "created_at", "updated_at", "type", "category"}
FILTER_PAGE_SIZE = 30


def _get_ticket(state: AccountState, ticket_id: int, *, allow_deleted: bool = True) -> dict[str, Any]:
    ticket = state.tickets.get(ticket_id)
    if ticket is None or (not allow_deleted and ticket.get("deleted")):
        raise not_found("ticket", ticket_id)
    return ticket


def _parse_when(raw: str, name: str) -> datetime:
    text = raw.strip().replace(" ", "+")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text else datetime.fromisoformat(text[:10])
    except ValueError:
        raise invalid(field_error(name, "It should be in the 'valid date time' format", "invalid_value")) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _ts(ticket: dict[str, Any], key: str) -> datetime:
    return datetime.fromisoformat(str(ticket[key]).replace("Z", "+00:00"))


def _category_tree(state: AccountState) -> dict[str, dict[str, list[str]]] | None:
    """The form's category -> sub-category -> items tree (``nested_options``), or None without a category field."""
    for field in state.ticket_form_fields:
        if field.get("name") == "category":
            return {str(c.get("value")): {str(s.get("value")): [str(i.get("value")) for i in s.get("nested_options") or []]
                                          for s in c.get("nested_options") or []}
                    for c in field.get("choices") or []}
    return None


def _one_of(name: str, allowed: list[str] | set[str]) -> dict[str, Any]:
    return field_error(name, "It should be one of these values: '" + ",".join(sorted(allowed)) + "'", "invalid_value")


def _validate_categories(state: AccountState, body: dict[str, Any], ticket: dict[str, Any] | None,
                         errors: list[dict[str, Any]]) -> None:
    """category / sub_category / item_category are strings from the form's nested choices (§6.1): a
    sub-category must belong to the category (sent now or already on the ticket), an item to the sub-category.
    Changing a parent clears children that no longer belong (what the form does), unless they are sent too."""
    tree = _category_tree(state)
    names = ("category", "sub_category", "item_category")
    for name in names:
        if body.get(name) is not None and not isinstance(body[name], str):
            errors.append(field_error(name, "It should be a/an String", "datatype_mismatch"))
            return
    if tree is None or not any(name in body for name in names):
        return
    current = {name: body[name] if name in body else (ticket or {}).get(name) for name in names}
    category, sub, item = current["category"], current["sub_category"], current["item_category"]
    if category is not None and category not in tree:
        errors.append(_one_of("category", set(tree)))
        return
    subs = tree.get(category or "", {})
    if sub is not None and sub not in subs:
        if "sub_category" in body:
            errors.append(_one_of("sub_category", set(subs)) if category else
                          field_error("sub_category", "Set a category first: a sub_category belongs to a category", "invalid_value"))
            return
        body["sub_category"] = sub = None  # the category changed under it
    items = subs.get(sub or "", [])
    if item is not None and item not in items:
        if "item_category" in body:
            errors.append(_one_of("item_category", set(items)) if sub else
                          field_error("item_category", "Set a sub_category first: an item_category belongs to a sub_category",
                                      "invalid_value"))
            return
        body["item_category"] = None


def _validate_ticket_fields(state: AccountState, body: dict[str, Any], errors: list[dict[str, Any]],
                            ticket: dict[str, Any] | None = None) -> None:
    int_value(body, "status", choices=STATUSES, errors=errors)
    int_value(body, "priority", choices=PRIORITIES, errors=errors)
    int_value(body, "urgency", choices=LEVELS, errors=errors)
    int_value(body, "impact", choices=LEVELS, errors=errors)
    int_value(body, "source", choices=SOURCES, errors=errors)
    str_list(body, "tags", errors)
    str_list(body, "cc_emails", errors)
    for name, table in (("group_id", state.groups), ("department_id", state.departments)):
        value = int_value(body, name, errors=errors)
        if value is not None and value not in table:
            errors.append(field_error(name, f"There is no {name.removesuffix('_id')} matching the given {name}", "invalid_value"))
    responder = int_value(body, "responder_id", errors=errors)
    if responder is not None:
        agent = state.agents.get(responder)
        if agent is None:
            errors.append(field_error("responder_id", "There is no agent matching the given responder_id", "invalid_value"))
        elif not agent.get("active", True):
            errors.append(field_error("responder_id", "The agent with the given responder_id is deactivated", "invalid_value"))
    if "type" in body and body["type"] not in TYPES:
        errors.append(field_error("type", "It should be one of these values: 'Incident,Service Request'", "invalid_value"))
    _validate_categories(state, body, ticket, errors)
    for name in ("subject", "description"):
        if name in body and body[name] is not None and not isinstance(body[name], str):
            errors.append(field_error(name, "It should be a/an String", "datatype_mismatch"))
    if "custom_fields" in body and not isinstance(body["custom_fields"], dict | None):
        errors.append(field_error("custom_fields", "It should be a/an key/value pair", "datatype_mismatch"))


def html_to_text(html: str) -> str:
    import re

    text = re.sub(r"<(br|/p|/div|/li|/h\d)[^>]*>", "\n", html or "", flags=re.I)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def new_ticket(state: AccountState, body: dict[str, Any], requester_id: int) -> dict[str, Any]:
    stamp = now_iso()
    requester = state.requesters.get(requester_id) or {}
    priority = body.get("priority", 1)
    due = datetime.now(UTC) + timedelta(hours={4: 4, 3: 8, 2: 24, 1: 72}[priority])
    ticket: dict[str, Any] = {
        "id": state.next_ticket_id(), "workspace_id": body.get("workspace_id") or state.workspace_id,
        "subject": body.get("subject"), "description": body.get("description") or "",
        "description_text": html_to_text(body.get("description") or ""),
        "type": body.get("type") or "Incident", "status": body.get("status", 2), "priority": priority,
        "urgency": body.get("urgency", 1), "impact": body.get("impact", 1), "source": body.get("source", 2),
        "requester_id": requester_id, "requested_for_id": body.get("requested_for_id") or requester_id,
        "responder_id": body.get("responder_id"), "group_id": body.get("group_id"),
        "department_id": body.get("department_id") or (requester.get("department_ids") or [None])[0],
        "email_config_id": None, "sla_policy_id": None, "category": body.get("category"),
        "sub_category": body.get("sub_category"), "item_category": body.get("item_category"),
        "custom_fields": body.get("custom_fields") or {}, "tags": body.get("tags") or [],
        "cc_emails": body.get("cc_emails") or [], "fwd_emails": [], "reply_cc_emails": [], "to_emails": None,
        "due_by": body.get("due_by") or now_iso(due), "fr_due_by": body.get("fr_due_by") or now_iso(due - timedelta(hours=2)),
        "is_escalated": False, "fr_escalated": False, "spam": False, "deleted": False, "attachments": [],
        "created_at": stamp, "updated_at": stamp, "resolution_notes": None, "resolution_notes_html": None,
        "created_within_business_hours": True, "approval_status": None, "approval_status_name": "Not Requested",
    }
    state.tickets[ticket["id"]] = ticket
    return ticket


def _resolve_requester(state: AccountState, body: dict[str, Any], errors: list[dict[str, Any]]) -> int | None:
    if body.get("requester_id") is not None:
        rid = int_value(body, "requester_id", errors=errors)
        if rid is not None and state.person(rid) is None:
            errors.append(field_error("requester_id", "There is no contact matching the given requester_id", "invalid_value"))
        return rid
    if email := body.get("email"):
        if not isinstance(email, str) or "@" not in email:
            errors.append(field_error("email", "It should be in the 'valid email address' format", "invalid_value"))
            return None
        found = state.requester_by_email(email) or state.agent_by_email(email)
        if found is not None:
            return found["id"]
        return _auto_create_requester(state, email, body.get("name"))
    if body.get("phone"):
        if not body.get("name"):
            errors.append(field_error("name", "It should not be blank as phone is given", "missing_field"))
            return None
        return _auto_create_requester(state, None, body["name"], phone=body["phone"])
    errors.append(field_error("requester_id", "Please specify requester_id, email or phone", "missing_field"))
    return None


def _auto_create_requester(state: AccountState, email: str | None, name: str | None, phone: str | None = None) -> int:
    """Unknown email/phone creates a requester, like Freshservice does."""
    first, _, last = (name or (email or "").split("@")[0]).partition(" ")
    stamp = now_iso()
    requester = {"id": state.next_object_id(), "first_name": first, "last_name": last or None, "job_title": None,
                 "primary_email": email, "secondary_emails": [], "work_phone_number": phone, "mobile_phone_number": None,
                 "department_ids": [], "can_see_all_tickets_from_associated_departments": False,
                 "reporting_manager_id": None, "address": None, "time_zone": "London", "time_format": "12h",
                 "language": "en", "location_id": None, "background_information": None, "custom_fields": {},
                 "active": True, "has_logged_in": False, "is_agent": False, "external_id": None,
                 "created_at": stamp, "updated_at": stamp}
    state.requesters[requester["id"]] = requester
    return requester["id"]


@router.post("/tickets")
async def create_ticket(request: Request) -> Any:
    state = account(request)
    body = await json_body(request, allowed=CREATE_FIELDS, required=("subject", "description", "status", "priority"))
    errors: list[dict[str, Any]] = []
    requester_id = _resolve_requester(state, body, errors)
    _validate_ticket_fields(state, body, errors)
    if errors:
        raise invalid(*errors)
    assert requester_id is not None
    ticket = new_ticket(state, body, requester_id)
    webhooks(request).emit(state, "ticket_created", ticket)
    return created(request, {"ticket": public(ticket)}, f"tickets/{ticket['id']}")


@router.get("/tickets")
async def list_tickets(request: Request) -> Any:
    state = account(request)
    params = request.query_params
    wanted = includes(request, LIST_INCLUDES)
    chosen = params.get("filter")
    if chosen and chosen not in ("new_and_my_open", "watching", "spam", "deleted"):
        raise invalid(field_error("filter", "It should be one of these values: 'new_and_my_open,watching,spam,deleted'"))
    tickets = list(state.tickets.values())
    if chosen == "deleted":
        tickets = [t for t in tickets if t.get("deleted")]
    elif chosen == "spam":
        tickets = [t for t in tickets if t.get("spam")]
    else:
        tickets = [t for t in tickets if not t.get("deleted") and not t.get("spam")]
    if chosen == "new_and_my_open":
        tickets = [t for t in tickets if t.get("status") == 2 and t.get("responder_id") in (None, state.api_agent_id)]
    if since := params.get("updated_since"):
        cutoff = _parse_when(since, "updated_since")
        tickets = [t for t in tickets if _ts(t, "updated_at") >= cutoff]
    else:
        cutoff = datetime.now(UTC) - timedelta(days=30)
        tickets = [t for t in tickets if _ts(t, "created_at") >= cutoff]
    if params.get("requester_id") is not None:
        rid = positive_int(request, "requester_id", 0)
        tickets = [t for t in tickets if t.get("requester_id") == rid]
    if email := params.get("email"):
        person = state.requester_by_email(email) or state.agent_by_email(email)
        tickets = [t for t in tickets if person is not None and t.get("requester_id") == person["id"]]
    if kind := params.get("type"):
        if kind not in TYPES:
            raise invalid(field_error("type", "It should be one of these values: 'Incident,Service Request'"))
        tickets = [t for t in tickets if t.get("type") == kind]
    order = params.get("order_type", "desc")
    if order not in ("asc", "desc"):
        raise invalid(field_error("order_type", "It should be one of these values: 'asc,desc'"))
    tickets.sort(key=lambda t: (t["created_at"], t["id"]), reverse=order == "desc")
    page, headers = paginate(request, tickets)
    return ok({"tickets": [state.ticket_view(t, wanted) for t in page]}, headers=headers)


def ticket_field(state: AccountState, ticket: dict[str, Any]):  # noqa: ANN201 - a resolver closure
    def get(name: str) -> Any:
        if name == "agent_id":
            return ticket.get("responder_id")
        if name == "tag":
            return ticket.get("tags") or []
        if name == "email":
            return state.person_email(ticket.get("requester_id"))
        return ticket.get(name, ticket.get("custom_fields", {}).get(name))
    return get


@router.get("/tickets/filter")
async def filter_tickets(request: Request) -> Any:
    state = account(request)
    predicate = query.compile_query(request.query_params.get("query"), FILTER_FIELDS)
    page, _ = page_params(request)
    workspace = request.query_params.get("workspace_id")
    found = [t for t in state.tickets.values() if not t.get("deleted") and not t.get("spam")
             and (workspace == "0" or workspace is None and t.get("workspace_id") == state.workspace_id
                  or workspace is not None and str(t.get("workspace_id")) == workspace)
             and predicate(ticket_field(state, t))]
    found.sort(key=lambda t: (t["created_at"], t["id"]), reverse=True)
    chunk = found[(page - 1) * FILTER_PAGE_SIZE: page * FILTER_PAGE_SIZE]
    return ok({"tickets": [public(t, drop=("tags",)) for t in chunk], "total": len(found)})


@router.get("/tickets/{ticket_id}")
async def view_ticket(ticket_id: int, request: Request) -> Any:
    state = account(request)
    wanted = includes(request, VIEW_INCLUDES)
    ticket = _get_ticket(state, ticket_id)
    return ok({"ticket": state.ticket_view(ticket, wanted)})


@router.put("/tickets/{ticket_id}")
async def update_ticket(ticket_id: int, request: Request) -> Any:
    state = account(request)
    ticket = _get_ticket(state, ticket_id, allow_deleted=False)
    body = await json_body(request, allowed=UPDATE_FIELDS | {"bypass_mandatory"})
    errors: list[dict[str, Any]] = []
    _validate_ticket_fields(state, body, errors, ticket)
    if "requester_id" in body:
        _resolve_requester(state, {"requester_id": body["requester_id"]}, errors)
    if "requested_for_id" in body and ticket.get("type") != "Service Request":
        errors.append(field_error("requested_for_id", "requested_for_id can be changed only on a Service Request",
                                  "incompatible_field"))
    if errors:
        raise invalid(*errors)
    before = public(ticket)
    for key, value in body.items():
        if key == "custom_fields":
            ticket["custom_fields"] = {**(ticket.get("custom_fields") or {}), **(value or {})}
        elif key not in ("email", "phone", "name", "bypass_mandatory"):
            ticket[key] = value
    if "description" in body:
        ticket["description_text"] = html_to_text(body["description"] or "")
    if public(ticket) != before:  # an identical PUT (a retry) changes nothing and triggers no workflow
        ticket["updated_at"] = now_iso()
        if ticket.get("status") in (4, 5):  # resolved / closed: stamped once, as Freshservice's stats do
            stats = dict(ticket.get("_stats") or {"resolved_at": None, "closed_at": None, "first_responded_at": None})
            stats["resolved_at"] = stats.get("resolved_at") or ticket["updated_at"]
            if ticket["status"] == 5:
                stats["closed_at"] = stats.get("closed_at") or ticket["updated_at"]
            ticket["_stats"] = stats
        webhooks(request).emit(state, "ticket_updated", ticket)
    return ok({"ticket": public(ticket)})


@router.delete("/tickets/{ticket_id}")
async def delete_ticket(ticket_id: int, request: Request) -> Any:
    ticket = _get_ticket(account(request), ticket_id, allow_deleted=False)
    ticket["deleted"] = True
    return no_content()


@router.put("/tickets/{ticket_id}/restore")
async def restore_ticket(ticket_id: int, request: Request) -> Any:
    _get_ticket(account(request), ticket_id)["deleted"] = False
    return no_content()


def add_conversation(state: AccountState, ticket: dict[str, Any], body_html: str, *, private: bool, incoming: bool,
                     user_id: int, source: int = 2, from_email: str | None = None) -> dict[str, Any]:
    stamp = now_iso()
    conversation = {
        "id": state.next_object_id(), "body": body_html, "body_text": html_to_text(body_html), "incoming": incoming,
        "private": private, "user_id": user_id, "support_email": None, "source": source, "ticket_id": ticket["id"],
        "to_emails": [], "from_email": from_email, "cc_emails": [], "bcc_emails": None, "attachments": [],
        "created_at": stamp, "updated_at": stamp,
    }
    state.conversations.setdefault(ticket["id"], []).append(conversation)
    ticket["updated_at"] = stamp
    return conversation


@router.post("/tickets/{ticket_id}/notes")
async def create_note(ticket_id: int, request: Request) -> Any:
    state = account(request)
    ticket = _get_ticket(state, ticket_id, allow_deleted=False)
    body = await json_body(request, allowed={"body", "private", "incoming", "notify_emails", "user_id"}, required=("body",))
    errors: list[dict[str, Any]] = []
    for flag in ("private", "incoming"):
        if flag in body and not isinstance(body[flag], bool):
            errors.append(field_error(flag, "It should be a/an Boolean", "datatype_mismatch"))
    user_id = int_value(body, "user_id", errors=errors)
    if user_id is not None and state.person(user_id) is None:
        errors.append(field_error("user_id", "There is no user matching the given user_id", "invalid_value"))
    if not isinstance(body["body"], str):
        errors.append(field_error("body", "It should be a/an String", "datatype_mismatch"))
    if errors:
        raise invalid(*errors)
    note = add_conversation(state, ticket, body["body"], private=body.get("private", True),
                            incoming=body.get("incoming", False), user_id=user_id or state.api_agent_id)
    webhooks(request).emit(state, "note_added", ticket, note)
    return created(request, {"conversation": public(note)}, f"conversations/{note['id']}")


@router.post("/tickets/{ticket_id}/reply")
async def reply(ticket_id: int, request: Request) -> Any:
    state = account(request)
    ticket = _get_ticket(state, ticket_id, allow_deleted=False)
    body = await json_body(request, allowed={"body", "from_email", "user_id", "cc_emails", "bcc_emails"}, required=("body",))
    conversation = add_conversation(state, ticket, str(body["body"]), private=False, incoming=False,
                                    user_id=body.get("user_id") or state.api_agent_id, source=0,
                                    from_email=body.get("from_email") or "helpdesk@acme.example")
    webhooks(request).emit(state, "note_added", ticket, conversation)
    return created(request, {"conversation": public(conversation)}, f"conversations/{conversation['id']}")


@router.get("/tickets/{ticket_id}/conversations")
async def list_conversations(ticket_id: int, request: Request) -> Any:
    state = account(request)
    _get_ticket(state, ticket_id)
    items = sorted(state.conversations.get(ticket_id, []), key=lambda c: (c["created_at"], c["id"]))
    page, headers = paginate(request, items)
    return ok({"conversations": [public(c) for c in page]}, headers=headers)


@router.get("/tickets/{ticket_id}/approvals")
async def list_approvals(ticket_id: int, request: Request) -> Any:
    state = account(request)
    _get_ticket(state, ticket_id)
    return ok({"approvals": [public(a) for a in state.approvals.get(ticket_id, [])]})


@router.get("/tickets/{ticket_id}/approvals/{approval_id}")
async def view_approval(ticket_id: int, approval_id: int, request: Request) -> Any:
    state = account(request)
    _get_ticket(state, ticket_id)
    for approval in state.approvals.get(ticket_id, []):
        if approval["id"] == approval_id:
            return ok({"approval": public(approval)})
    raise not_found("approval", approval_id)


@router.put("/tickets/{ticket_id}/approvals/{approval_id}")
async def cancel_approval(ticket_id: int, approval_id: int, request: Request) -> Any:
    """The API can only cancel an approval (status 3); approving is the approver's job (§11.1)."""
    state = account(request)
    _get_ticket(state, ticket_id)
    body = await json_body(request, allowed={"approval_status"}, required=("approval_status",))
    status = body["approval_status"]
    if not isinstance(status, dict) or status.get("id") != 3:
        raise invalid(field_error("approval_status", "Only cancellation (id 3) is allowed", "invalid_value"))
    for approval in state.approvals.get(ticket_id, []):
        if approval["id"] == approval_id:
            if approval["approval_status"]["id"] != 0:
                raise ApiError(409, "Only a requested approval can be cancelled", code="inconsistent_state")
            approval["approval_status"] = {"id": 3, "name": "cancelled"}
            approval["updated_at"] = now_iso()
            return ok({"approval": public(approval)})
    raise not_found("approval", approval_id)


@router.get("/tickets/{ticket_id}/requested_items")
async def requested_items(ticket_id: int, request: Request) -> Any:
    state = account(request)
    ticket = _get_ticket(state, ticket_id)
    if ticket.get("type") != "Service Request":
        raise invalid(field_error("ticket_id", "Requested items exist only on service requests", "invalid_value"))
    return ok({"requested_items": [public(i) for i in state.requested_items.get(ticket_id, [])]})


@router.get("/tickets/{ticket_id}/activities")
async def activities(ticket_id: int, request: Request) -> Any:
    _get_ticket(account(request), ticket_id)
    return ok({"activities": [], "next_page_url": None})


@router.get("/tickets/{ticket_id}/time_entries")
async def time_entries(ticket_id: int, request: Request) -> Any:
    _get_ticket(account(request), ticket_id)
    return ok({"time_entries": []})


@router.get("/ticket_form_fields")
async def ticket_form_fields(request: Request) -> Any:
    return ok({"ticket_fields": account(request).ticket_form_fields})


@router.delete("/conversations/{conversation_id}")
async def delete_conversation(conversation_id: int, request: Request) -> Any:
    state = account(request)
    for items in state.conversations.values():
        for conversation in items:
            if conversation["id"] == conversation_id:
                items.remove(conversation)
                return no_content()
    raise not_found("conversation", conversation_id)
