"""Other languages and handover subjects over the REST channel (issue 13, items 6 and 7).

Real engine, real offline model, real sandbox and Redis. A message in another language is answered (in
English) with one line in the employee's language, once per conversation; vague foreign messages offer a
person and never open an automatic handover; a handover ticket's subject says what the problem is.
"""

from __future__ import annotations

from typing import Any

from sandbox.seed import DEMO_EMPLOYEES
from tests.conversation.conftest import Copilot
from tests.conversation.test_scenarios import number, sandbox_api, tickets_of

ALICE, DAN = DEMO_EMPLOYEES[0]["email"], DEMO_EMPLOYEES[3]["email"]


def ticket(copilot: Copilot, ticket_id: int) -> dict[str, Any]:
    with sandbox_api(copilot) as api:
        return dict(api.get(f"/tickets/{ticket_id}").json()["ticket"])


def test_spanish_question_is_answered_with_the_notice_once(as_employee: Any) -> None:
    chat = as_employee(ALICE)
    first = chat.say("¿Cómo restablezco mi contraseña?")
    assert "password.acme.example" in first and chat.citations
    assert "respondo en inglés" in first
    second = chat.say("gracias, ¿y cómo me conecto a la VPN?")
    assert "vpn.acme.example" in second and "inglés" not in second


def test_german_ticket_question_lists_the_employees_tickets(as_employee: Any) -> None:
    chat = as_employee(DAN)
    reply = chat.say("Zeig mir bitte meine Tickets")
    assert "IntelliJ" in reply and "Englisch" in reply


def test_vague_foreign_messages_offer_a_person_and_open_nothing(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(ALICE)
    before = {t["id"] for t in tickets_of(copilot, ALICE)}
    for text in ("ça ne va pas du tout", "toujours pareil", "vraiment rien"):
        reply = chat.say(text)
        assert "Talk to the IT team" in reply and "escalate" in chat.actions
        assert chat.last["handoff"] is False
    assert {t["id"] for t in tickets_of(copilot, ALICE)} == before
    handed = chat.press("escalate")  # the employee's own choice
    assert chat.last["handoff"] is True
    subject = ticket(copilot, number(handed, "INC"))["subject"]
    assert "auto-escalation" not in subject and subject.startswith("Copilot handover")


def test_english_gibberish_still_brings_in_a_person_after_two_turns(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(ALICE)
    chat.say("asdfgh jkl")
    reply = chat.say("qwertz uiop")
    assert chat.last["handoff"] is True
    created = ticket(copilot, number(reply, "INC"))
    assert "auto-escalation" not in created["subject"]
    assert "could not help with the last few messages" in created["description"]


def test_handover_subject_says_what_the_problem_is(as_employee: Any, copilot: Copilot) -> None:
    chat = as_employee(ALICE)
    chat.say("how do I connect to the VPN?")
    chat.say("my vpn keeps disconnecting every few minutes since this morning")
    reply = chat.say("I want to talk to a human")
    assert chat.last["handoff"] is True
    created = ticket(copilot, number(reply, "INC"))
    assert created["subject"] == "Copilot handover: VPN keeps disconnecting every few minutes since this morning"
    assert "What the employee said" in created["description"]
    assert "Connect to the VPN (GlobalProtect)" in created["description"]
    assert "The employee asked for a person" in created["description"]
