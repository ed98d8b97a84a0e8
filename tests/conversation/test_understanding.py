"""Issue 13 (understanding single messages) over the REST channel, checked in the sandbox.

Which way one message goes decides what happens in Freshservice: a how-to question with an alarming word must
not open an urgent ticket, an emergency happening now must, a fault the employee has now is proposed as an
incident (and created only after their yes), an IT fault that mentions an HR word is not sent to HR, and a
question *about* an item does not start a request for it. The phrasings are not in the model's training file
(``tests/models/test_offline_nlu.py`` checks that for the same sentences).
"""

from __future__ import annotations

from typing import Any

from tests.conversation.conftest import ALICE, Chat, Copilot
from tests.conversation.test_scenarios import number, sandbox_api, tickets_of


def answered_from_kb(chat: Chat, reply: str) -> bool:
    """The reply is the knowledge base's: an answer with its source, or a few articles to look at."""
    return bool(chat.citations) or "articles may help" in reply or "/support/solutions/articles/" in reply


def unchanged(copilot: Copilot, before: list[dict[str, Any]]) -> bool:
    return {t["id"] for t in tickets_of(copilot, ALICE)} == {t["id"] for t in before}


def test_a_what_if_question_about_a_stolen_laptop_is_answered_not_escalated(chat: Chat, copilot: Copilot) -> None:
    before = tickets_of(copilot, ALICE)
    reply = chat.say("what do I do if my work laptop is ever stolen while travelling?")
    assert answered_from_kb(chat, reply), reply
    assert chat.last["handoff"] is False and "urgent" not in reply.lower()
    assert unchanged(copilot, before)  # no urgent handover ticket, no incident


def test_how_to_report_phishing_is_a_knowledge_question(chat: Chat, copilot: Copilot) -> None:
    before = tickets_of(copilot, ALICE)
    reply = chat.say("how should i report a phishing mail i got?")
    assert answered_from_kb(chat, reply), reply
    assert chat.last["handoff"] is False and unchanged(copilot, before)


def test_a_security_incident_happening_now_goes_to_a_person_at_once(chat: Chat, copilot: Copilot) -> None:
    reply = chat.say("I clicked on a link in a dodgy email 5 min ago")  # no word from the urgent list
    assert chat.last["handoff"] is True, reply
    with sandbox_api(copilot) as api:
        ticket = api.get(f"/tickets/{number(reply, 'INC')}").json()["ticket"]
    assert ticket["priority"] == 4


def test_a_fault_the_employee_has_now_is_proposed_as_an_incident(chat: Chat, copilot: Copilot) -> None:
    before = tickets_of(copilot, ALICE)
    reply = chat.say("my excel has been bombing out since this morning")
    assert "open an incident" in reply and "Shall I create it?" in reply, reply
    assert unchanged(copilot, before)  # an offer only
    created = chat.say("yes")
    with sandbox_api(copilot) as api:
        ticket = api.get(f"/tickets/{number(created, 'INC')}").json()["ticket"]
    assert "excel" in ticket["subject"].lower()


def test_an_it_fault_with_an_hr_word_is_not_sent_to_hr(chat: Chat, copilot: Copilot) -> None:
    reply = chat.say("the payroll spreadsheet makes excel crash every time i open it")
    assert "People team" not in reply and "not something IT handles" not in reply
    assert "open an incident" in reply, reply


def test_how_to_reach_the_service_desk_is_answered_from_the_kb(chat: Chat, copilot: Copilot) -> None:
    before = tickets_of(copilot, ALICE)
    reply = chat.say("who do I contact for IT problems at the weekend?")
    assert answered_from_kb(chat, reply), reply
    assert "People team" not in reply and chat.last["handoff"] is False and unchanged(copilot, before)


def test_a_question_about_an_item_does_not_start_a_request(chat: Chat) -> None:
    reply = chat.say("does a monitor need my manager's approval?")
    assert "Let's request" not in reply, reply
    # routed to the knowledge base; whether it answers is the KB's confidence (today it declines this one
    # although its best article is the right one: see the closing note of issue 14)
    assert answered_from_kb(chat, reply) or "knowledge base" in reply, reply


def test_a_request_finds_the_catalog_item_by_its_description(chat: Chat, copilot: Copilot) -> None:
    before = tickets_of(copilot, ALICE)
    reply = chat.say("we'd like to trial a new survey tool in our team")  # the item is "New software evaluation"
    assert "New software evaluation" in reply, reply
    assert unchanged(copilot, before)  # nothing is placed before the employee confirms
