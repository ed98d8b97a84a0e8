"""Issue 13, what conversations-dev8 taught, over the REST channel and checked in the sandbox.

The item a message asks for wins over an application named as part of it; a field's own label said with a value
fills it; "the 16th not the 15th" moves the date; "now the list" goes back to the form; "internal addresses only"
is a no; "the max" picks the last option; a "no …" refuses the incident just offered (or the reason just proposed)
and nothing of it is stored; "a second one" after a request's status is that item again; a reason that says
"I need to …" is no new request.
"""

from __future__ import annotations

from typing import Any

from sandbox.seed import DEMO_EMPLOYEES
from tests.conversation.conftest import Chat, Copilot
from tests.conversation.test_dialogue_flows import requested, state_of
from tests.conversation.test_scenarios import number, tickets_of

ALICE, BOB, CAROL, DAN, ERIN = (e["email"] for e in DEMO_EMPLOYEES[:5])


def test_an_onboarding_with_extra_software_is_the_onboarding_with_every_value(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(CAROL)
    review = chat.say("new starter: Maya Lindqvist, starting 1 Feb 2027, needs a Dell Latitude 7450, extra software: "
                      "Salesforce")
    assert "**New hire onboarding**" in review and "Extra software: Salesforce" in review
    assert "New starter name: Maya Lindqvist" in review and "Start date: 2027-02-01" in review
    assert "Updated Laptop model to MacBook Air 13." in chat.say("actually give her the MacBook Air 13 instead")
    assert "Start date: 2027-02-08" in chat.say("and her start date moved to 8 Feb 2027")
    assert "New starter name: Maja Lindqvist" in chat.say("spelling: it's Maja with a j, Maja Lindqvist")
    stored = requested(copilot, number(chat.say("submit"), "SR"))
    assert stored["new_starter_name"] == "Maja Lindqvist" and stored["laptop_model"] == "MacBook Air 13"
    assert stored["start_date"] == "2027-02-08" and stored["extra_software"] == "Salesforce"


def test_a_day_of_the_month_alone_moves_the_date(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(CAROL)
    chat.say("need AV set up for our sales kickoff in the Thames room on 15 Feb 2027, and we want it recorded")
    assert "Room: London - Soho" in chat.say("oops wrong room, it's the Soho one")
    review = chat.say("and the date is the 16th not the 15th")
    assert "Updated Date to 2027-02-16." in review and "People team" not in review
    stored = requested(copilot, number(chat.say("confirm"), "SR"))
    assert stored["date"] == "2027-02-16" and stored["room"] == "London - Soho"


def test_naming_the_open_request_goes_back_to_it_and_stores_nothing(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(BOB)
    reply = chat.say("I need a new distribution list, internal addresses only")
    assert "Include external addresses: No" in reply and "List name?" in reply
    chat.say("quick one first: a customer is visiting tomorrow, how do they get on the wifi?")
    back = chat.say("great. now the list")
    assert "List name?" in back and "list_name" not in state_of(chat)["draft"]["answers"]
    assert "List name: sales-emea-team" in chat.say("sales-emea-team")
    stored = requested(copilot, number(chat.say("send"), "SR"))
    assert stored["list_name"] == "sales-emea-team" and stored["include_external_addresses"] is False


def test_the_max_picks_the_longest_option(as_employee: Any) -> None:
    chat = as_employee(BOB)
    chat.say("need admin rights")
    assert "is not an option" in chat.say("2 weeks")
    assert "Business justification?" in chat.say("ugh fine, the max then")
    assert state_of(chat)["draft"]["answers"]["duration"] == "7 days"


def test_a_no_to_an_incident_offered_mid_form_goes_back_to_the_form(chat: Chat, copilot: Copilot) -> None:
    before = {t["id"] for t in tickets_of(copilot, ALICE)}
    assert "Business justification?" in chat.say("I need acrobat pro on windows")
    offer = chat.say("ugh, also the vpn keeps saying gateway not responding")
    assert "Shall I create it?" in offer
    back = chat.say("no don't log anything, I already have a ticket for that. back to acrobat")
    assert "Back to your **Adobe Acrobat Pro** request: Business justification?" in back
    assert "business_justification" not in state_of(chat)["draft"]["answers"]
    review = chat.say("I need to redact customer contracts before sending them out")
    assert "Business justification: I need to redact customer contracts" in review and "contractor" not in review
    sr = number(chat.say("yes"), "SR")
    assert [t["id"] for t in tickets_of(copilot, ALICE) if t["id"] not in before] == [sr]  # no incident


def test_a_no_to_a_proposed_reason_stores_nothing(chat: Chat) -> None:
    chat.say("I need acrobat pro on windows")
    assert "Should I put “I want to check my payslip” as the business justification?" in chat.say(
        "I want to check my payslip")
    assert "OK, I haven't stored it. Business justification?" in chat.say("no, wait. for editing contracts")
    assert "business_justification" not in state_of(chat)["draft"]["answers"]


def test_a_second_one_after_a_request_status_is_that_item(chat: Chat) -> None:
    assert "Closed" in chat.say("what's the status of my headset request?")
    pickup = chat.say("so where do I pick it up?")
    assert "IT desk" in pickup and "I can start the “Headset” request" in pickup  # sure of the article or not
    assert chat.say("and can I get a second one for home?").startswith("Let's request **Headset**")


def test_how_long_after_approval_is_in_the_status(chat: Chat) -> None:
    reply = chat.say("any update on my monitor request?")
    assert "waiting for approval from Bob Martin" in reply and "usually within about 72 hours (3 days)" in reply


def test_ok_what_about_another_app_after_a_licence_answer_checks_it(as_employee: Any) -> None:
    chat = as_employee(DAN)
    assert "6 of 30" in chat.say("how many intellij seats are free?")
    assert "32 of 120 GitHub Enterprise seats are free" in chat.say("ok what about github enterprise")


def test_a_redo_naming_a_model_and_a_reason_is_the_request_not_an_incident(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(BOB)
    before = {t["id"] for t in tickets_of(copilot, BOB)}
    chat.say("new laptop: dell latitude 7450, UK keyboard, because mine can't run the new sales forecasting tools")
    assert "cancelled" in chat.say("don't submit that, cancel")
    review = chat.say("ok let's redo it: MacBook Pro 14, UK keyboard, reason: mine can't run the new sales "
                      "forecasting tools")
    assert "**New laptop**" in review and "Laptop model: MacBook Pro 14" in review and "incident" not in review
    assert "Business justification: mine can't run the new sales forecasting tools" in review
    sr = number(chat.say("submit"), "SR")
    assert requested(copilot, sr)["laptop_model"] == "MacBook Pro 14"
    assert [t["id"] for t in tickets_of(copilot, BOB) if t["id"] not in before] == [sr]


def test_a_keyboard_for_a_named_laptop_model_is_the_keyboard(chat: Chat) -> None:
    assert chat.say("keyboard for my MacBook Pro 14").startswith("Let's request **Wireless keyboard and mouse**")


def test_a_no_to_an_offer_with_a_value_after_back_to_stores_only_the_value(chat: Chat, copilot: Copilot) -> None:
    before = {t["id"] for t in tickets_of(copilot, ALICE)}
    chat.say("need acrobat pro")
    chat.say("mac")
    assert "Shall I create it?" in chat.say("oh and the 2nd floor printer is jammed again")
    review = chat.say("no don't log it, office services is on it. back to acrobat: editing and redlining client "
                      "contracts in PDF")
    assert "Business justification: editing and redlining client contracts in PDF" in review
    sr = number(chat.say("submit please"), "SR")
    assert requested(copilot, sr)["business_justification"] == "editing and redlining client contracts in PDF"
    assert [t["id"] for t in tickets_of(copilot, ALICE) if t["id"] not in before] == [sr]  # no incident


def test_a_no_to_an_offer_that_asks_for_a_person_hands_over(as_employee: Any) -> None:
    chat = as_employee(CAROL)
    assert "Shall I create it?" in chat.say("printer on the 3rd floor says offline")
    assert "handed this over to the IT team" in chat.say("no don't log anything, just connect me with the service desk")
