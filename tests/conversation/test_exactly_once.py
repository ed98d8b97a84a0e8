"""Exactly once, truthfully (issue "Secure by default…", item 2): lost answers, cross-conversation
look-alikes, urgent reports vs. how-to questions, and an audit event for every write path.

Everything runs over the REST channel against the real sandbox (its fault injection loses answers)
and a real Redis (the claims ledger and the audit stream).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conversation.conftest import ALICE, Chat, Copilot
from tests.conversation.test_scenarios import number, sandbox_api, tickets_of
from tools.freshservice.claims import PREFIX as CLAIMS_PREFIX

ROOT = Path(__file__).resolve().parents[2]
LOSE_ANSWER_AND_LOOKUP = {"sequence": ["drop", "500", "500", "500", "500"], "path_regex": "place_request|/tickets/filter"}
FAIL_POST_AND_LOOKUP = {"sequence": ["500", "500", "500", "500", "500"], "path_regex": "place_request|/tickets/filter"}


@pytest.fixture
def ledger(redis_url: str) -> Iterator[redis.Redis]:
    """The copilot's Redis; the sandbox's ticket ids restart at every reset, so old claims are dropped."""
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=CLAIMS_PREFIX + "*"):
        client.delete(key)
    yield client
    client.close()


def audit_events(db: redis.Redis, conversation_id: str) -> list[dict[str, Any]]:
    entries = db.xrevrange("copilot:audit", count=5000)
    events = [json.loads(fields[b"event"]) for _, fields in entries]
    return [e for e in reversed(events) if e["conversation_id"] == conversation_id]


def service_requests(copilot: Copilot) -> list[int]:
    return sorted(t["id"] for t in tickets_of(copilot, ALICE) if t["type"] == "Service Request")


def headset_review(chat: Chat) -> None:
    chat.say("order a headset please")
    assert "Shall I submit" in chat.say("USB-C")


def faults(copilot: Copilot, plan: dict[str, Any] | None) -> None:
    if plan is None:
        copilot.sandbox.control("DELETE", "/_sandbox/faults")
    else:
        copilot.sandbox.control("PUT", "/_sandbox/faults", json=plan)


# -- (a) a lost answer and a failing lookup: no promise, no second request ----------------------------------


def test_lost_answer_is_checked_not_resent(chat: Chat, copilot: Copilot, ledger: redis.Redis) -> None:
    before = service_requests(copilot)
    headset_review(chat)
    faults(copilot, LOSE_ANSWER_AND_LOOKUP)
    try:
        unsure = chat.say("yes")
    finally:
        faults(copilot, None)
    assert "couldn't confirm whether IT received it" in unsure and "twice" not in unsure
    assert "Done" not in unsure and not re.search(r"SR-\d+", unsure)
    landed = service_requests(copilot)
    assert len(landed) == len(before) + 1  # the drop was processed: it is with IT
    confirm = next(a for a in chat.actions if a.startswith("confirm:"))  # "Check again": locked, not dropped
    checked = chat.say("yes")  # re-checks by key, finds the one that landed, sends nothing
    assert number(checked, "SR") == landed[-1] and "Done" in checked
    assert service_requests(copilot) == landed
    assert number(chat.press(confirm), "SR") == landed[-1]  # and again: the same answer
    assert service_requests(copilot) == landed


def test_unknown_outcome_that_did_not_land_is_sent_again_once(chat: Chat, copilot: Copilot,
                                                              ledger: redis.Redis) -> None:
    before = service_requests(copilot)
    headset_review(chat)
    faults(copilot, FAIL_POST_AND_LOOKUP)  # a 500 on the POST: not processed, but the client cannot know
    try:
        unsure = chat.say("yes")
    finally:
        faults(copilot, None)
    assert "couldn't confirm" in unsure and service_requests(copilot) == before
    view = chat.http.get(f"/api/v1/conversations/{chat.id}").json()["state"]["pending"]
    assert [p["status"] for p in view] == ["checking"]  # an integration sees the write is being checked
    confirm = next(a for a in chat.actions if a.startswith("confirm:"))
    sent = chat.press(confirm)  # the button re-checks too: nothing landed, so it is sent (same key)
    sr = number(sent, "SR")
    assert service_requests(copilot) == sorted([*before, sr])
    assert number(chat.press(confirm), "SR") == sr and len(service_requests(copilot)) == len(before) + 1


# -- (b) two conversations, same item, seconds apart: never "Done" for the other one's request ----------------


def test_other_conversations_request_is_never_reported_as_mine(copilot: Copilot, ledger: redis.Redis) -> None:
    copilot.sandbox.control("POST", "/_sandbox/reset")
    before = service_requests(copilot)
    with copilot.client() as first_http, copilot.client() as second_http:
        first, second = Chat(first_http), Chat(second_http)
        headset_review(first)
        headset_review(second)
        theirs = number(first.say("yes"), "SR")
        faults(copilot, {"sequence": ["500"], "path_regex": "place_request"})
        try:
            reply = second.say("yes")
        finally:
            faults(copilot, None)
        assert f"SR-{theirs}" not in reply and "Done" not in reply and "couldn't confirm" in reply
        mine = number(second.say("yes"), "SR")  # the check proves it did not land: sent once
        assert mine != theirs
        assert service_requests(copilot) == sorted([*before, theirs, mine])
        with sandbox_api(copilot) as api:
            tags = {sr: api.get(f"/tickets/{sr}", params={"include": "tags"}).json()["ticket"]["tags"] for sr in (theirs, mine)}
        assert all(len(t) == 1 and t[0].startswith("copilot-") for t in tags.values()) and tags[theirs] != tags[mine]


# -- (d) urgent reports vs. how-to questions ---------------------------------------------------------------


def test_how_to_phishing_question_creates_no_ticket(chat: Chat, copilot: Copilot, ledger: redis.Redis) -> None:
    before = tickets_of(copilot, ALICE)
    for question in ("how do I report a phishing email?", "how do I scan for a virus?",
                     "what should I do if I ever lose my laptop?"):
        reply = chat.say(question)
        assert "Shall I hand this" not in reply and chat.last["handoff"] is False, (question, reply)
    assert tickets_of(copilot, ALICE) == before
    assert not any(e["tool"] in ("urgent_escalation", "escalate_to_human") for e in audit_events(ledger, chat.id))


def test_urgent_report_is_escalated_at_once_and_audited(chat: Chat, copilot: Copilot, ledger: redis.Redis) -> None:
    ticket_id = number(chat.say("I clicked a phishing link and typed my password"), "INC")
    with sandbox_api(copilot) as api:
        assert api.get(f"/tickets/{ticket_id}").json()["ticket"]["priority"] == 4
    assert chat.last["handoff"] is True
    seen = [(e["tool"], e["outcome"]) for e in audit_events(ledger, chat.id)]
    assert ("urgent_escalation", "confirmed") in seen and ("escalate_to_human", "escalated") in seen


# -- every write path leaves an audit event ----------------------------------------------------------------


def client_write_methods() -> set[str]:
    """Methods of FreshserviceClient that send a POST or PUT (directly)."""
    tree = ast.parse((ROOT / "tools/freshservice/client.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef) and re.search(r"_send\(\s*['\"](POST|PUT)", ast.unparse(node)):
            found.add(node.name)
    return found


def write_calls_in_tools() -> set[str]:
    """Write methods of the client that tools/ (outside the client) calls."""
    writes = client_write_methods()
    used = set()
    for path in (ROOT / "tools").rglob("*.py"):
        if "freshservice" in path.parts:
            continue
        used |= {m for m in re.findall(r"client\.(\w+)\(", path.read_text()) if m in writes}
    return used


def item_id(copilot: Copilot) -> int:
    with sandbox_api(copilot) as api:
        return int(api.get("/service_catalog/items").json()["service_items"][0]["display_id"])


DRIVERS: dict[str, Callable[[Chat, Copilot], None]] = {
    "place_request": lambda chat, _: (headset_review(chat), chat.say("yes")) and None,
    "create_incident": lambda chat, _: (chat.say("please open a ticket, my laptop keyboard stopped working"),
                                        chat.say("yes")) and None,
    "urgent_escalation": lambda chat, _: chat.say("my laptop was stolen") and None,
    "escalate_to_human": lambda chat, _: chat.say("I want to talk to a human") and None,
    "escalate": lambda chat, _: chat.press("escalate") and None,
    "add_note": lambda chat, _: (chat.press("escalate"), chat.say("it is about my Outlook signature"),
                                 chat.press("escalate")) and None,
    "end_handover": lambda chat, _: (chat.press("escalate"), chat.press("end_handover")) and None,
    "start": lambda chat, copilot: chat.press(f"start:{item_id(copilot)}") and None,
    # read-only buttons: a form choice (nothing is written before the review) and a "which ticket?" choice
    "answer": lambda chat, _: (chat.say("I need a monitor"), chat.press(chat.actions[0])) and None,
    "ticket": lambda chat, _: chat.press("ticket:2") and None,
    "not_helpful": lambda chat, _: (chat.say("how do I connect to the VPN?"), chat.press("not_helpful")) and None,
    # "Yes, use that as …" after a doubtful answer (read-only: the form stores it, nothing is written yet)
    "keep_answer": lambda chat, _: (chat.say("I need a monitor"), chat.press("keep_answer:justification")) and None,
    # a parked request offered back after the one that displaced it was cancelled
    "resume": lambda chat, _: (chat.say("I need a headset"), chat.say("I also need a docking station"),
                               chat.say("cancel"), chat.press(next(a for a in chat.actions if a.startswith("resume:"))))
    and None,
}
READ_ONLY = ("start", "end_handover", "answer", "ticket", "not_helpful", "resume", "keep_answer")
# which driver covers each client write method that tools/ calls
COVERS = {"create_ticket": "create_incident", "place_request": "place_request", "add_note": "add_note",
          "update_ticket": "place_request"}  # update_ticket: the tag PUT after place_request


def test_every_write_path_is_enumerated() -> None:
    from tools.toolset import BUTTONS, WRITES

    assert client_write_methods() >= {"create_ticket", "place_request", "add_note", "update_ticket"}
    assert write_calls_in_tools() <= set(COVERS), "a new client write is called from tools/: add a driver"
    assert set(WRITES) <= set(DRIVERS), "a new confirmed write: add a driver"
    assert set(BUTTONS) <= set(DRIVERS), "a new button: add a driver"


@pytest.mark.parametrize("path", sorted(DRIVERS))
def test_every_write_path_is_audited(path: str, chat: Chat, copilot: Copilot, ledger: redis.Redis) -> None:
    before = {t["id"] for t in tickets_of(copilot, ALICE)}
    copilot.sandbox.control("DELETE", "/_sandbox/requests")
    DRIVERS[path](chat, copilot)
    calls = copilot.sandbox.control("GET", "/_sandbox/requests").json()["requests"]
    writes = [c for c in calls if c["method"] in ("POST", "PUT") and c["path"].startswith("/api/v2")]
    events = audit_events(ledger, chat.id)
    audited = {e["tool"] for e in events}
    if path in ("escalate", "end_handover", "start", "add_note", "answer", "ticket", "not_helpful", "resume",
                "keep_answer"):
        assert f"button:{path if path != 'add_note' else 'escalate'}" in audited
    touched = {int(m) for c in writes for m in re.findall(r"/tickets/(\d+)", c["path"])}
    created = {t["id"] for t in tickets_of(copilot, ALICE)} - before
    mentioned = set()
    for event in events:
        for blob in (event.get("result") or {}, event.get("arguments") or {}):
            if isinstance(blob, dict):
                mentioned |= {int(v) for k, v in blob.items() if k in ("ticket_id",) and v is not None}
    assert touched <= mentioned, (path, touched, mentioned, writes)
    assert created <= mentioned, (path, created, mentioned)
    for write in writes:  # every Freshservice write of the turn has an event with outcome and who
        assert any(e["employee"] == ALICE and e["outcome"] in ("confirmed", "escalated", "ok") for e in events), write
    if path not in READ_ONLY:
        assert writes, f"{path} made no write: the driver does not exercise it"
