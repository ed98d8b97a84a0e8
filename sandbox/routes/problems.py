"""Problems (reference §14): create, view, list, update — enough for a proposed Problem record.

A Problem needs a requester (``requester_id``, or ``email`` as the docs' sample sends), a subject, a
description, a status (1 Open, 2 Change Requested, 3 Closed), an impact (1-3) and a due date; the
priority (1-4) defaults to Low. The seed has no problems.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from sandbox.errors import field_error, invalid, not_found
from sandbox.pagination import paginate
from sandbox.requests import int_value, json_body
from sandbox.routes.common import account, created, ok
from sandbox.routes.tickets import html_to_text
from sandbox.state import AccountState, now_iso, public

router = APIRouter()

STATUSES = {1, 2, 3}
PRIORITIES = {1, 2, 3, 4}
LEVELS = {1, 2, 3}
CREATE_FIELDS = {"requester_id", "email", "subject", "description", "status", "impact", "priority", "due_by",
                 "agent_id", "group_id", "department_id", "category", "sub_category", "item_category", "known_error",
                 "custom_fields", "analysis_fields", "workspace_id"}
UPDATE_FIELDS = CREATE_FIELDS - {"workspace_id"}


def _parse_when(raw: Any, name: str) -> datetime:
    if not isinstance(raw, str):
        raise invalid(field_error(name, "It should be in the 'valid date time' format", "datatype_mismatch"))
    text = raw.strip().replace(" ", "+")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text else datetime.fromisoformat(text[:10])
    except ValueError:
        raise invalid(field_error(name, "It should be in the 'valid date time' format", "invalid_value")) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _check(state: AccountState, body: dict[str, Any], errors: list[dict[str, Any]]) -> None:
    int_value(body, "status", choices=STATUSES, errors=errors)
    int_value(body, "impact", choices=LEVELS, errors=errors)
    int_value(body, "priority", choices=PRIORITIES, errors=errors)
    if (agent := int_value(body, "agent_id", errors=errors)) is not None and agent not in state.agents:
        errors.append(field_error("agent_id", "There is no agent matching the given agent_id", "invalid_value"))
    if (group := int_value(body, "group_id", errors=errors)) is not None and group not in state.groups:
        errors.append(field_error("group_id", "There is no group matching the given group_id", "invalid_value"))
    for name in ("subject", "description"):
        if name in body and not isinstance(body[name], str):
            errors.append(field_error(name, "It should be a/an String", "datatype_mismatch"))
    if "known_error" in body and not isinstance(body["known_error"], bool):
        errors.append(field_error("known_error", "It should be a/an Boolean", "datatype_mismatch"))
    if "due_by" in body:
        _parse_when(body["due_by"], "due_by")


def _requester(state: AccountState, body: dict[str, Any], errors: list[dict[str, Any]]) -> int | None:
    if body.get("requester_id") is not None:
        rid = int_value(body, "requester_id", errors=errors)
        if rid is not None and state.person(rid) is None:
            errors.append(field_error("requester_id", "There is no contact matching the given requester_id", "invalid_value"))
        return rid
    if isinstance(email := body.get("email"), str):
        found = state.requester_by_email(email) or state.agent_by_email(email)
        if found is None:
            errors.append(field_error("email", "There is no contact matching the given email", "invalid_value"))
            return None
        return int(found["id"])
    errors.append(field_error("requester_id", "Please specify requester_id or email", "missing_field"))
    return None


@router.post("/problems")
async def create_problem(request: Request) -> Any:
    state = account(request)
    body = await json_body(request, allowed=CREATE_FIELDS, required=("subject", "description", "status", "impact", "due_by"))
    errors: list[dict[str, Any]] = []
    requester_id = _requester(state, body, errors)
    _check(state, body, errors)
    if errors:
        raise invalid(*errors)
    stamp = now_iso()
    due = _parse_when(body["due_by"], "due_by")
    problem: dict[str, Any] = {
        "id": state.next_problem_id(), "workspace_id": body.get("workspace_id") or state.workspace_id,
        "agent_id": body.get("agent_id"), "requester_id": requester_id, "group_id": body.get("group_id"),
        "priority": body.get("priority", 1), "impact": body["impact"], "status": body["status"],
        "subject": body["subject"], "description": body["description"],
        "description_text": html_to_text(body["description"]), "due_by": now_iso(due),
        "department_id": body.get("department_id"), "category": body.get("category"),
        "sub_category": body.get("sub_category"), "item_category": body.get("item_category"),
        "known_error": bool(body.get("known_error", False)), "created_at": stamp, "updated_at": stamp,
        "assets": [], "attachments": [], "custom_fields": body.get("custom_fields") or {},
        "analysis_fields": body.get("analysis_fields") or {},
    }
    state.problems[problem["id"]] = problem
    return created(request, {"problem": public(problem)}, f"problems/{problem['id']}")


@router.get("/problems")
async def list_problems(request: Request) -> Any:
    state = account(request)
    problems = list(state.problems.values())
    if since := request.query_params.get("updated_since"):
        cutoff = _parse_when(since, "updated_since")
        problems = [p for p in problems if datetime.fromisoformat(p["updated_at"].replace("Z", "+00:00")) >= cutoff]
    problems.sort(key=lambda p: (p["created_at"], p["id"]), reverse=True)
    page, headers = paginate(request, problems)
    return ok({"problems": [public(p) for p in page]}, headers=headers)


@router.get("/problems/{problem_id}")
async def view_problem(problem_id: int, request: Request) -> Any:
    problem = account(request).problems.get(problem_id)
    if problem is None:
        raise not_found("problem", problem_id)
    return ok({"problem": public(problem)})


@router.put("/problems/{problem_id}")
async def update_problem(problem_id: int, request: Request) -> Any:
    state = account(request)
    problem = state.problems.get(problem_id)
    if problem is None:
        raise not_found("problem", problem_id)
    body = await json_body(request, allowed=UPDATE_FIELDS)
    errors: list[dict[str, Any]] = []
    _check(state, body, errors)
    if "requester_id" in body or "email" in body:
        body["requester_id"] = _requester(state, body, errors)
        body.pop("email", None)
    if errors:
        raise invalid(*errors)
    if "due_by" in body:
        body["due_by"] = now_iso(_parse_when(body["due_by"], "due_by"))
    if "description" in body:
        problem["description_text"] = html_to_text(body["description"])
    problem.update(body)
    problem["updated_at"] = now_iso()
    return ok({"problem": public(problem)})

