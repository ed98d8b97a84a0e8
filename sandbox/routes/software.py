"""Applications (software), licences, users, installations, contracts, assets (reference §12)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from sandbox import query
from sandbox.errors import not_found
from sandbox.pagination import paginate
from sandbox.requests import includes
from sandbox.routes.common import account, ok
from sandbox.state import AccountState, public

router = APIRouter()
ASSET_FILTER_FIELDS = {"workspace_id", "asset_type_id", "department_id", "location_id", "asset_state", "user_id",
                       "agent_id", "name", "asset_tag", "created_at", "updated_at", "serial_number"}


def _app(state: AccountState, app_id: int) -> dict[str, Any]:
    found = state.applications.get(app_id)
    if found is None:
        raise not_found("application", app_id)
    return found


@router.get("/applications")
async def list_applications(request: Request) -> Any:
    page, headers = paginate(request, list(account(request).applications.values()))
    return ok({"applications": [public(a) for a in page]}, headers=headers)


@router.get("/applications/{app_id}")
async def view_application(app_id: int, request: Request) -> Any:
    return ok({"application": public(_app(account(request), app_id))})


@router.get("/applications/{app_id}/licenses")
async def licenses(app_id: int, request: Request) -> Any:
    state = account(request)
    _app(state, app_id)
    found = [{"id": c["id"], "contract_id": c.get("contract_number"), "created_time": c.get("created_at"),
              "updated_time": c.get("updated_at")} for c in state.contracts.values() if c.get("software_id") == app_id]
    return ok({"licenses": found})


@router.get("/applications/{app_id}/users")
async def users(app_id: int, request: Request) -> Any:
    state = account(request)
    _app(state, app_id)
    page, headers = paginate(request, state.application_users.get(app_id, []))
    return ok({"application_users": [public(u) for u in page]}, headers=headers)


@router.get("/applications/{app_id}/installations")
async def installations(app_id: int, request: Request) -> Any:
    state = account(request)
    _app(state, app_id)
    page, headers = paginate(request, state.application_installations.get(app_id, []))
    return ok({"installations": [public(i) for i in page]}, headers=headers)


@router.get("/contracts")
async def list_contracts(request: Request) -> Any:
    page, headers = paginate(request, list(account(request).contracts.values()))
    return ok({"contracts": [public(c) for c in page]}, headers=headers)


@router.get("/contracts/{contract_id}")
async def view_contract(contract_id: int, request: Request) -> Any:
    found = account(request).contracts.get(contract_id)
    if found is None:
        raise not_found("contract", contract_id)
    return ok({"contract": public(found)})


@router.get("/contract_types")
async def contract_types(request: Request) -> Any:
    return ok({"contract_types": [public(c) for c in account(request).contract_types.values()]})


@router.get("/asset_types")
async def asset_types(request: Request) -> Any:
    page, headers = paginate(request, list(account(request).asset_types.values()))
    return ok({"asset_types": [public(t) for t in page]}, headers=headers)


def _asset_field(asset: dict[str, Any]):  # noqa: ANN202 - resolver closure
    suffix = f"_{asset.get('asset_type_id')}"

    def get(name: str) -> Any:
        if name in asset:
            return asset[name]
        return (asset.get("type_fields") or {}).get(name + suffix)
    return get


@router.get("/assets")
async def list_assets(request: Request) -> Any:
    state = account(request)
    wanted = includes(request, {"type_fields"})
    assets = list(state.assets.values())
    if "filter" in request.query_params:
        predicate = query.compile_query(request.query_params.get("filter"), ASSET_FILTER_FIELDS, param="filter")
        assets = [a for a in assets if predicate(_asset_field(a))]
    page, headers = paginate(request, assets)
    drop = () if "type_fields" in wanted else ("type_fields",)
    return ok({"assets": [public(a, drop=drop) for a in page]}, headers=headers)


@router.get("/assets/{display_id}")
async def view_asset(display_id: int, request: Request) -> Any:
    state = account(request)
    wanted = includes(request, {"type_fields"})
    found = state.assets.get(display_id)
    if found is None:
        raise not_found("asset", display_id)
    return ok({"asset": public(found, drop=() if "type_fields" in wanted else ("type_fields",))})


@router.get("/assets/{display_id}/requests")
async def asset_requests(display_id: int, request: Request) -> Any:
    if display_id not in account(request).assets:
        raise not_found("asset", display_id)
    return ok({"requests": []})


def _empty(name: str) -> None:
    """Modules the sandbox does not seed answer like an account that does not use them (§18)."""

    async def listing(request: Request) -> Any:
        return ok({name: []})

    router.add_api_route(f"/{name}", listing, methods=["GET"], name=f"list_{name}")


for _module in ("changes", "problems", "releases"):
    _empty(_module)


@router.get("/vendors")
async def vendors(request: Request) -> Any:
    page, headers = paginate(request, list(account(request).vendors.values()))
    return ok({"vendors": [public(v) for v in page]}, headers=headers)
