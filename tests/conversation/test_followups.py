"""Short follow-ups that lean on the turn before them, over the REST channel (real engine, real offline model,
real sandbox with Acme's articles, real Redis): "what about guests?" after a knowledge answer, a reason given
where a choice was asked, and "it still doesn't work" while an incident offer waits for a yes.
"""

from __future__ import annotations

from tests.conversation.conftest import Chat


def test_what_about_x_after_a_knowledge_answer_is_searched_with_its_topic(chat: Chat) -> None:
    chat.say("how do I connect to the office wifi?")
    reply = chat.say("what about guests?")
    assert "ACME-Guest" in reply and "HR" not in reply, reply
    assert any("Wi-Fi" in c["title"] for c in chat.citations), chat.last


def test_what_about_another_app_after_a_licence_answer_still_checks_that_app(chat: Chat) -> None:
    chat.say("is there a spare Snagit licence")
    reply = chat.say("what about Postman?")
    assert "Postman" in reply and "Snagit" not in reply, reply


def test_a_reason_said_where_a_choice_is_asked_is_kept_as_the_reason(chat: Chat) -> None:
    asked = chat.say("I need Figma")
    assert "Operating system?" in asked, asked
    reply = chat.say("i'm a designer on the brand team")
    assert "not an option" not in reply and "designer on the brand team" in reply, reply
    assert "Operating system?" in reply and len(chat.actions) == 2, reply
    after = chat.say("macOS")
    assert "justification?" not in after.lower(), after  # the reason is not asked for again


def test_it_still_doesnt_work_while_an_incident_is_offered_adds_to_that_incident(copilot, chat: Chat) -> None:  # type: ignore[no-untyped-def]
    offered = chat.say("my vpn keeps dropping, please log a ticket")
    assert "Subject: VPN keeps dropping" in offered and "Shall I create it?" in offered, offered
    first = [a for a in chat.actions if a.startswith("confirm:")]
    reply = chat.say("it still doesnt work")
    assert "Subject: VPN keeps dropping" in reply and "It still doesnt work" not in reply, reply
    again = chat.press(first[0])
    assert "Created" not in again, again  # the first offer was replaced, its button is no longer active
    created = chat.say("yes")
    assert "Created **INC-" in created and "VPN keeps dropping" in created, created
    number = created.split("**INC-")[1].split("**")[0]
    ticket = copilot.sandbox.control("GET", f"/api/v2/tickets/{number}").json()["ticket"]
    assert "keeps dropping" in ticket["description"] and "it still doesnt work" in ticket["description"], ticket


def test_a_new_problem_while_an_incident_is_offered_is_a_new_subject(chat: Chat) -> None:
    chat.say("my vpn keeps dropping, please log a ticket")
    reply = chat.say("the printer on floor 2 is jammed too, log that")
    assert "VPN" not in reply.split("Urgency")[0], reply


def test_a_follow_up_after_which_ticket_stays_with_the_tickets_just_listed(chat: Chat) -> None:
    chat.say("my second monitor is not detected by the dock, please log a ticket")
    assert "Created **INC-" in chat.say("yes")
    asked = chat.say("any news on my monitor?")
    assert "Which of your tickets do you mean?" in asked and "SR-2" in asked, asked
    listed = set(chat.actions)
    for follow_up in ("who is it stuck with?", "can you remind them"):
        reply = chat.say(follow_up)
        assert "**INC-1**" not in reply and "Headset" not in reply, reply  # not the other tickets again
        assert set(chat.actions) <= listed, chat.actions
