"""Issue 13 (items 4 and 5) over the REST channel: tickets found by what they are about, and choices as buttons.

Real engine, real offline model, real sandbox (Acme's seed): Alice has an open Monitor request (#2) waiting
for Bob Martin, Dan has an IntelliJ request approved by Lena Fischer and waiting for Priya Raman.
"""

from __future__ import annotations

from sandbox.seed import DEMO_EMPLOYEES
from tests.conversation.conftest import Chat, Copilot
from tests.conversation.test_scenarios import tickets_of

BOB, CAROL, DAN = (DEMO_EMPLOYEES[i]["email"] for i in (1, 2, 3))


def labels(chat: Chat) -> dict[str, str]:
    return {a["id"]: a["label"] for m in chat.last.get("messages", []) for a in m.get("actions", [])}


def test_a_request_found_by_what_it_is_about(chat: Chat) -> None:
    reply = chat.say("any news on my monitor?")
    assert "SR-2" in reply and "Monitor" in reply
    assert "waiting for approval from Bob Martin since" in reply and "Next:" in reply


def test_follow_up_about_it_stays_on_the_same_ticket(chat: Chat) -> None:
    chat.say("status of my monitor request")
    reply = chat.say("who is it stuck with?")
    assert "SR-2" in reply and "Bob Martin" in reply


def test_approvals_are_named_with_who_approved_and_who_is_next(as_employee) -> None:  # type: ignore[no-untyped-def]
    chat = as_employee(DAN)
    reply = chat.say("did lena sign off my intellij request yet?")
    assert "Lena Fischer approved it" in reply and "Priya Raman" in reply and "IntelliJ" in reply


def test_nothing_found_is_said_plainly_and_a_request_is_offered(chat: Chat, copilot: Copilot) -> None:
    before = len(tickets_of(copilot, chat.http.headers["X-Employee-Email"]))
    reply = chat.say("any news on my phone order?")
    assert "couldn't find a request of yours about phone" in reply
    offered = labels(chat)
    assert any(a.startswith("start:") and offered[a] == "Request Mobile phone" for a in offered), offered
    assert len(tickets_of(copilot, chat.http.headers["X-Employee-Email"])) == before  # nothing was started or sent


def test_several_matches_are_a_question_with_buttons(chat: Chat) -> None:
    reply = chat.say("any news on my outlook and printer tickets?")
    assert "Which of your tickets" in reply
    assert {"ticket:3", "ticket:4"} <= set(labels(chat))
    reply = chat.press("ticket:4")
    assert "INC-4" in reply and "Closed" in reply


def test_another_employees_ticket_is_never_shown(as_employee) -> None:  # type: ignore[no-untyped-def]
    bob = as_employee(BOB)  # Bob approves Alice's monitor request; it is still not his ticket
    reply = bob.say("any news on my monitor request?")
    assert "SR-2" not in reply and "Alice" not in reply
    alice_side = bob.press("ticket:2")  # a forged button gets the answer a non-existent ticket gets
    assert "couldn't find a ticket" in alice_side and "Monitor" not in alice_side


def test_a_choice_button_answers_the_field_being_asked(chat: Chat) -> None:
    chat.say("I need a monitor")
    offered = labels(chat)
    choices = {label: action for action, label in offered.items() if action.startswith("answer:")}
    assert set(choices) == {"Office desk", "Home address"}, offered
    reply = chat.press(choices["Home address"])
    assert "Delivery location: Home address" in reply and "Shall I submit it?" in reply
    stale = chat.press(choices["Office desk"])  # the question was answered; an old button changes nothing
    assert "isn't open any more" in stale


def test_a_choice_button_for_an_earlier_question_does_not_answer_the_current_one(chat: Chat) -> None:
    chat.say("I need a new laptop")
    model = {label: action for action, label in labels(chat).items()}
    chat.press(model["MacBook Pro 14"])  # now "Business justification" is asked
    reply = chat.press(model["Dell Latitude 7450"])
    assert "earlier question" in reply and "Business justification" in reply
    review = chat.say("I edit 4K video for the marketing team")
    assert "Laptop model: MacBook Pro 14" in review


def test_a_licence_answer_offers_to_request_the_app(as_employee) -> None:  # type: ignore[no-untyped-def]
    chat = as_employee(CAROL)
    reply = chat.say("is there a free acrobat pro seat?")
    assert "13" in reply
    offered = labels(chat)
    start = next(a for a, label in offered.items() if label == "Request Adobe Acrobat Pro")
    assert start.startswith("start:")
    reply = chat.press(start)
    assert "Adobe Acrobat Pro" in reply and "Operating system" in reply
