"""Issue 13, item 2 — dialogue acts inside an open request, over the REST channel, checked in the sandbox.

A correction names its field the way people do ("the OS", "the reason"), a topic switch in the middle of a
form parks nothing it should not and the form is picked up again, and an answer that fits no choice (or no
e-mail address) is asked again with nothing stored. What matters is what reached Freshservice.
"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.seed import DEMO_EMPLOYEES
from tests.conversation.conftest import Chat, Copilot
from tests.conversation.test_dialogue_flows import requested, state_of
from tests.conversation.test_scenarios import number, tickets_of

ALICE, BOB, CAROL, DAN, ERIN = (e["email"] for e in DEMO_EMPLOYEES[:5])


@pytest.mark.parametrize(("change", "label", "stored"), [
    ("set the OS to windows", "Operating system: Windows", ("operating_system", "Windows")),
    ("change the reason to redlining supplier contracts", "Business justification: redlining supplier contracts",
     ("business_justification", "redlining supplier contracts")),
])
def test_a_correction_naming_a_field_changes_it_and_shows_the_review_again(
        as_employee: Any, copilot: Copilot, change: str, label: str, stored: tuple[str, str]) -> None:
    chat = as_employee(CAROL)
    review = chat.say("Acrobat for mac, for contract edits")
    assert "Operating system: macOS" in review and "Shall I submit it?" in review
    again = chat.say(change)
    assert label in again and "Shall I submit it?" in again  # the review, shown again with the change
    sr = number(chat.say("fine by me"), "SR")
    assert requested(copilot, sr)[stored[0]] == stored[1]


def test_an_optional_field_added_at_the_review_is_shown_and_sent(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(DAN)
    review = chat.say("temp admin rights for 7 days, need to debug a kernel driver")
    assert "Duration: 7 days" in review
    again = chat.say("only need it for one day actually")
    assert "Duration: 1 day" in again and "Shall I submit it?" in again
    sr = number(chat.say("sure thing"), "SR")
    assert requested(copilot, sr)["duration"] == "1 day"


def test_a_choice_of_another_field_at_the_reason_question_is_not_stored_as_the_reason(
        as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(ERIN)
    chat.say("Figma please")
    assert "Business justification?" in chat.say("mac")
    reply = chat.say("dev mode")
    assert "Seat type: Dev mode" in reply and "Business justification" in reply
    assert state_of(chat)["draft"]["answers"] == {"operating_system": "macOS", "seat_type": "Dev mode"}
    review = chat.say("handing designs over to the engineers")
    assert "Seat type: Dev mode" in review and "Shall I submit it?" in review
    sr = number(chat.say("yes"), "SR")
    stored = requested(copilot, sr)
    assert stored["seat_type"] == "Dev mode" and "dev mode" not in stored["business_justification"].lower()


def test_a_topic_switch_mid_form_is_answered_and_the_form_resumes(chat: Chat, copilot: Copilot) -> None:
    before = len(tickets_of(copilot, ALICE))
    assert "Operating system?" in chat.say("Microsoft Project please")
    listed = chat.say("show me my tickets")
    assert "Monitor" in listed and "Back to your **Microsoft Project** request: Operating system?" in listed
    assert state_of(chat)["draft"]["answers"] == {}  # the digression filled nothing
    reply = chat.say("right, back to the project request - windows")
    assert "Business justification?" in reply
    assert state_of(chat)["draft"]["answers"] == {"operating_system": "Windows"}  # not "the project request" as the reason
    review = chat.say("planning the showroom refit")
    assert "Business justification: planning the showroom refit" in review
    sr = number(chat.say("perfect, send it"), "SR")
    assert requested(copilot, sr)["operating_system"] == "Windows"
    assert len(tickets_of(copilot, ALICE)) == before + 1


def test_a_new_request_mid_form_parks_the_first_which_resumes_with_the_value_given(chat: Chat, copilot: Copilot) -> None:
    before = len(tickets_of(copilot, ALICE))
    assert "Delivery location?" in chat.say("I need a docking station")
    reply = chat.say("oh wait, first can I get a headset?")
    assert "put your **Docking station** request aside" in reply and "Connection?" in reply
    assert state_of(chat)["draft"]["item_name"] == "Headset"  # the dock waits, nothing of it was sent
    chat.say("usb-c")
    done = chat.say("yes")
    headset = number(done, "SR")
    assert "still have a **Docking station** request" in done
    back = chat.say("yes, office desk")
    assert "Delivery location: Office desk" in back and "Shall I submit it?" in back
    dock = number(chat.say("go ahead"), "SR")
    assert requested(copilot, headset)["connection"] == "USB-C"
    assert requested(copilot, dock)["delivery_location"] == "Office desk"
    assert len(tickets_of(copilot, ALICE)) == before + 2


@pytest.mark.parametrize("wrong", ["a month", "forever ideally"])
def test_an_answer_that_fits_no_choice_is_asked_again_and_nothing_is_stored(chat: Chat, wrong: str) -> None:
    chat.say("temporary admin rights")
    reply = chat.say(wrong)
    assert "1 day" in reply and "3 days" in reply and "7 days" in reply  # the choices, asked again
    assert state_of(chat)["draft"]["answers"] == {}
    assert "Business justification?" in chat.say("3 days")


def test_a_contractor_email_must_be_an_address(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(DAN)
    assert "Contractor email?" in chat.say("vpn access for a contractor")
    reply = chat.say("Jo from Deloitte")
    assert "email address" in reply
    assert state_of(chat)["draft"]["answers"] == {}
    assert "End date?" in chat.say("jo.smith@deloitte.example")
    review = chat.say("2027-03-31")
    assert "Contractor email: jo.smith@deloitte.example" in review
    sr = number(chat.say("yes"), "SR")
    assert requested(copilot, sr)["contractor_email"] == "jo.smith@deloitte.example"


@pytest.mark.parametrize("pause", ["hmm", "umm... not sure yet", "wait"])
def test_a_hesitation_at_a_text_field_is_not_stored_and_the_field_is_asked_again(
        as_employee: Any, copilot: Copilot, pause: str) -> None:
    chat = as_employee(DAN)
    assert "Software name?" in chat.say("we'd like to evaluate a new tool")
    reply = chat.say(pause)
    assert reply.startswith("No rush.") and "Software name?" in reply
    assert state_of(chat)["draft"]["answers"] == {}
    assert "Number of users?" in chat.say("Linear")
    assert state_of(chat)["draft"]["answers"]["software_name"] == "Linear"


def test_a_hesitation_at_a_choice_field_lists_the_choices_again(chat: Chat) -> None:
    assert "Delivery location?" in chat.say("I need a monitor")
    reply = chat.say("ummm")
    assert reply.startswith("No rush.") and "Office desk" in reply and "Home address" in reply
    assert state_of(chat)["draft"]["answers"] == {}
