"""Requesters, agents, groups, departments, locations, business hours (reference §8)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from sandbox import query
from sandbox.errors import field_error, invalid, not_found
from sandbox.pagination import page_params, paginate
from sandbox.routes.common import account, ok
from sandbox.state import public

router = APIRouter()
REQUESTER_QUERY_FIELDS = {"first_name", "last_name", "name", "job_title", "primary_email", "work_phone_number",
                          "mobile_phone_number", "department_id", "reporting_manager_id", "time_zone", "language",
                          "location_id", "created_at", "updated_at"}
AGENT_QUERY_FIELDS = (REQUESTER_QUERY_FIELDS - {"primary_email"}) | {"email", "active"}
QUERY_PAGE_SIZE, QUERY_MAX_PAGE = 30, 40


def _resolver(person: dict[str, Any]):  # noqa: ANN202 - resolver closure
    def get(name: str) -> Any:
        if name == "name":
            return " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p)
        if name == "department_id":
            return person.get("department_ids") or []
        return person.get(name, (person.get("custom_fields") or {}).get(name))
    return get


def _queried(request: Request, people: list[dict[str, Any]], fields: set[str]) -> Any:
    predicate = query.compile_query(request.query_params.get("query"), fields)
    page, _ = page_params(request)
    if page > QUERY_MAX_PAGE:
        raise invalid(field_error("page", f"Must be less than or equal to {QUERY_MAX_PAGE}", "invalid_value"))
    found = sorted((p for p in people if predicate(_resolver(p))), key=lambda p: p["created_at"], reverse=True)
    return found[(page - 1) * QUERY_PAGE_SIZE: page * QUERY_PAGE_SIZE]


@router.get("/requesters")
async def list_requesters(request: Request) -> Any:
    state = account(request)
    params = request.query_params
    people = list(state.requesters.values())
    if params.get("include_agents") == "true":
        people += list(state.agents.values())
    if "query" in params:
        return ok({"requesters": [public(p) for p in _queried(request, people, REQUESTER_QUERY_FIELDS)]})
    if email := params.get("email"):
        found = state.requester_by_email(email)
        people = [found] if found else []
    for name in ("mobile_phone_number", "work_phone_number"):
        if value := params.get(name):
            people = [p for p in people if p.get(name) == value]
    people.sort(key=lambda p: ((p.get("first_name") or "").lower(), p["id"]))
    page, headers = paginate(request, people)
    return ok({"requesters": [public(p) for p in page]}, headers=headers)


@router.get("/requesters/{requester_id}")
async def view_requester(requester_id: int, request: Request) -> Any:
    found = account(request).requesters.get(requester_id)
    if found is None:
        raise not_found("requester", requester_id)
    return ok({"requester": public(found)})


@router.get("/agents/me")
async def me(request: Request) -> Any:
    state = account(request)
    return ok({"agent": public(state.agents[state.api_agent_id])})


@router.get("/agents")
async def list_agents(request: Request) -> Any:
    state = account(request)
    params = request.query_params
    agents = list(state.agents.values())
    if "query" in params:
        return ok({"agents": [public(a) for a in _queried(request, agents, AGENT_QUERY_FIELDS)]})
    if email := params.get("email"):
        agents = [a for a in agents if (a.get("email") or "").lower() == email.lower()]
    if (active := params.get("active")) in ("true", "false"):
        agents = [a for a in agents if bool(a.get("active")) == (active == "true")]
    if (kind := params.get("state")) in ("fulltime", "occasional"):
        agents = [a for a in agents if bool(a.get("occasional")) == (kind == "occasional")]
    agents.sort(key=lambda a: ((a.get("first_name") or "").lower(), a["id"]))
    page, headers = paginate(request, agents)
    return ok({"agents": [public(a) for a in page]}, headers=headers)


@router.get("/agents/{agent_id}")
async def view_agent(agent_id: int, request: Request) -> Any:
    found = account(request).agents.get(agent_id)
    if found is None:
        raise not_found("agent", agent_id)
    return ok({"agent": public(found)})


def _collection(name: str, single: str, attribute: str) -> None:
    """List and view routes for a simple collection kept in ``AccountState.<attribute>``."""

    async def listing(request: Request) -> Any:
        items = list(getattr(account(request), attribute).values())
        if name == "departments" and "query" in request.query_params:
            predicate = query.compile_query(request.query_params.get("query"), {"name"})
            items = [i for i in items if predicate(i.get)]
        page, headers = paginate(request, items)
        return ok({name: [public(i) for i in page]}, headers=headers)

    async def view(item_id: int, request: Request) -> Any:
        found = getattr(account(request), attribute).get(item_id)
        if found is None:
            raise not_found(single.replace("_", " "), item_id)
        return ok({single: public(found)})

    router.add_api_route(f"/{name}", listing, methods=["GET"], name=f"list_{name}")
    router.add_api_route(f"/{name}/{{item_id}}", view, methods=["GET"], name=f"view_{single}")


_collection("groups", "group", "groups")
_collection("departments", "department", "departments")
_collection("locations", "location", "locations")
_collection("business_hours", "business_hours", "business_hours")
_collection("roles", "role", "roles")
