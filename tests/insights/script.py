"""Scripted conversations as the audit stream receives them.

Each helper writes the same event shapes the real code writes (``Engine._audit_turn``, the ``tool``
wrapper in ``tools/context.py``, ``run_write``, ``handover.escalate``, ``Engine.feedback``, buttons,
the triage worker and dispatcher); ``tests/insights/test_live_events.py`` checks that a real REST
conversation produces these shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tools.context import AuditEvent

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC (office hours)


@dataclass
class Script:
    conversation_id: str
    employee: str = "alice.nguyen@acme.example"
    at: datetime = T0
    channel: str = "rest"
    events: list[AuditEvent] = field(default_factory=list)
    turns: int = 0
    _tools: list[str] = field(default_factory=list)

    def _add(self, tool: str, *, arguments: dict[str, Any] | None = None, outcome: str = "ok", result: Any = None,
             latency_ms: float | None = None) -> None:
        self.at += timedelta(seconds=20)
        self.events.append(AuditEvent(conversation_id=self.conversation_id, employee=self.employee, tool=tool,
                                      arguments=arguments or {}, outcome=outcome,  # type: ignore[arg-type]
                                      result=result, latency_ms=latency_ms, at=self.at))

    def tool(self, name: str, result: dict[str, Any], *, ok: bool = True, **arguments: Any) -> Script:
        self._tools.append(name)
        self._add(name, arguments=arguments, outcome="ok" if ok else "error", result={"message": "…", **result},
                  latency_ms=12.5)
        return self

    def turn(self, *, button: str | None = None, failed: bool = False, form: dict[str, Any] | None = None,
             handoff: bool = False, handed_over: bool = False) -> Script:
        self.turns += 1
        self._add("turn", outcome="error" if failed else "ok", arguments={
            "turn": self.turns, "channel": self.channel, "input": "button" if button else "text", "button": button,
            "tools": list(self._tools), "handed_over": handed_over, "language": None},
            result={"form": form, "handoff": handoff, "tickets": []})
        self._tools = []
        return self

    # -- what employees do -------------------------------------------------------------------------

    def kb(self, tier: str, title: str = "Reset your password") -> Script:
        articles = [{"id": "1", "title": title, "url": "https://kb/1"}] if tier != "none" else []
        return self.tool("search_kb", {"tier": tier, "answer": tier == "confident", "confidence": 0.8,
                                       "articles": articles}, question="how do I reset my password").turn()

    def chat(self) -> Script:
        return self.turn()

    def thumbs(self, up: bool) -> Script:
        self._add("feedback", arguments={"value": "up" if up else "down", "turn": self.turns, "channel": self.channel})
        return self

    def not_helpful(self, offered: str = "person") -> Script:
        self._add("button:not_helpful", result={"message": "…"} | ({"offered": offered}))
        return self.turn(button="not_helpful")

    def licence(self, known: bool = True) -> Script:
        result = {"application": "Figma", "application_id": 7, "unlimited": False} if known else {"known": False}
        return self.tool("check_license", result, software="Figma").turn()

    def status(self) -> Script:
        return self.tool("my_tickets", {"tickets": []}).turn()

    def start_request(self, item: str = "Laptop", field_name: str | None = "location") -> Script:
        return self.tool("start_request", {"stage": "collecting", "awaiting_field": field_name}, item=item).turn(
            form={"item_id": 12, "item": item, "stage": "collecting", "field": field_name})

    def answer_field(self, item: str = "Laptop", next_field: str | None = None, review: bool = False) -> Script:
        stage = "review" if review else "collecting"
        return self.tool("answer_request_field", {"stage": stage}, answer="home").turn(
            form={"item_id": 12, "item": item, "stage": stage, "field": next_field})

    def submit(self, item: str = "Laptop", ticket_id: int = 9001) -> Script:
        self._add("place_request", outcome="confirmed", arguments={"pending_action": "p1", "payload": {}, "why":
                  "employee confirmed"}, result={"message": "Done", "ticket_id": ticket_id})
        return self.turn(form={"item_id": 12, "item": item, "stage": "submitted", "field": None})

    def cancel_write(self, kind: str = "create_incident") -> Script:
        self._add(kind, outcome="cancelled", arguments={"pending_action": "p2", "payload": {}})
        return self.turn()

    def handover(self, trigger: str = "button", ticket_id: int = 7001) -> Script:
        self._add("escalate_to_human", outcome="escalated", arguments={"reason": "employee asked for a person",
                                                                       "urgent": False, "trigger": trigger},
                  result={"ticket_id": ticket_id, "again": False})
        return self.turn(button="escalate" if trigger == "button" else None, handoff=True)

    def incident(self, ticket_id: int = 7002) -> Script:
        self._add("create_incident", outcome="confirmed", arguments={"pending_action": "p3", "payload": {}},
                  result={"message": "Created", "ticket_id": ticket_id})
        return self.turn()

    def unclear(self) -> Script:
        return self.tool("ask_to_rephrase", {"unclear": ""}).turn(failed=True)


def triage_events(proposal_id: str, ticket_id: int, mode: str, proposed: dict[str, Any],
                  decision: tuple[str, dict[str, Any]] | None, at: datetime = T0) -> list[AuditEvent]:
    """A triage proposal (the worker's ``triage_note``) and a reviewer's decision (``triage_update``)."""
    found = [AuditEvent(conversation_id=f"triage:{proposal_id}", employee="triage-worker", tool="triage_note",
                        arguments={"ticket_id": ticket_id, "mode": mode, "model_version": "m1", "proposed": proposed},
                        result={"note_id": 1, "status": "pending"}, at=at)]
    if decision is not None:
        action, fields = decision
        found.append(AuditEvent(conversation_id=f"triage:{proposal_id}", employee="sam.taylor@acme.example",
                                tool="triage_update", arguments={"ticket_id": ticket_id, "action": action,
                                                                 "fields": fields, "mode": mode, "model_version": "m1",
                                                                 "proposed": proposed},
                                result={"status": "rejected" if action == "reject" else "applied", "error": None},
                                at=at + timedelta(minutes=5)))
    return found


KINDS: list[tuple[float, str]] = [
    (15, "kb_up"), (25, "kb_quiet"), (10, "kb_plausible"), (8, "kb_none"), (5, "kb_none_handover"), (7, "licence"),
    (8, "status"), (8, "request"), (5, "request_dropped"), (4, "handover"), (3, "incident"), (4, "kb_down"),
    (2, "unclear"), (4, "hello"), (2, "cancel"),
]
ITEMS = ("Laptop", "Monitor", "Headset", "Adobe Acrobat Pro", "VPN access")
FIELDS = ("location", "delivery_date", "justification", "model")
TITLES = ("Reset your password", "Connect to the VPN", "Set up MFA", "Fix Outlook not syncing", "Book a meeting room")


def sample(count: int, start: datetime, days: int, seed: int = 7, employees: int = 300) -> list[Script]:
    """``count`` scripted conversations spread over ``days`` from ``start``: a realistic mix of every class."""
    import random

    rng = random.Random(seed)
    weights = [w for w, _ in KINDS]
    names = [k for _, k in KINDS]
    scripts = []
    for n in range(count):
        day = start + timedelta(days=rng.randrange(days))
        hour = rng.choices(range(24), weights=[1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 10, 12, 13, 12, 10, 7, 4, 3,
                                                2, 2, 1, 1])[0]
        at = day.replace(hour=hour, minute=rng.randrange(60))
        s = Script(f"c-{seed}-{n}", employee=f"employee{rng.randrange(employees)}@acme.example", at=at,
                   channel=rng.choice(("web", "web", "rest")))
        kind = rng.choices(names, weights=weights)[0]
        title, item = rng.choice(TITLES), rng.choice(ITEMS)
        if kind == "kb_up":
            s.kb("confident", title).thumbs(True)
        elif kind == "kb_quiet":
            s.kb("confident", title)
        elif kind == "kb_plausible":
            s.kb("plausible", title).chat()
        elif kind == "kb_none":
            s.kb("none")
        elif kind == "kb_none_handover":
            s.kb("none").handover("button")
        elif kind == "licence":
            s.licence()
        elif kind == "status":
            s.status()
        elif kind == "request":
            s.start_request(item).answer_field(item, review=True).submit(item, ticket_id=10_000 + n)
        elif kind == "request_dropped":
            s.start_request(item, rng.choice(FIELDS))
        elif kind == "handover":
            s.handover(rng.choice(("button", "button", "model", "urgent_word")), ticket_id=20_000 + n)
        elif kind == "incident":
            s.incident(ticket_id=30_000 + n)
        elif kind == "kb_down":
            s.kb("confident", title).thumbs(False).not_helpful()
        elif kind == "unclear":
            s.unclear().unclear().handover("auto:failed_turns", ticket_id=40_000 + n)
        elif kind == "cancel":
            s.cancel_write()
        else:
            s.chat()
        scripts.append(s)
    return scripts


def sample_triage(count: int, start: datetime, days: int, seed: int = 7) -> list[AuditEvent]:
    """Triage proposals and reviewer decisions: mostly approved, some edited, a few rejected."""
    import random

    rng = random.Random(seed)
    found: list[AuditEvent] = []
    for n in range(count):
        mode = rng.choice(("assist", "assist", "shadow", "autonomous"))
        proposed = {"category": rng.choice(("Network", "Hardware", "Software")), "priority": rng.choice((1, 2, 3)),
                    "group_id": 21_000_500_001}
        verdict = rng.choices(("approve", "edit", "reject", None), weights=(6, 2, 1, 2))[0]
        decision = None
        if verdict == "approve":
            decision = ("approve", dict(proposed))
        elif verdict == "edit":
            decision = ("edit", {**proposed, "priority": 4})
        elif verdict == "reject":
            decision = ("reject", {})
        at = start + timedelta(days=rng.randrange(days), hours=rng.randrange(8, 18))
        found += triage_events(f"{600 + n}:created:{n}", 600 + n, mode, proposed, decision, at)
    return found
