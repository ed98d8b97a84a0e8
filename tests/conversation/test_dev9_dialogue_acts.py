"""Issue 13, what conversations-dev9 taught, over the REST channel and checked in the sandbox.

Two corrections in one message are both applied; "no leave it actually, …" calls the request off; after an
incident's status, "anything I can try in the meantime?" is what the knowledge base says about that problem; "what
I do need is …" is a request; "order me one then" takes the item just offered; a German follow-up with English
error text is read; a likeness of letters or a choice said with its field's word ("UK keyboard") starts no item;
"which phones do we offer?" shows the item's models; "what does pending even mean?" is about the ticket just shown.
"""

from __future__ import annotations

from typing import Any

from sandbox.seed import DEMO_EMPLOYEES
from tests.conversation.conftest import Copilot
from tests.conversation.test_dialogue_flows import requested, state_of
from tests.conversation.test_scenarios import number, tickets_of

ALICE, BOB, CAROL, DAN, ERIN = (e["email"] for e in DEMO_EMPLOYEES[:5])


def test_a_room_and_a_day_corrected_in_one_message_are_both_stored(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(CAROL)
    assert "Room: Berlin - Spree" in chat.say("conference room setup please: Berlin Spree, 2027-02-10, with recording")
    review = chat.say("sorry, I meant New York, the Hudson room. and it's the 11th, not the 10th")
    assert "Room: New York - Hudson" in review and "Date: 2027-02-11" in review
    stored = requested(copilot, number(chat.say("confirm"), "SR"))
    assert stored["room"] == "New York - Hudson" and stored["date"] == "2027-02-11" and stored["needs_recording"] is True


def test_leave_it_at_the_review_calls_the_request_off(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(BOB)
    before = len(tickets_of(copilot, BOB))
    assert "Connection: USB-C" in chat.say("headset for me please, usb-c")
    assert "cancelled" in chat.say("no leave it actually, just found an old one in my drawer").lower()
    assert state_of(chat)["draft"]["stage"] == "cancelled" and len(tickets_of(copilot, BOB)) == before


def test_self_help_after_an_incidents_status_is_the_article_on_that_problem(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(DAN)
    before = len(tickets_of(copilot, DAN))
    assert "Pending" in chat.say("laptop ticket status pls")
    assert "waiting on you" in chat.say("what does pending even mean here")  # the ticket just shown
    tips = chat.say("fine. anything i can try in the meantime")
    assert "Slow laptop: what to try first" in tips and "Restart" in tips
    assert len(tickets_of(copilot, DAN)) == before  # nothing logged on the way


def test_what_i_do_need_is_starts_that_request_after_a_call_off(as_employee: Any) -> None:
    chat = as_employee(CAROL)
    chat.say("please set up the Thames room in London for our all-hands on 2027-03-04, with recording")
    assert "cancelled" in chat.say("hold on, don't submit - the venue changed. drop it").lower()
    review = chat.say("what I do need is a distribution list called sales-kickoff-2027, external addresses included")
    assert "**Distribution list**" in review and "List name: sales-kickoff-2027" in review
    assert "Include external addresses: Yes" in review


def test_order_me_one_then_takes_the_item_just_offered(as_employee: Any) -> None:
    chat = as_employee(ERIN)
    assert "Monitor" in chat.say("whats happening with my monitor order?")
    chat.say("its ticket 2 i think")
    assert chat.say("weird. ok can you order me one then").startswith("Let's request **Monitor**")


def test_a_german_follow_up_with_the_error_in_english_is_read(as_employee: Any) -> None:
    chat = as_employee(BOB)
    chat.say("wie verbinde ich mich im Hotel mit dem VPN? es klappt nicht")
    assert "eu.vpn.acme.example" in chat.say("jetzt steht da gateway not responding")


def test_no_item_is_started_on_a_likeness_of_letters_or_a_field_value(as_employee: Any) -> None:
    chat = as_employee(CAROL)
    review = chat.say("order me one of those wireless jabra things, usb-a please")
    assert "**Headset**" in review and "Connection: USB-A" in review
    chat = as_employee(CAROL)
    assert "Wireless keyboard" not in chat.say("I'm on the road with clients most of the week and need a work line")
    chat = as_employee(BOB)
    assert "Laptop model: Dell Latitude 7450, MacBook Air 13, MacBook Pro 14" in chat.say("what laptop models are there")
    assert "Wireless keyboard" not in chat.say("the bigger mac, uk keyboard")


def test_which_phones_do_we_offer_shows_the_models(as_employee: Any) -> None:
    chat = as_employee(CAROL)
    assert "Model: iPhone 16, Samsung Galaxy S25." in chat.say("which phones do we offer? i'd want to keep my number")
