"""Issue 13, what conversations-dev9 and -dev10 taught, over the REST channel and checked in the sandbox.

A choice of the item just shown starts it ("the android then", "the bigger mac, uk keyboard"), with what the
employee said about it before; "the cheaper one" picks by price; a problem with the device being replaced is the
reason for the request, not an incident; "wait how big are they" is a question, not a reason; owners and members
listed with their addresses are stored whole; two items in one message are two requests to choose between; "who
approves X for me?" shows the chain, without the employee approving their own request; a seat question about "it"
mid-form is about the item being requested; a follow-up or a pick by another word ("the screen one") stays on the
tickets just shown.
"""

from __future__ import annotations

from typing import Any

from sandbox.seed import DEMO_EMPLOYEES
from tests.conversation.conftest import Copilot
from tests.conversation.test_dialogue_flows import requested, state_of
from tests.conversation.test_scenarios import number, tickets_of

ALICE, BOB, CAROL, DAN, ERIN = (e["email"] for e in DEMO_EMPLOYEES[:5])


def test_a_choice_of_the_card_just_shown_starts_that_item(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(CAROL)
    assert "Samsung Galaxy S25" in chat.say("which phones do we offer? i'd want to keep my current number")
    started = chat.say("the android then")
    assert "**Mobile phone**" in started and "Model: Samsung Galaxy S25" in started
    assert "Port my existing number: Yes" in started  # said with the question that showed the card
    review = chat.say("I'm on the road with clients most of the week and need a work line")
    assert "Please check your request" in review
    stored = requested(copilot, number(chat.say("go ahead"), "SR"))
    assert stored["model"] == "Samsung Galaxy S25" and stored["port_my_existing_number"] is True

    chat = as_employee(BOB)
    chat.say("what laptop models are there")
    started = chat.say("the bigger mac, uk keyboard")
    assert "Laptop model: MacBook Pro 14" in started and "Keyboard layout: UK" in started


def test_the_cheaper_one_picks_the_lower_priced_item(as_employee: Any) -> None:
    chat = as_employee(ALICE)
    options = chat.say("what adobe stuff can i get")
    assert "Adobe Acrobat Pro" in options and "Adobe Creative Cloud" in options
    assert chat.say("the cheaper one pls").startswith("Let's request **Adobe Acrobat Pro**")


def test_a_problem_with_the_device_being_replaced_is_the_reason_not_an_incident(as_employee: Any,
                                                                              copilot: Copilot) -> None:
    chat = as_employee(BOB)
    before = len(tickets_of(copilot, BOB))
    chat.say("laptop please")
    assert "Business justification?" in chat.say("ok the dell latitude then, UK keyboard")
    review = chat.say("dead pixels on the screen and sticky keys, not due for refresh till 2028")
    assert "Please check your request for **New laptop**" in review and "incident" not in review.lower()
    stored = requested(copilot, number(chat.say("yes"), "SR"))
    assert "dead pixels" in stored["business_justification"]
    assert len(tickets_of(copilot, BOB)) == before + 1  # the request, no incident


def test_wait_how_big_are_they_is_a_question_not_the_reason(as_employee: Any) -> None:
    chat = as_employee(DAN)
    assert "Business justification?" in chat.say("I need a usb drive that I can actually write to")
    reply = chat.say("wait how big are they")
    assert "64 GB" in reply and "Business justification?" in reply
    assert state_of(chat)["draft"]["answers"] == {}


def test_owners_and_members_listed_with_addresses_are_stored_whole(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(CAROL)
    review = chat.say("Please set up a shared mailbox called sales-emea-deals, owners me and bob.martin@acme.example, "
                      "members alice.nguyen@acme.example")
    assert "Owners: carol.diaz@acme.example, bob.martin@acme.example" in review
    stored = requested(copilot, number(chat.say("correct, please submit"), "SR"))
    assert stored["members"] == "alice.nguyen@acme.example" and "bob.martin@acme.example" in stored["owners"]


def test_two_items_in_one_message_are_two_requests_to_choose_between(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(ERIN)
    before = len(tickets_of(copilot, ERIN))
    asked = chat.say("i need something to plug my laptop into a projector, and also a spare charger")
    assert "USB-C to HDMI adapter" in asked and "USB-C laptop charger" in asked and state_of(chat)["draft"] is None
    assert chat.say("just the charger for now").startswith("Let's request **USB-C laptop charger**")
    number(chat.say("yes please"), "SR")
    assert len(tickets_of(copilot, ERIN)) == before + 1


def test_who_approves_shows_the_chain_without_self_approval(as_employee: Any) -> None:
    chat = as_employee(CAROL)  # head of Sales
    reply = chat.say("Who approves a Creative Cloud licence for me?")
    assert "Morgan Reyes" in reply and "Carol Diaz" not in reply


def test_a_seat_question_about_it_mid_form_is_about_the_item_requested(as_employee: Any) -> None:
    chat = as_employee(ERIN)
    started = chat.say("we need to draw some process flowcharts, do we have software for that?")
    assert "**Microsoft Visio**" in started
    reply = chat.say("how many seats of it are free")
    assert "7 of 25 Microsoft Visio seats are free" in reply and "Operating system?" in reply


def test_follow_ups_stay_on_the_tickets_just_shown(as_employee: Any) -> None:
    chat = as_employee(DAN)
    assert "Pending" in chat.say("is my laptop ticket still going?")
    assert "waiting on you" in chat.say("pending on what exactly")
    chat = as_employee(ALICE)
    chat.say("whats open on my side")
    assert "Bob Martin" in chat.say("that one about the screen, who's sitting on it")  # the monitor request


def test_a_new_starter_with_apps_is_one_onboarding_with_its_software(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(BOB)
    review = chat.say("we've got a new starter, Noor Haddad, first day 2027-03-01. she needs a macbook air 13 and "
                      "tableau + slack on top")
    assert "**New hire onboarding**" in review and "New starter name: Noor Haddad" in review
    assert "Laptop model: MacBook Air 13" in review and "Extra software: Tableau Creator, Slack" in review
    assert "Extra software: Tableau Creator, Slack, Miro" in chat.say("oh and add miro too")
    stored = requested(copilot, number(chat.say("submit"), "SR"))
    assert stored["extra_software"] == "Tableau Creator, Slack, Miro" and stored["start_date"] == "2027-03-01"


def test_a_pending_approvers_rule_is_told_with_the_status(as_employee: Any) -> None:
    chat = as_employee(DAN)
    chat.say("what's happening with the intellij licence i asked for")
    assert "Why Priya Raman: head of Engineering; requests from $500 need it." in chat.say("why does priya need to sign it?")
