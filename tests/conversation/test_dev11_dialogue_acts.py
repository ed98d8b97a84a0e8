"""Issue 13, what conversations-dev11 taught, over the REST channel and checked in the sandbox.

No wrong value is stored: "kill the request" calls it off, a question with its "?" in the middle is a question,
a description given for a name is not the name and "call it X" is X; owners and members are read by name too;
a new person "starting on 1 March" is an onboarding; "ok, can you submit it?" is a yes; "tried that, still
happening" after an answer offers the incident about that problem; a place named with "wifi" is no outage.
"""

from __future__ import annotations

from typing import Any

from sandbox.seed import DEMO_EMPLOYEES
from tests.conversation.conftest import Copilot
from tests.conversation.test_dialogue_flows import requested, state_of
from tests.conversation.test_scenarios import number, tickets_of

ALICE, BOB, CAROL, DAN, ERIN = (e["email"] for e in DEMO_EMPLOYEES[:5])


def test_calling_off_or_asking_at_the_reason_stores_nothing(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(BOB)
    before = len(tickets_of(copilot, BOB))
    assert "Business justification?" in chat.say("a company iphone 16 for me please, no porting")
    assert "cancel" in chat.say("hmm no, kill the request, my own phone will do").lower()
    assert state_of(chat)["draft"]["stage"] == "cancelled" and len(tickets_of(copilot, BOB)) == before

    chat = as_employee(ERIN)
    chat.say("I'd like to request Tableau Creator")
    chat.say("windows")
    reply = chat.say("hang on - who signs this off? it isn't cheap")
    assert "Sam Kowalski" in reply and "Business justification?" in reply
    assert "business_justification" not in state_of(chat)["draft"]["answers"]


def test_a_name_field_takes_a_name_not_a_description(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(BOB)
    assert "List name?" in chat.say("I need a distribution list")
    asked = chat.say("basically one address that reaches the whole team, nobody outside acme")
    assert "List name" in asked and state_of(chat)["draft"]["answers"] == {"include_external_addresses": False}
    assert "short name" in chat.say("just one list that goes to all of us in the field team")
    review = chat.say("call it emea-field-team")
    assert "List name: emea-field-team" in review
    stored = requested(copilot, number(chat.say("yes"), "SR"))
    assert stored["list_name"] == "emea-field-team" and stored["include_external_addresses"] is False


def test_owners_and_members_named_without_addresses_are_kept(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(BOB)
    chat.say("I need a shared mailbox")
    assert "Owners?" in chat.say("ops-rota")
    review = chat.say("me and carol diaz. members: alice nguyen")
    assert "Owners: bob.martin@acme.example, Carol Diaz" in review and "Members: Alice Nguyen" in review


def test_a_new_person_starting_is_an_onboarding(as_employee: Any) -> None:
    chat = as_employee(BOB)
    started = chat.say("I've got a new account exec starting, Lina Park, on 2027-03-01. no extra software")
    assert "**New hire onboarding**" in started and "New starter name: Lina Park" in started
    assert "Start date: 2027-03-01" in started and "Laptop model?" in started


def test_a_polite_question_to_go_ahead_is_a_yes(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(ALICE)
    before = len(tickets_of(copilot, ALICE))
    assert "Please check your request for **Headset**" in chat.say("headset usb-c please")
    number(chat.say("ok, could you submit it please?"), "SR")
    assert len(tickets_of(copilot, ALICE)) == before + 1


def test_a_fix_that_did_not_work_offers_the_incident_about_that_problem(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(CAROL)
    before = len(tickets_of(copilot, CAROL))
    assert "Outlook keeps asking for a password" in chat.say("outlook nags me for my password all day")
    offer = chat.say("did all that, no luck")
    assert "I'll open an incident" in offer and "outlook" in offer.lower()
    chat.say("yes please")
    assert len(tickets_of(copilot, CAROL)) == before + 1


def test_a_place_with_wifi_in_it_is_no_outage(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(CAROL)
    before = len(tickets_of(copilot, CAROL))
    reply = chat.say("the wifi on the 4th floor in new york")
    assert "handed this over" not in reply and not state_of(chat)["handoff"]
    assert len(tickets_of(copilot, CAROL)) == before
