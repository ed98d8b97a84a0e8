"""``POST /webhooks/freshservice``: ticket events from Freshservice's Workflow Automator, onto the triage queue.

Freshservice signs nothing (reference §13): an admin adds a "Trigger Webhook" action with a custom
header carrying a shared secret (``COPILOT_WEBHOOK_HEADER``, default ``X-Webhook-Token``; value
``COPILOT_WEBHOOK_SECRET``), compared in constant time; anything else is 401. The body is whatever
the admin templated, so it is read leniently (raw newlines inside strings are accepted, and a body
broken by a quote in a subject is salvaged when the event, the ticket id and ``updated_at`` can still
be read unambiguously); only those three are needed, because the worker re-reads the ticket through
the API. The answer is 202 only after the event is in the Redis Stream, so nothing accepted is lost;
Redis down is 503 + ``Retry-After`` and the sender retries. Logs carry reasons, never payload text.
"""

from __future__ import annotations

import hmac
import json
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from redis.exceptions import RedisError

from copilot import logs, store
from copilot.services import get_services
from copilot.settings import Settings
from copilot.store import RedisBusy
from copilot.triage.queue import TicketEvent, normalise_time, queue_from_settings

router = APIRouter(tags=["webhooks"])
log = logs.get_logger(__name__)

QUEUED_EVENTS = ("ticket_created", "ticket_updated")
IGNORED_EVENTS = ("note_added",)  # the sandbox (and admins) may send them; triage does not act on notes
REDIS_RETRY_AFTER = 30


class WebhookTicket(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int = Field(gt=0)
    updated_at: str | None = None


class WebhookPayload(BaseModel):
    """What triage needs from the templated body; everything else is allowed and ignored."""

    model_config = ConfigDict(extra="allow")

    event: str | None = None
    ticket: WebhookTicket | None = None
    ticket_id: int | None = Field(None, gt=0)  # a flat template: {"ticket_id": {{ticket.id}}, ...}
    updated_at: str | None = None
    triggered_at: str | None = None


class Rejected(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


def _answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


def authorised(settings: Settings, request: Request) -> bool:
    """The shared-secret header, compared in constant time."""
    assert settings.webhook_secret is not None
    given = request.headers.get(settings.webhook_header, "")
    return hmac.compare_digest(given.encode(), settings.webhook_secret.get_secret_value().encode())


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 beyond ``limit`` bytes (before reading it when Content-Length says so)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Rejected(413, "too_large", f"The webhook body is too large (limit {limit // 1024} KB).")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Rejected(413, "too_large", f"The webhook body is too large (limit {limit // 1024} KB).")
        chunks.append(chunk)
    return b"".join(chunks)


def _only(pattern: str, text: str) -> str | None:
    found = re.findall(pattern, text)
    return found[0] if len(set(found)) == 1 else None


def salvage(text: str) -> dict[str, Any] | None:
    """Event, ticket id and updated_at from a body that is not valid JSON (an unescaped quote in a
    templated subject), when each appears exactly once; None otherwise."""
    event = _only(r'"event"\s*:\s*"([a-z_]+)"', text)
    ticket_id = _only(r'"(?:id|ticket_id)"\s*:\s*"?(\d+)"?', text)
    updated_at = _only(r'"updated_at"\s*:\s*"([0-9T:\-+Z. ]+)"', text)
    if event and ticket_id and updated_at:
        return {"event": event, "ticket_id": int(ticket_id), "updated_at": updated_at}
    return None


def parse_event(body: bytes, query_event: str | None) -> TicketEvent | str:
    """The queued event, or the name of an event that is accepted and ignored. Raises :class:`Rejected`."""
    if not body.strip():
        raise Rejected(400, "empty", "The webhook body is empty; send the ticket as JSON.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "not_utf8", "The webhook body is not UTF-8 text; send JSON.") from None
    try:
        raw: Any = json.loads(text, strict=False)  # strict=False: raw newlines from {{ticket.description}}
        salvaged = False
    except json.JSONDecodeError:
        raw, salvaged = salvage(text), True
        if raw is None:
            raise Rejected(400, "invalid_json", "The webhook body is not valid JSON. If the template puts ticket "
                                                "text in quotes, a quote inside the subject can break it: send "
                                                "{{ticket.id}}, the event and {{ticket.updated_at}} at least.") from None
    if not isinstance(raw, dict):
        raise Rejected(400, "not_object", "The webhook body must be a JSON object with 'event' and 'ticket'.")
    try:
        payload = WebhookPayload.model_validate(raw)
    except ValidationError as error:
        where = ".".join(str(p) for p in error.errors()[0]["loc"]) or "body"
        raise Rejected(400, "invalid_fields", f"The webhook field '{where}' is not valid: "
                                              f"{error.errors()[0]['msg']}.") from None
    event = (payload.event or query_event or "").strip().lower()
    if not event:
        raise Rejected(400, "no_event", "Say which event this is: 'event' in the body (ticket_created or "
                                        "ticket_updated) or ?event= in the URL.")
    if event in IGNORED_EVENTS:
        return event
    if event not in QUEUED_EVENTS:
        raise Rejected(400, "unknown_event", f"Unknown event '{event[:40]}'; expected one of: "
                                             f"{', '.join(QUEUED_EVENTS + IGNORED_EVENTS)}.")
    ticket_id = payload.ticket.id if payload.ticket else payload.ticket_id
    if ticket_id is None:
        raise Rejected(400, "no_ticket", "The webhook body names no ticket: send 'ticket': {'id': ...} "
                                         "(or 'ticket_id').")
    updated_at = (payload.ticket.updated_at if payload.ticket else None) or payload.updated_at
    if not updated_at and event == "ticket_updated":
        updated_at = payload.triggered_at
    if not updated_at and event == "ticket_updated":
        raise Rejected(400, "no_updated_at", "A ticket_updated event needs the ticket's updated_at "
                                             "({{ticket.updated_at}}) to tell one update from another.")
    if salvaged:
        log.warning("webhook_salvaged", ticket_id=ticket_id, bytes=len(body))
    return TicketEvent(event=event, ticket_id=ticket_id,
                       updated_at=normalise_time(updated_at or "created"))


@router.post("/webhooks/freshservice", status_code=202)
async def freshservice_webhook(request: Request) -> JSONResponse:
    """Accept a ticket event: 202 when queued, 200 for a duplicate or an ignored event, 4xx with words."""
    settings: Settings = getattr(request.app.state, "settings", None) or (await get_services()).settings
    if settings.webhook_secret is None:
        return _answer(404, {"error": "Webhook intake is off: set COPILOT_WEBHOOK_SECRET to turn it on."})
    try:
        if not authorised(settings, request):
            raise Rejected(401, "bad_secret", f"Missing or wrong {settings.webhook_header} header.")
        event = parse_event(await read_body(request, settings.webhook_max_body_bytes),
                            request.query_params.get("event"))
    except Rejected as rejected:
        log.warning("webhook_rejected", status=rejected.status, reason=rejected.reason)
        return _answer(rejected.status, {"error": rejected.message})
    if isinstance(event, str):
        return _answer(200, {"status": "ignored", "event": event})
    try:
        entry = await queue_from_settings(settings, await store.get_redis(settings)).enqueue(event)
    except RedisError as error:
        retry = 5 if isinstance(error, RedisBusy) else REDIS_RETRY_AFTER
        log.warning("webhook_not_queued", error=type(error).__name__, ticket_id=event.ticket_id)
        return _answer(503, {"error": "The triage queue is unavailable; nothing was accepted. Retry later."},
                       headers={"Retry-After": str(retry)})
    if entry is None:
        log.info("webhook_duplicate", ticket_id=event.ticket_id, kind=event.event)
        return _answer(200, {"status": "duplicate", "key": event.key})
    log.info("webhook_queued", ticket_id=event.ticket_id, kind=event.event, stream_id=entry)
    return _answer(202, {"status": "queued", "id": entry, "key": event.key})
