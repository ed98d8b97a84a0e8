"""Ticket questions without numbers and follow-ups on what was shown last, as commands (no sandbox needed).

Phrasings written for these tests, not taken from the measured conversation cases; the tools that answer
them are exercised over REST in ``tests/conversation/test_references.py``.
"""

from __future__ import annotations

import pytest

from copilot.models.dialogue_state import DialogueState, Shown
from copilot.models.offline.commands import AnswerQuestion, StartFlow
from copilot.models.offline.policy import STATUS_QUESTION
from copilot.models.offline.ticket_questions import about_shown_ticket, own_list, ticket_question
from copilot.models.offline.topic_followups import after_article, after_licence, after_offer
from tools.ticket_match import Candidate, rank, read_query


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


def test_a_follow_up_naming_another_thing_asks_about_that_one_not_the_ticket_just_described() -> None:
    state = shown("ticket", ["SR-2 Request for Alice Nguyen : Monitor"])
    assert about_shown_ticket("and the vpn one?", state, {}) == AnswerQuestion(
        tool="ticket_status", arguments={"ticket": "the vpn one"})
    assert about_shown_ticket("thanks! and the request for the keyboard?", state, {"item": "keyboard"}) == AnswerQuestion(
        tool="ticket_status", arguments={"ticket": "the request for the keyboard"})
    assert about_shown_ticket("what about my keyboard order?", state, {"item": "keyboard"}) is None  # the ticket rules read it
    assert about_shown_ticket("and can I get a keyboard too?", state, {"item": "keyboard"}) is None  # asks for one


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


TWO_OPEN = ["INC-1 Cannot connect to VPN from home", "SR-2 Request for Alice Nguyen : Monitor"]


@pytest.mark.parametrize("text", ["anything else open for me?", "what other tickets have I got", "fine, list mine",
                                  "my own then?", "what else did I raise?", "and what do I have pending?"])
@pytest.mark.parametrize("before", [None, "ticket", "tickets"])
def test_asking_for_ones_own_list_lists_it_whatever_was_just_shown(text: str, before: str | None) -> None:
    state = shown(before, TWO_OPEN[1:]) if before else DialogueState()
    assert own_list(text, state, "kb_question") == AnswerQuestion(tool="my_tickets", arguments={"include_closed": False})


def test_mine_after_a_licence_answer_or_inside_a_form_is_not_the_ticket_list() -> None:
    assert own_list("show me mine", shown("licence", ["Snagit"], subject="Snagit"), "license_check") is None
    assert own_list("what else do I have to fill in?", DialogueState(draft_item="Monitor"), "kb_question") is None
    assert own_list("my laptop won't start", DialogueState(), "create_incident") is None
    assert own_list("list all mine, closed ones too", DialogueState(), "my_tickets") == AnswerQuestion(
        tool="my_tickets", arguments={"include_closed": True})


@pytest.mark.parametrize("text", ["the teams thing - still pending?", "my headset order still open?",
                                  "that figma request, still with my manager?"])
def test_a_named_ticket_still_in_some_state_is_a_status_question(text: str) -> None:
    assert ticket_question(text, "kb_question", {}) == AnswerQuestion(tool="ticket_status", arguments={"ticket": text})


@pytest.mark.parametrize("text", ["has the figma licence been approved", "did my jetbrains request get signed off?",
                                  "is the visio licence approved yet"])
def test_whether_something_got_approved_is_a_status_question(text: str) -> None:
    assert STATUS_QUESTION.search(text)


@pytest.mark.parametrize("text", ["the closed one?", "what was the fixed one about", "the one that's still open",
                                  "the incident - any news?", "and the request one"])
def test_a_listed_ticket_picked_by_its_state_or_type_asks_the_ticket_tool(text: str) -> None:
    state = shown("tickets", TWO_OPEN)
    assert about_shown_ticket(text, state, {}) == AnswerQuestion(tool="ticket_status", arguments={"ticket": text})


@pytest.mark.parametrize("text", ["what does pending mean?", "is that on my side?", "do I have to do something?",
                                  "so it's up to me now?"])
def test_what_the_status_means_for_me_is_about_the_ticket_just_described(text: str) -> None:
    state = shown("ticket", ["INC-6 Laptop very slow after update"])
    assert about_shown_ticket(text, state, {}) == AnswerQuestion(tool="ticket_status", arguments={"ticket": "INC-6"})


def test_how_to_get_one_after_an_offered_item_starts_that_request_but_not_another_thing() -> None:
    state = shown("item", ["Monitor"], subject="Monitor")
    for text in ("how can I get one?", "fine, order one for me", "ok so how would I request it"):
        assert after_offer(text, state, {}) == StartFlow(item="Monitor", details=text)
    assert after_offer("how do I order a dock then?", state, {"item": "Docking station"}) is None
    assert after_offer("what sizes are there?", state, {}) is None


def test_which_ticket_by_its_state_and_inflected_status_words_carry_no_topic() -> None:
    assert read_query("the resolved one, what was it about?").state == "resolved"
    assert read_query("is it resolved?").state == ""  # asks whether, does not pick
    assert read_query("the request one - who needs to sign off?").content == []
    tickets = [Candidate(1, {"vpn"}, False, True, status=2), Candidate(3, {"outlook"}, False, False, status=4),
               Candidate(4, {"printer"}, False, False, status=5),
               Candidate(2, {"monitor"}, True, True, status=2, awaiting_approval=True)]
    assert [c.ticket_id for c in rank(read_query("the resolved one"), tickets)] == [3]
    assert [c.ticket_id for c in rank(read_query("the closed ticket"), tickets)] == [4]
    assert [c.ticket_id for c in rank(read_query("the finished ones"), tickets)] == [3, 4]
    assert [c.ticket_id for c in rank(read_query("the pending one"), tickets)] == [2]
