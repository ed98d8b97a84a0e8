"""Ticket questions without numbers and follow-ups on what was shown last, as commands (no sandbox needed).

Phrasings written for these tests, not taken from the measured conversation cases; the tools that answer
them are exercised over REST in ``tests/conversation/test_references.py``.
"""

from __future__ import annotations

import pytest

from copilot.models.dialogue_state import DialogueState, Shown
from copilot.models.offline.commands import AnswerQuestion, StartFlow
from copilot.models.offline.ticket_questions import about_shown_ticket, ticket_question
from copilot.models.offline.topic_followups import after_article, after_licence


@pytest.mark.parametrize("text, intent", [
    ("my vpn ticket", "my_tickets"),
    ("is Bob still sitting on my request?", "my_tickets"),
    ("any movement on the IntelliJ thing?", "kb_question"),
    ("is the headset thing done?", "kb_question"),
])
def test_a_ticket_named_by_what_it_is_about_asks_the_ticket_tool(text: str, intent: str) -> None:
    assert ticket_question(text, intent, {}) == AnswerQuestion(tool="ticket_status", arguments={"ticket": text})


@pytest.mark.parametrize("text, intent", [
    ("show me my tickets", "my_tickets"),
    ("Have I got anything waiting with the service desk at the moment?", "my_tickets"),
    ("is the office closed on the 26th", "out_of_scope_hr"),
    ("tell me about the monitor in the catalog", "my_tickets"),
    ("my laptop was stolen", "urgent_security"),
])
def test_lists_and_other_questions_are_not_ticket_lookups(text: str, intent: str) -> None:
    assert ticket_question(text, intent, {}) is None


def test_a_bare_number_with_a_status_word_is_that_ticket_but_a_quantity_is_not() -> None:
    assert ticket_question("is 4 done", "kb_question", {}) == AnswerQuestion(tool="ticket_status",
                                                                              arguments={"ticket": "4"})
    assert ticket_question("i need 2 monitors", "request_item", {"item": "monitor"}) is None


def shown(kind: str, labels: list[str], subject: str = "") -> DialogueState:
    return DialogueState(last_shown=Shown(kind=kind, labels=labels, subject=subject))


@pytest.mark.parametrize("text", ["can you chase him?", "since when is it waiting?", "and what's next?",
                                  "can I speed it up somehow?"])
def test_a_follow_up_naming_nothing_else_is_the_ticket_just_described(text: str) -> None:
    state = shown("ticket", ["SR-2 Request for Alice Nguyen : Monitor"])
    assert about_shown_ticket(text, state, {}) == AnswerQuestion(tool="ticket_status", arguments={"ticket": "SR-2"})


def test_a_follow_up_naming_another_thing_is_not_the_ticket_just_described() -> None:
    state = shown("ticket", ["SR-2 Request for Alice Nguyen : Monitor"])
    assert about_shown_ticket("and the vpn one?", state, {}) is None
    assert about_shown_ticket("what about my keyboard order?", state, {"item": "keyboard"}) is None


def test_the_x_one_after_a_list_is_the_listed_ticket_it_names() -> None:
    state = shown("tickets", ["INC-1 Cannot connect to VPN from home", "SR-2 Request for Alice Nguyen : Monitor"])
    assert about_shown_ticket("tell me more about the monitor one", state, {}) == AnswerQuestion(
        tool="ticket_status", arguments={"ticket": "SR-2"})


def test_another_application_after_a_licence_answer_is_checked_and_request_it_starts_the_request() -> None:
    state = shown("licence", [], subject="Snagit")
    assert after_licence("Camtasia too?", state, {"software": "Camtasia"}) == AnswerQuestion(
        tool="check_license", arguments={"software": "Camtasia"})
    assert after_licence("great, request it for me", state, {}) == StartFlow(item="Snagit",
                                                                              details="great, request it for me")
    assert after_licence("I need Camtasia for the training videos", state, {"software": "Camtasia"}) is None


def test_a_question_about_it_after_a_knowledge_answer_keeps_its_topic() -> None:
    state = shown("articles", ["Connect to the VPN (GlobalProtect)"], subject="how do I connect to the vpn")
    found = after_article("and what if it keeps disconnecting?", state, "create_incident", {})
    assert found is not None and "vpn" in found.arguments["question"]
    assert after_article("how do I reset my password?", state, "kb_question", {}) is None  # a new topic
