"""Outbound webhooks like Workflow Automator's "Trigger Webhook" action (reference §13).

A configured target receives a templated JSON body with the ticket's fields and a shared-secret
header; there is no signature, exactly like Freshservice. Deliveries are recorded for tests.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from sandbox.config import WebhookTarget
from sandbox.state import AccountState, now_iso


def payload(state: AccountState, event: str, ticket: dict[str, Any], note: dict[str, Any] | None = None) -> dict[str, Any]:
    """The body an admin would template with ``{{ticket.*}}`` placeholders."""
    group = state.groups.get(ticket.get("group_id") or 0)
    return {
        "event": event,
        "triggered_at": now_iso(),
        "ticket": {
            "id": ticket["id"], "subject": ticket.get("subject"), "type": ticket.get("type"),
            "status": ticket.get("status"), "priority": ticket.get("priority"), "source": ticket.get("source"),
            "category": ticket.get("category"), "sub_category": ticket.get("sub_category"),
            "description_text": ticket.get("description_text"),
            "requester_id": ticket.get("requester_id"), "requester_email": state.person_email(ticket.get("requester_id")),
            "group_id": ticket.get("group_id"), "group_name": group["name"] if group else None,
            "responder_id": ticket.get("responder_id"), "created_at": ticket.get("created_at"),
            "updated_at": ticket.get("updated_at"),
            "latest_note": (note or {}).get("body_text"),
        },
    }


class WebhookDispatcher:
    def __init__(self, targets: list[WebhookTarget]) -> None:
        self.targets = list(targets)
        self.deliveries: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def emit(self, state: AccountState, event: str, ticket: dict[str, Any], note: dict[str, Any] | None = None) -> None:
        for target in self.targets:
            if event in target.events:
                task = asyncio.get_running_loop().create_task(self._deliver(target, payload(state, event, ticket, note)))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _deliver(self, target: WebhookTarget, body: dict[str, Any]) -> None:
        record: dict[str, Any] = {"url": target.url, "event": body["event"], "ticket_id": body["ticket"]["id"],
                                  "status": None, "error": None, "at": body["triggered_at"]}
        headers = {target.header_name: target.header_value} if target.header_value else {}
        try:
            async with httpx.AsyncClient(timeout=10.0) as client:
                response = await client.post(target.url, json=body, headers=headers)
            record["status"] = response.status_code
        except httpx.HTTPError as exc:
            record["error"] = type(exc).__name__
        self.deliveries.append(record)
