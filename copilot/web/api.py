"""REST channel for integrations (Slack/Teams bots, portal backends) and tests.

A trusted integration authenticates with a bearer token from ``COPILOT_API_TOKENS`` and names the
employee in ``X-Employee-Email``; the employee must be a known Freshservice requester (403
otherwise), and a conversation answers only to the employee who started it (404 for anyone else).

Failures have words, never a 500: a busy copilot (turn queue or Redis pool saturated), Redis down or
Freshservice unreachable answer 503 with ``Retry-After`` and a sentence (``copilot.failures``), on
every route, conversation creation included.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from redis.exceptions import RedisError

from copilot import failures, logs
from copilot.conversations import ConversationLocked
from copilot.engine import ConversationNotFound, Engine, IncomingMessage, NothingToRate
from copilot.identity import UnknownEmployee
from copilot.services import get_services
from tools.employee import Employee
from tools.freshservice import FreshserviceError

router = APIRouter(prefix="/api/v1", tags=["conversations"])
log = logs.get_logger(__name__)
unavailable = logs.Throttled(log)  # 503s: busy, Redis down, Freshservice unreachable
MAX_BODY_BYTES = 64 * 1024
MAX_EMAIL_CHARS = 254  # RFC 5321's longest usable address


def _problem(status: int, message: str) -> HTTPException:
    return HTTPException(status_code=status, detail={"error": message})


async def employee_dep(
    authorization: Annotated[str | None, Header()] = None,
    x_employee_email: Annotated[str | None, Header()] = None,
) -> Employee:
    services = await get_services()
    tokens = services.settings.api_token_values()
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not any(hmac.compare_digest(token.strip(), t) for t in tokens):
        raise _problem(401, "A valid bearer token for this integration is required.")
    if not x_employee_email or "@" not in x_employee_email:
        raise _problem(400, "Send the employee's email in the X-Employee-Email header.")
    if len(x_employee_email) > MAX_EMAIL_CHARS:
        raise _problem(400, f"The X-Employee-Email header is too long (at most {MAX_EMAIL_CHARS} characters).")
    try:
        return await services.employee(x_employee_email)
    except UnknownEmployee:
        raise _problem(403, "This email does not belong to a known employee.") from None


EmployeeDep = Annotated[Employee, Depends(employee_dep)]


async def engine_dep() -> Engine:
    return await (await get_services()).engine()


EngineDep = Annotated[Engine, Depends(engine_dep)]


class ConversationCreated(BaseModel):
    id: str


@router.post("/conversations", status_code=201)
async def create_conversation(employee: EmployeeDep, engine: EngineDep) -> ConversationCreated:
    state = await engine.start(employee)
    return ConversationCreated(id=state.id)


@router.post("/conversations/{conversation_id}/messages")
async def post_message(conversation_id: str, request: Request, employee: EmployeeDep, engine: EngineDep) -> JSONResponse:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise _problem(413, f"The message is too large (limit {MAX_BODY_BYTES // 1024} KB).")
    try:
        message = IncomingMessage.model_validate_json(body or b"{}")
    except ValidationError:
        raise _problem(422, "Send a JSON body with either 'text' or 'action'.") from None
    try:
        result = await engine.handle(conversation_id, employee, message)
    except ConversationNotFound:
        raise _problem(404, "No such conversation.") from None
    except ConversationLocked:
        raise _problem(409, "I'm still working on your last message in this conversation; "
                            "send this one again when that reply has arrived.") from None
    payload: dict[str, Any] = {
        "messages": [m.model_dump() for m in result.messages],
        "handoff": result.handoff,
        "tickets": result.tickets,
        "activities": [a.model_dump() for a in result.activities],  # what it did, as the chat UI's steps show it
    }
    return JSONResponse(payload)


class FeedbackRequest(BaseModel):
    helpful: bool  # thumbs-up (true) or thumbs-down (false) on the last answer


@router.post("/conversations/{conversation_id}/feedback", status_code=204)
async def post_feedback(conversation_id: str, body: FeedbackRequest, employee: EmployeeDep, engine: EngineDep) -> None:
    """A thumbs on the copilot's last answer, for the insights. A thumbs-down does not by itself show the
    next article: send the ``not_helpful`` action for that."""
    try:
        await engine.feedback(conversation_id, employee, helpful=body.helpful)
    except ConversationNotFound:
        raise _problem(404, "No such conversation.") from None
    except NothingToRate:
        raise _problem(409, "There is no answer to rate yet in this conversation.") from None


@router.get("/conversations/{conversation_id}")
async def get_conversation(conversation_id: str, employee: EmployeeDep, engine: EngineDep) -> dict[str, Any]:
    try:
        state = await engine.state(conversation_id, employee)
    except ConversationNotFound:
        raise _problem(404, "No such conversation.") from None
    return {
        "id": state.id,
        "transcript": [e.model_dump(mode="json") for e in state.transcript],
        "state": {
            "handoff": state.handoff.model_dump(mode="json") if state.handoff else None,
            "draft": state.draft.model_dump(mode="json") if state.draft else None,
            "pending": [p.model_dump(mode="json", exclude={"payload"}) for p in state.awaiting_decision()],  # with status: pending or checking
            # every write proposed in this conversation and what became of it (pending, checking, done, cancelled)
            "proposals": [{"id": p.id, "kind": p.kind, "status": p.status} for p in state.pending.values()],
            "tickets": state.tickets,
            "turns": state.turns,
        },
    }


async def _failure_response(request: Request, error: Exception) -> JSONResponse:
    services = await get_services()
    failure = failures.explain(error, services.settings.urgent_contact)
    fields = {"error": type(error).__name__, "cause": type(error.__cause__).__name__ if error.__cause__ else None,
              "status": failure.status if failure else 500}  # types only: texts may hold hosts and payloads
    if failure is None:  # not an infrastructure failure: still words, never a stack trace
        log.warning("request_failed", path=request.url.path, **fields)
        return JSONResponse({"detail": {"error": "Something went wrong on our side; nothing was lost. "
                                                 "Please try again."}}, status_code=500)
    # under overload every refused request lands here: one line per kind every few seconds, with a count
    unavailable.warning("request_failed", key=f"{fields['error']}:{fields['cause']}", path=request.url.path, **fields)
    return JSONResponse({"detail": {"error": failure.message}}, status_code=failure.status, headers=failure.headers)


def install_failure_handlers(app: FastAPI) -> None:
    """Busy, Redis down and Freshservice unreachable become 503 + Retry-After with a sentence, app-wide."""
    for error in (failures.Busy, RedisError, FreshserviceError):
        app.add_exception_handler(error, _failure_response)
