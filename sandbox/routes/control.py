"""``/_sandbox/*``: not Freshservice. Reset, act as an approver, rate-limit plan, faults, call log.

Same API-key auth as the API; answers 404 when ``control_enabled`` is off (production-like use).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError

from sandbox.config import PLAN_LIMITS, WebhookTarget
from sandbox.errors import ApiError, field_error, invalid, not_found
from sandbox.limits import FaultPlan
from sandbox.routes.common import account, no_content, ok
from sandbox.workflow import act

router = APIRouter(prefix="/_sandbox")


class ApprovalAction(BaseModel):
    status: Literal["approved", "rejected"]
    remark: str | None = None


class RateLimitChange(BaseModel):
    plan: str | None = None
    per_minute: int | None = None


async def _model(request: Request, model: type[BaseModel]) -> Any:
    try:
        return model.model_validate_json(await request.body() or b"{}")
    except ValidationError as exc:
        raise invalid(*[field_error(".".join(map(str, e["loc"])) or "body", e["msg"]) for e in exc.errors()]) from None


@router.post("/reset")
async def reset(request: Request) -> Any:
    account(request).reset()
    request.app.state.bucket.configure(request.app.state.bucket.per_minute)
    return ok({"reset": True})


@router.post("/tickets/{ticket_id}/approvals/{approval_id}")
async def decide(ticket_id: int, approval_id: int, request: Request) -> Any:
    state = account(request)
    action: ApprovalAction = await _model(request, ApprovalAction)
    ticket = state.tickets.get(ticket_id)
    if ticket is None:
        raise not_found("ticket", ticket_id)
    for approval in state.approvals.get(ticket_id, []):
        if approval["id"] == approval_id:
            if approval["approval_status"]["id"] != 0:
                raise ApiError(409, "This approval has already been decided", code="inconsistent_state")
            act(state, ticket, approval, action.status == "approved", action.remark)
            request.app.state.webhooks.emit(state, "ticket_updated", ticket)
            return ok({"approval": {k: v for k, v in approval.items() if not k.startswith("_")}})
    raise not_found("approval", approval_id)


@router.put("/rate_limit")
async def rate_limit(request: Request) -> Any:
    change: RateLimitChange = await _model(request, RateLimitChange)
    if change.plan is not None and change.plan not in PLAN_LIMITS:
        raise invalid(field_error("plan", "It should be one of these values: '" + ",".join(PLAN_LIMITS) + "'"))
    per_minute = change.per_minute if change.per_minute is not None else PLAN_LIMITS.get(change.plan or "unlimited")
    request.app.state.bucket.configure(per_minute)
    return ok({"per_minute": per_minute})


@router.put("/faults")
async def set_faults(request: Request) -> Any:
    plan: FaultPlan = await _model(request, FaultPlan)
    request.app.state.faults.set(plan)
    return ok(plan.model_dump())


@router.delete("/faults")
async def clear_faults(request: Request) -> Any:
    request.app.state.faults.set(None)
    return no_content()


@router.get("/requests")
async def calls(request: Request) -> Any:
    return ok({"requests": list(request.app.state.calls)})


@router.delete("/requests")
async def clear_calls(request: Request) -> Any:
    request.app.state.calls.clear()
    return no_content()


class WebhookTargets(BaseModel):
    targets: list[WebhookTarget]


def _shown(target: WebhookTarget) -> dict[str, Any]:
    """A target as the control API shows it: the secret header value masked."""
    return target.model_dump() | {"header_value": "***" if target.header_value else ""}


@router.get("/webhooks")
async def list_webhooks(request: Request) -> Any:
    return ok({"targets": [_shown(t) for t in request.app.state.webhooks.targets]})


@router.post("/webhooks")
async def add_webhook(request: Request) -> Any:
    target: WebhookTarget = await _model(request, WebhookTarget)
    request.app.state.webhooks.targets.append(target)
    return ok({"targets": len(request.app.state.webhooks.targets)}, status=201)


@router.put("/webhooks")
async def replace_webhooks(request: Request) -> Any:
    """Point the account's automations somewhere else at runtime (e.g. at the app under test)."""
    change: WebhookTargets = await _model(request, WebhookTargets)
    request.app.state.webhooks.targets = list(change.targets)
    return ok({"targets": [_shown(t) for t in change.targets]})


@router.delete("/webhooks")
async def clear_webhooks(request: Request) -> Any:
    """No more targets; retries still waiting are dropped too."""
    request.app.state.webhooks.targets = []
    request.app.state.webhooks.cancel_pending()
    return no_content()


@router.get("/webhooks/deliveries")
async def deliveries(request: Request) -> Any:
    """Every delivery attempt (``delivery_id`` groups an event's retries) and how many are still pending."""
    dispatcher = request.app.state.webhooks
    return ok({"deliveries": list(dispatcher.deliveries), "pending": dispatcher.pending()})


@router.delete("/webhooks/deliveries")
async def clear_deliveries(request: Request) -> Any:
    request.app.state.webhooks.deliveries.clear()
    return no_content()
