"""Per conversation: the facts its events show, and its honest outcome class (issue 12, item 2).

Classes, never merged into one rate:

* ``escalated`` — handed to a person (the reason: the employee asked, urgent report, repeated failures,
  frustration, the copilot offered it) or an incident was created;
* ``not_resolved`` — the last thumbs was down (or "not helpful"), or the employee left after the copilot
  declined (no KB answer, nothing found, not understood), after cancelling a write, or mid-form;
* ``resolved`` — a confident KB answer with a thumbs-up, a request submitted, a licence or ticket-status
  answer given;
* ``likely_resolved`` — an answer was shown, the employee asked nothing after it, and no ticket on the topic
  by that employee followed within the window (72 h) — only decided once the window has passed;
* ``pending`` — an answer was shown less than the window ago: too early to say;
* ``no_outcome`` — nothing to measure (greetings only, or no answer was asked for).

Precedence, first match wins: escalated, thumbs-down, resolved, a follow-up ticket (not resolved),
abandoned, likely resolved / pending, no outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from copilot.insights.events import EventRow

OutcomeClass = Literal["resolved", "likely_resolved", "escalated", "not_resolved", "pending", "no_outcome"]
OUTCOMES: tuple[OutcomeClass, ...] = ("resolved", "likely_resolved", "escalated", "not_resolved", "pending", "no_outcome")
OUTCOME_TITLES: dict[str, str] = {"resolved": "Resolved", "likely_resolved": "Likely resolved", "escalated": "Escalated",
                  "not_resolved": "Not resolved", "pending": "Too early to tell", "no_outcome": "Nothing to measure"}
HANDOVER_REASONS = {"button": "employee asked for a person", "model": "copilot offered a person",
                    "urgent_word": "urgent report", "auto:failed_turns": "repeated failed turns",
                    "auto:frustration": "frustration"}
# What a turn was about, from the first tool (or button) it used: a model-independent intent.
TOOL_INTENTS = {"search_kb": "knowledge question", "check_license": "software licence",
                "find_catalog_item": "catalog request", "start_request": "catalog request",
                "answer_request_field": "catalog request", "change_request_field": "catalog request",
                "cancel_request": "catalog request", "resume_request": "catalog request",
                "my_tickets": "ticket status", "ticket_status": "ticket status", "create_incident": "report a problem",
                "escalate_to_human": "ask for a person", "ask_to_rephrase": "not understood"}
BUTTON_INTENTS = {"start": "catalog request", "answer": "catalog request", "resume": "catalog request",
                  "ticket": "ticket status", "escalate": "ask for a person", "not_helpful": "knowledge question"}


class Facts(BaseModel):
    """What one conversation's events show (a row of ``insights_conversations`` before classification)."""

    conversation_id: str
    employee: str
    started_at: datetime
    last_at: datetime
    channel: str = "rest"
    turns: int = 0
    intent: str = "small talk"
    kb_tier: str | None = None
    kb_article: str | None = None
    thumbs_up: int = 0
    thumbs_down: int = 0
    not_helpful: int = 0
    last_thumbs: Literal["up", "down"] | None = None
    confident_answer: bool = False
    request_started: bool = False
    request_item: str | None = None
    request_submitted: bool = False
    dropoff_field: str | None = None
    licence_answer: bool = False
    status_answer: bool = False
    handover_reason: str | None = None
    incident: bool = False
    answer_at: datetime | None = None  # the last answer shown
    question_after_answer: bool = False  # a typed turn after that answer
    last_declined: bool = False  # the copilot's last reply declined (no answer, not found, not understood)
    cancelled_last: bool = False  # the employee's last decision was a "no" to a write
    followup_ticket: int | None = None


TIER_RANK = {None: 0, "none": 1, "plausible": 2, "confident": 3}


def summarise(rows: Sequence[EventRow]) -> Facts | None:
    """The facts of one conversation from its events in stream order; None when it has no turn yet."""
    turns = [r for r in rows if r.kind == "turn"]
    if not turns:
        return None
    facts = Facts(conversation_id=rows[0].conversation_id, employee=rows[0].employee, started_at=rows[0].at,
                  last_at=rows[-1].at, channel=str(turns[0].detail.get("channel") or "rest"))
    intent_found = False
    answer_turn = -1
    turn_no = 0
    declined_turn = -1
    for row in rows:
        d = row.detail
        if row.kind == "turn":
            turn_no += 1
            facts.turns = turn_no
            if not intent_found:
                button = d.get("button")
                tools = [t for t in d.get("tools") or [] if t in TOOL_INTENTS]
                if button in BUTTON_INTENTS:
                    facts.intent, intent_found = BUTTON_INTENTS[button], True
                elif tools:
                    facts.intent, intent_found = TOOL_INTENTS[tools[0]], True
            asked = bool(d.get("tools")) or row.outcome == "error"  # small talk ("thanks!") is no new question
            if d.get("input") == "text" and asked and 0 <= answer_turn < turn_no and not d.get("handed_over"):
                facts.question_after_answer = True
            if row.outcome == "error":
                declined_turn = turn_no
            form = d.get("form")
            if isinstance(form, dict) and form.get("item_id") is not None:
                facts.request_started = True
                facts.request_item = form.get("item") or facts.request_item
                stage = form.get("stage")
                if stage == "submitted":
                    facts.dropoff_field = None
                elif stage == "review":
                    facts.dropoff_field = "review (not confirmed)"
                elif stage == "cancelled":
                    facts.dropoff_field = "cancelled by the employee"
                elif stage == "collecting":
                    facts.dropoff_field = form.get("field") or "first question"
            continue
        step = turn_no + 1  # tools and writes belong to the turn whose ``turn`` event follows them
        if row.kind == "tool":
            if row.name == "search_kb" and row.outcome == "ok":
                tier = d.get("tier")
                if TIER_RANK.get(tier, 0) > TIER_RANK.get(facts.kb_tier, 0):
                    facts.kb_tier = tier
                if tier in ("confident", "plausible"):
                    facts.kb_article = d.get("article") or facts.kb_article
                    facts.confident_answer = facts.confident_answer or tier == "confident"
                    answer_turn, facts.answer_at, facts.question_after_answer = step, row.at, False
                    declined_turn = -1
                else:
                    declined_turn = step
            elif row.name == "check_license" and row.outcome == "ok":
                if d.get("known"):
                    facts.licence_answer = True
                    answer_turn, facts.answer_at, facts.question_after_answer = step, row.at, False
                else:
                    declined_turn = step
            elif row.name in ("my_tickets", "ticket_status") and row.outcome == "ok":
                if d.get("found"):
                    facts.status_answer = True
                    answer_turn, facts.answer_at, facts.question_after_answer = step, row.at, False
                else:
                    declined_turn = step
            elif row.name in ("start_request", "find_catalog_item") and row.outcome == "ok" and not d.get("found"):
                declined_turn = step
            elif row.name == "ask_to_rephrase":
                declined_turn = step
            elif row.outcome == "error":
                declined_turn = step
        elif row.kind == "feedback":
            if d.get("value") == "up":
                facts.thumbs_up += 1
                facts.last_thumbs = "up"
            else:
                facts.thumbs_down += 1
                facts.last_thumbs = "down"
        elif row.kind == "button" and row.name == "not_helpful":
            facts.not_helpful += 1
            if d.get("offered") == "article":  # the next article was shown: an answer again
                answer_turn, facts.answer_at, facts.question_after_answer = step, row.at, False
            facts.last_thumbs = "down"
        elif row.kind == "handover" and row.outcome == "escalated" and not d.get("again"):
            trigger = str(d.get("trigger") or "model")
            facts.handover_reason = facts.handover_reason or HANDOVER_REASONS.get(trigger, trigger[:40])
        elif row.kind == "write":
            if row.outcome == "confirmed" and row.name == "place_request":
                facts.request_submitted, facts.dropoff_field = True, None
                facts.cancelled_last = False
            elif row.outcome == "confirmed" and row.name == "create_incident":
                facts.incident = True
            elif row.outcome == "cancelled":
                facts.cancelled_last = True
            elif row.outcome == "confirmed":
                facts.cancelled_last = False
    facts.last_declined = declined_turn >= 0 and declined_turn >= answer_turn
    if facts.request_submitted:
        facts.dropoff_field = None
    return facts


def classify(facts: Facts, now: datetime, *, window: timedelta = timedelta(hours=72)) -> tuple[OutcomeClass, str]:
    """The outcome class and its reason (in words) of a conversation at ``now``."""
    if facts.handover_reason is not None:
        return "escalated", facts.handover_reason
    if facts.incident:
        return "escalated", "incident created"
    if facts.last_thumbs == "down":
        return "not_resolved", "thumbs-down"
    if facts.request_submitted:
        return "resolved", "request submitted"
    if facts.confident_answer and facts.last_thumbs == "up":
        return "resolved", "KB answer with thumbs-up"
    if facts.licence_answer and not facts.last_declined:
        return "resolved", "licence answer"
    if facts.status_answer and not facts.last_declined:
        return "resolved", "ticket status answer"
    if facts.followup_ticket is not None:
        return "not_resolved", "ticket on the topic within 72 h"
    if facts.request_started and not facts.request_submitted:
        return "not_resolved", f"request abandoned ({facts.dropoff_field or 'form'})"
    if facts.cancelled_last:
        return "not_resolved", "employee cancelled"
    if facts.last_declined:
        return "not_resolved", "abandoned after a decline"
    if facts.answer_at is not None and not facts.question_after_answer:
        if now - facts.answer_at < window:
            return "pending", "answer shown, waiting out the window"
        return "likely_resolved", "answer shown, no further question or ticket"
    if facts.answer_at is not None:
        return "not_resolved", "asked again after the answer"
    return "no_outcome", "no question answered or declined"
