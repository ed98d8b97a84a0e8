"""Follow-ups about the employee's own tickets over the REST channel (real engine, real offline model, real
sandbox with Acme's seed, real Redis), in phrasings written for these tests: the rest of one's list after one
ticket's status, a listed ticket picked by its state or type, a ticket named by the application it is about,
what a Pending status means for the employee, and ordering the thing a "no such ticket" answer offered.

Seed: Alice has INC-1 (VPN, open), SR-2 (Monitor, waiting for Bob Martin), INC-3 (Outlook, resolved), INC-4
(printer, closed), SR-5 (headset, closed); Dan has INC-6 (laptop, pending) and SR-7 (IntelliJ, approved by
Lena Fischer, waiting for Priya Raman); Erin has no tickets; ticket #2 is Alice's, not Bob's.
"""

from __future__ import annotations

from sandbox.seed import DEMO_EMPLOYEES
from tests.conversation.conftest import Chat
from tests.conversation.test_scenarios import tickets_of

BOB, DAN, ERIN = (DEMO_EMPLOYEES[i]["email"] for i in (1, 3, 4))


def sandbox_ticket(copilot, number: int) -> dict:  # type: ignore[no-untyped-def]
    return copilot.sandbox.control("GET", f"/api/v2/tickets/{number}").json()["ticket"]  # type: ignore[no-any-return]


def requester_id(copilot, email: str) -> int:  # type: ignore[no-untyped-def]
    found = copilot.sandbox.control("GET", f"/api/v2/requesters?email={email}").json()["requesters"]
    return int(found[0]["id"])


def test_anything_else_open_after_one_status_lists_the_employees_open_tickets(copilot, chat: Chat) -> None:  # type: ignore[no-untyped-def]
    first = chat.say("has Bob signed off my monitor yet?")
    assert "SR-2" in first and "Bob Martin" in first, first
    listed = chat.say("right, and anything else open for me?")
    assert listed.startswith("Your tickets:") and "INC-1" in listed and "SR-2" in listed, listed
    assert sandbox_ticket(copilot, 1)["status"] == 2 and sandbox_ticket(copilot, 3)["status"] == 4
    assert "INC-3" not in listed, listed  # resolved, so not among the open ones


def test_my_own_list_after_someone_elses_number_shows_only_mine(copilot, as_employee) -> None:  # type: ignore[no-untyped-def]
    bob = as_employee(BOB)
    bob_id = sandbox_ticket(copilot, 2)["requester_id"]
    refused = bob.say("what's happening with ticket 2")
    assert "couldn't find a ticket" in refused and "Monitor" not in refused, refused
    listed = bob.say("fine, list mine")
    assert "Your tickets:" in listed or "You have no tickets" in listed, listed
    assert "Nguyen" not in listed and "SR-2" not in listed, listed
    assert bob_id != requester_id(copilot, BOB)  # #2 really is someone else's


def test_a_listed_ticket_picked_by_state_can_be_one_not_listed(chat: Chat) -> None:
    listed = chat.say("show me my tickets")
    assert "INC-3" not in listed, listed  # only open ones are listed
    reply = chat.say("what was the fixed one about?")
    assert "INC-3" in reply and "Outlook" in reply and "Resolved" in reply, reply


def test_the_request_in_a_list_is_picked_by_its_type(as_employee) -> None:  # type: ignore[no-untyped-def]
    dan = as_employee(DAN)
    dan.say("list my tickets")
    reply = dan.say("and the request - who still has to approve it?")
    assert "SR-7" in reply and "Priya Raman" in reply and "INC-6" not in reply, reply


def test_a_ticket_named_by_its_application_is_found_through_the_applications_category(chat: Chat) -> None:
    reply = chat.say("any update on my globalprotect issue?")
    assert "INC-1" in reply and "VPN" in reply and "Open" in reply, reply


def test_a_named_request_still_waiting_gets_its_status_not_a_licence_answer(as_employee) -> None:  # type: ignore[no-untyped-def]
    dan = as_employee(DAN)
    reply = dan.say("has my jetbrains licence been approved?")
    assert "SR-7" in reply and "Priya Raman" in reply and "seats" not in reply, reply
    again = dan.say("that intellij request, still waiting?")
    assert "SR-7" in again and "Priya Raman" in again, again


def test_what_pending_means_for_the_employee_is_explained(as_employee) -> None:  # type: ignore[no-untyped-def]
    dan = as_employee(DAN)
    status = dan.say("how's my laptop ticket going")
    assert "INC-6" in status and "Pending" in status, status
    reply = dan.say("do I have to do something?")
    assert "INC-6" in reply and "waiting on you" in reply and "reply" in reply, reply


def test_how_to_get_one_after_no_matching_ticket_starts_the_offered_request(copilot, as_employee) -> None:  # type: ignore[no-untyped-def]
    erin = as_employee(ERIN)
    none = erin.say("where's my headset order at?")
    assert "couldn't find" in none and "“Headset”" in none, none
    started = erin.say("oh. how can I get one then?")
    assert "Let's request **Headset**" in started, started
    tickets = copilot.sandbox.control(
        "GET", f"/api/v2/tickets/filter?query=\"requester_id:{requester_id(copilot, ERIN)}\"").json()["tickets"]
    assert tickets == []  # nothing is placed before the form is confirmed


def test_a_bare_ticket_number_after_status_and_after_and_is_that_ticket(as_employee) -> None:  # type: ignore[no-untyped-def]
    dan = as_employee(DAN)
    first = dan.say("status on 7")
    assert "SR-7" in first and "Priya Raman" in first and "Which of your tickets" not in first, first
    second = dan.say("and 6?")
    assert "INC-6" in second and "Pending" in second and "SR-7" not in second, second


def test_a_thing_already_ordered_or_reported_is_asked_about_not_ordered_again(copilot, chat: Chat,  # type: ignore[no-untyped-def]
                                                                           as_employee) -> None:
    before = {t["id"] for t in tickets_of(copilot, "alice.nguyen@acme.example")}
    headset = chat.say("headset i ordered a while back, is that done")
    assert "SR-5" in headset and "Closed" in headset and "Let's request" not in headset, headset
    listed = chat.say("list everything i've raised")
    assert listed.startswith("Your tickets:") and "INC-1" in listed, listed
    erin = as_employee(ERIN)
    wifi = erin.say("i reported my wifi dropping yesterday, what's happening with it?")
    assert "couldn't find" in wifi and "These articles may help" not in wifi, wifi
    how_to = chat.say("i reported a phishing email, what should i do now?")
    assert "Report a phishing email" in how_to and "INC-" not in how_to, how_to  # a how-to, not a status
    assert {t["id"] for t in tickets_of(copilot, "alice.nguyen@acme.example")} == before  # nothing ordered or opened


def test_asking_for_someone_after_a_status_hands_over(chat: Chat) -> None:
    chat.say("did anyone look at my vpn problem yet")
    reply = chat.say("still not working, it's been a day. can i talk to someone on the network team?")
    assert "passed this to the IT team on **INC-1**" in reply, reply  # on the VPN ticket itself, not a new one


def test_a_ticket_named_by_what_it_is_about_and_asked_whether_closed(copilot, chat: Chat) -> None:  # type: ignore[no-untyped-def]
    before = {t["id"] for t in tickets_of(copilot, "alice.nguyen@acme.example")}
    reply = chat.say("the jammed printer ticket from ages ago - is that closed?")
    assert "INC-4" in reply and "Closed" in reply and "Shall I create it" not in reply, reply
    assert {t["id"] for t in tickets_of(copilot, "alice.nguyen@acme.example")} == before
