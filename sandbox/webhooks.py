"""Outbound webhooks like Workflow Automator's "Trigger Webhook" action (reference §13).

A configured target receives a JSON body with the ticket's fields (what an admin ticks in "simple"
content mode, or their own ``{{ticket.*}}`` template in "advanced" mode, substituted as raw text like
Freshservice does) and a shared-secret header; there is no signature, exactly like Freshservice.

Delivery: one POST with a timeout; a failure (no answer, timeout, or a non-2xx status) is retried on a
schedule — Freshworks documents 5, 30 and 60 minutes for its automation webhooks; Freshservice's own
schedule is unconfirmed (§13), so each target can set ``retry_delays`` (tests use fractions of a
second). Every attempt is recorded for the control API (``GET /_sandbox/webhooks/deliveries``).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from typing import Any

import httpx

from sandbox.config import WebhookTarget
from sandbox.state import AccountState, now_iso

PLACEHOLDER = re.compile(r"\{\{\s*ticket\.([a-z_]+)\s*\}\}")


def payload(state: AccountState, event: str, ticket: dict[str, Any], note: dict[str, Any] | None = None) -> dict[str, Any]:
    """The body an admin would build from ``{{ticket.*}}`` placeholders for a triage listener."""
    group = state.groups.get(ticket.get("group_id") or 0)
    responder = ticket.get("responder_id")
    return {
        "event": event,
        "triggered_at": now_iso(),
        "ticket": {
            "id": ticket["id"], "subject": ticket.get("subject"), "type": ticket.get("type"),
            "status": ticket.get("status"), "priority": ticket.get("priority"), "urgency": ticket.get("urgency"),
            "impact": ticket.get("impact"), "source": ticket.get("source"),
            "category": ticket.get("category"), "sub_category": ticket.get("sub_category"),
            "item_category": ticket.get("item_category"), "description_text": ticket.get("description_text"),
            "requester_id": ticket.get("requester_id"), "requester_email": state.person_email(ticket.get("requester_id")),
            "requester_name": state.person_name(ticket.get("requester_id")),
            "department_id": ticket.get("department_id"), "workspace_id": ticket.get("workspace_id"),
            "group_id": ticket.get("group_id"), "group_name": group["name"] if group else None,
            "responder_id": responder, "responder_name": state.person_name(responder),
            "responder_email": state.person_email(responder), "tags": list(ticket.get("tags") or []),
            "created_at": ticket.get("created_at"), "updated_at": ticket.get("updated_at"),
            "due_by": ticket.get("due_by"),
            "latest_note": (note or {}).get("body_text"),
        },
    }


def render(template: str, body: dict[str, Any]) -> str:
    """"Advanced" content mode: ``{{ticket.x}}`` replaced by the raw value (strings are not escaped)."""
    ticket = body["ticket"]

    def value(match: re.Match[str]) -> str:
        raw = ticket.get(match.group(1), "") if match.group(1) != "event" else body["event"]
        return "" if raw is None else str(raw)

    return PLACEHOLDER.sub(value, template).replace("{{event}}", body["event"])


def _failed(status: int | None) -> bool:
    return status is None or not 200 <= status < 300


class WebhookDispatcher:
    """Sends each event to the targets that want it; retries failures in the background."""

    def __init__(self, targets: list[WebhookTarget]) -> None:
        self.targets = list(targets)
        self.deliveries: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)

    def emit(self, state: AccountState, event: str, ticket: dict[str, Any], note: dict[str, Any] | None = None) -> None:
        for target in self.targets:
            if event in target.events:
                body = payload(state, event, ticket, note)
                task = asyncio.get_running_loop().create_task(self._deliver(target, body, next(self._ids)))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def pending(self) -> int:
        """Deliveries still running or waiting for a retry."""
        return len(self._tasks)

    def cancel_pending(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def _deliver(self, target: WebhookTarget, body: dict[str, Any], delivery_id: int) -> None:
        headers = {target.header_name: target.header_value} if target.header_value else {}
        content = render(target.body_template, body) if target.body_template else None
        delays = [*target.retry_delays, None]
        async with httpx.AsyncClient(timeout=target.timeout_seconds) as client:
            for attempt, delay in enumerate(delays, 1):
                record: dict[str, Any] = {"delivery_id": delivery_id, "attempt": attempt, "url": target.url,
                                          "event": body["event"], "ticket_id": body["ticket"]["id"],
                                          "updated_at": body["ticket"]["updated_at"], "status": None, "error": None,
                                          "at": now_iso(), "duration_ms": None, "retry_in": None}
                started = time.perf_counter()
                try:
                    if content is None:
                        response = await client.post(target.url, json=body, headers=headers)
                    else:
                        response = await client.post(target.url, content=content.encode(),
                                                     headers={**headers, "Content-Type": "application/json"})
                    record["status"] = response.status_code
                except httpx.HTTPError as exc:
                    record["error"] = type(exc).__name__
                record["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
                failed = _failed(record["status"])
                if failed and delay is not None:
                    record["retry_in"] = delay
                self.deliveries.append(record)
                if not failed or delay is None:
                    return
                await asyncio.sleep(delay)
