"""Issue 13 (items 3 and 4) over the REST channel: references to what the copilot showed last, and ticket
questions without numbers, in phrasings the training phrases and rules do not contain verbatim.

Real engine, real offline model, real sandbox (Acme's seed): Alice has an open VPN incident (#1) and an open
Monitor request (#2) waiting for Bob Martin; Snagit has 4 free seats, Camtasia none, Miro 7.
"""

from __future__ import annotations

import re

import pytest

from sandbox.seed import DEMO_EMPLOYEES
from tests.conversation.conftest import Chat

DAN = DEMO_EMPLOYEES[3]["email"]


def test_a_ticket_named_by_its_approver_answers_status_approver_and_since_when(chat: Chat) -> None:
    reply = chat.say("Is Bob still sitting on my request?")
    assert "SR-2" in reply and "Monitor" in reply
    assert "waiting for approval from Bob Martin since" in reply and "Next:" in reply


def test_a_ticket_named_by_its_topic_alone_is_described(chat: Chat) -> None:
    reply = chat.say("my vpn ticket")
    assert "INC-1" in reply and "Open" in reply and "Your tickets:" not in reply


def test_the_second_one_after_a_list_is_the_second_ticket_listed(chat: Chat) -> None:
    listed = chat.say("show me my tickets")
    labels = re.findall(r"\*\*((?:INC|SR)-\d+)\*\*", listed)
    assert len(labels) >= 2, listed
    reply = chat.say("the second one")
    assert reply.startswith(f"**{labels[1]}**"), reply


def test_the_monitor_one_after_a_list_is_the_monitor_request(chat: Chat) -> None:
    chat.say("my open tickets")
    reply = chat.say("tell me more about the monitor one")
    assert reply.startswith("**SR-2**") and "Bob Martin" in reply


def test_a_follow_up_without_a_topic_stays_on_the_ticket_just_described(chat: Chat) -> None:
    chat.say("any news on my monitor?")
    reply = chat.say("since when is it waiting?")
    assert "SR-2" in reply and "Bob Martin since" in reply
    reply = chat.say("and what's next?")
    assert "SR-2" in reply and "Next:" in reply


def test_and_x_after_a_licence_answer_checks_x(chat: Chat) -> None:
    first = chat.say("is there a spare Snagit licence")
    assert "4 of" in first and "Snagit" in first
    reply = chat.say("Camtasia too?")
    assert "Camtasia" in reply and "Snagit" not in reply and "seats are in use" in reply
    reply = chat.say("and miro?")
    assert "7 of" in reply and "Miro" in reply


def test_and_x_in_spanish_after_a_licence_answer_checks_x(chat: Chat) -> None:
    chat.say("¿Hay licencias libres de Figma?")
    reply = chat.say("¿y de Miro?")
    assert "7 of" in reply and "Miro" in reply


def test_a_question_about_it_after_a_knowledge_answer_keeps_the_topic(chat: Chat) -> None:
    chat.say("how do I connect to the vpn")
    chat.say("and what if it keeps disconnecting?")
    assert any("VPN" in c["title"] for c in chat.citations), chat.last


def test_a_bare_ticket_number_with_a_status_word_is_that_ticket(as_employee) -> None:  # type: ignore[no-untyped-def]
    dan = as_employee(DAN)
    reply = dan.say("is 7 approved")
    assert "SR-7" in reply and "Priya Raman" in reply


@pytest.mark.parametrize(("need", "first", "last"), [
    ("I need software", "Adobe Acrobat Pro", "New software evaluation"),
    ("i need some new software installed pls", "Adobe Acrobat Pro", "New software evaluation"),
    ("need some hardware", "New laptop", "USB-C laptop charger"),
])
def test_a_kind_of_thing_lists_that_catalog_category_to_pick_from(chat: Chat, need: str, first: str, last: str) -> None:
    reply = chat.say(need)
    assert reply.startswith("Which one do you mean:") and first in reply and last in reply
    assert "Let's request" not in reply  # not the one item whose name happens to contain the word
    assert "Figma" in reply if "software" in need else "Monitor" in reply
    picked = chat.say("the second one")
    assert picked.startswith("Let's request **Adobe Creative Cloud**" if "software" in need else "Let's request **Monitor**")
