"""One audit event as the analytics keep it: its kind, name, outcome and a few whitelisted facts.

Everything here is read from what ``copilot.audit`` already wrote; what is dropped on the way is the
message text the audit keeps for operators (search questions, reasons typed by the model, note bodies):
the analytics need none of it. Tool names, outcomes, tiers, ticket ids, catalog item names, KB article
titles, form field names and triage field values are kept.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Kind = Literal["turn", "tool", "button", "write", "feedback", "handover", "triage_proposal", "triage_decision",
               "other"]
WRITE_KINDS = frozenset({"place_request", "create_incident", "urgent_escalation"})
MAX_NAME = 64


class EventRow(BaseModel):
    """A row of ``insights_events``."""

    stream_id: str
    at: datetime
    conversation_id: str
    employee: str
    kind: Kind
    name: str
    outcome: str
    detail: dict[str, Any] = Field(default_factory=dict)

    def db(self) -> dict[str, Any]:
        return {**self.model_dump(exclude={"detail"}), "detail": json.dumps(self.detail, sort_keys=True)}


def stream_order(stream_id: str) -> tuple[int, int]:
    """Redis stream ids sort by (milliseconds, sequence), not as text ("9" > "10")."""
    ms, _, seq = stream_id.partition("-")
    try:
        return int(ms), int(seq or 0)
    except ValueError:
        return 0, 0


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _short(value: Any, limit: int = 120) -> str | None:
    return str(value)[:limit] if value not in (None, "") else None


def _tool_detail(name: str, arguments: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """The facts of one tool call the outcome classes and figures use (never its free-text arguments)."""
    detail: dict[str, Any] = {}
    if name == "search_kb":
        detail["tier"] = result.get("tier") or ("confident" if result.get("answer") else "none")
        articles = result.get("articles") or []
        if articles and isinstance(articles[0], dict):
            detail["article"] = _short(articles[0].get("title"), 300)
    elif name == "check_license":
        detail["known"] = result.get("known", True) is not False and "application" in result
    elif name in ("my_tickets", "ticket_status"):
        detail["found"] = result.get("found", True) is not False
    elif name in ("start_request", "find_catalog_item"):
        detail["found"] = bool(result.get("stage") or result.get("items"))
        detail["started"] = bool(result.get("stage"))
    elif name in ("answer_request_field", "change_request_field"):
        detail["invalid"] = bool(result.get("invalid"))
    elif name == "ask_to_rephrase":
        detail["unclear"] = True
    if "error" in result:
        detail["error"] = _short(result["error"], 40)
    return detail


def parse(stream_id: str, event: dict[str, Any]) -> EventRow:
    """The analytics row of one audit event (``copilot.audit.AuditLog`` wrote ``event``)."""
    tool = str(event.get("tool") or "")
    outcome = str(event.get("outcome") or "ok")[:16]
    arguments = _dict(event.get("arguments"))
    result = _dict(event.get("result"))
    raw_at = event.get("at")
    try:
        at = datetime.fromisoformat(str(raw_at)) if raw_at else datetime.fromtimestamp(stream_order(stream_id)[0] / 1000, UTC)
    except ValueError:
        at = datetime.fromtimestamp(stream_order(stream_id)[0] / 1000, UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    kind: Kind = "other"
    name = tool
    detail: dict[str, Any] = {}
    if tool == "turn":
        kind = "turn"
        form = _dict(result.get("form"))
        detail = {"channel": _short(arguments.get("channel"), 16) or "rest", "input": arguments.get("input"),
                  "button": _short(arguments.get("button"), 40), "tools": [str(t)[:MAX_NAME] for t in arguments.get("tools") or []],
                  "handed_over": bool(arguments.get("handed_over")), "handoff": bool(result.get("handoff")),
                  "tickets": [t for t in (_int(x) for x in result.get("tickets") or []) if t is not None]}
        if form:
            detail["form"] = {"item_id": _int(form.get("item_id")), "item": _short(form.get("item"), 120),
                              "stage": _short(form.get("stage"), 16), "field": _short(form.get("field"), 80)}
    elif tool == "feedback":
        kind = "feedback"
        detail = {"value": "up" if arguments.get("value") == "up" else "down", "channel": _short(arguments.get("channel"), 16)}
    elif tool == "escalate_to_human" and outcome in ("escalated", "error") and "trigger" in arguments:
        kind = "handover"
        detail = {"trigger": _short(arguments.get("trigger"), 40) or "model", "urgent": bool(arguments.get("urgent")),
                  "ticket_id": _int(result.get("ticket_id")), "again": bool(result.get("again"))}
    elif tool.startswith("button:"):
        kind = "button"
        name = tool.partition(":")[2]
        detail = {"ticket_id": _int(result.get("ticket_id")), "offered": _short(result.get("offered"), 20)}
    elif tool in WRITE_KINDS:
        kind = "write"
        detail = {"ticket_id": _int(result.get("ticket_id"))}
    elif tool == "triage_note":
        kind = "triage_proposal"
        detail = {"ticket_id": _int(arguments.get("ticket_id")), "mode": _short(arguments.get("mode"), 16),
                  "proposed": _dict(arguments.get("proposed")), "status": _short(result.get("status"), 16)}
    elif tool == "triage_update":
        kind = "triage_decision"
        detail = {"ticket_id": _int(arguments.get("ticket_id")), "action": _short(arguments.get("action"), 16),
                  "mode": _short(arguments.get("mode"), 16), "fields": _dict(arguments.get("fields")),
                  "proposed": _dict(arguments.get("proposed")), "status": _short(result.get("status"), 16)}
    elif tool and "arguments" in event and event.get("latency_ms") is not None:
        kind = "tool"
        detail = _tool_detail(tool, arguments, result)
    return EventRow(stream_id=stream_id, at=at, conversation_id=str(event.get("conversation_id") or "")[:120],
                    employee=str(event.get("employee") or "").lower()[:254], kind=kind, name=name[:MAX_NAME],
                    outcome=outcome, detail=detail)
