"""Corrections, call-offs and confirmations the way employees word them, and requests recognised from what
they describe (a folder path, "AV", a new starter's name, a tool to evaluate) — over the REST channel,
checked in the sandbox's state (real engine, offline model, sandbox, Redis)."""

from __future__ import annotations

from typing import Any

from tests.conversation.conftest import Chat, Copilot
from tests.conversation.test_scenarios import number, sandbox_api, tickets_of


def placed_fields(copilot: Copilot, sr: int) -> dict[str, Any]:
    with sandbox_api(copilot) as api:
        items = api.get(f"/tickets/{sr}/requested_items").json()["requested_items"]
    assert len(items) == 1
    return dict(items[0]["custom_fields"])


def test_a_correction_by_a_word_the_choice_lacks_changes_that_field_not_the_reason(chat: Chat, copilot: Copilot) -> None:
    asked = chat.say("intellij for my windows box pls")
    assert "Business justification?" in asked  # "my windows box" says where it goes, not why
    chat.say("kotlin work on the billing service")
    review = chat.say("hang on, it's for my macbook, not windows")
    assert "Operating system: macOS" in review and "Business justification: kotlin work on the billing service" in review
    fields = placed_fields(copilot, number(chat.say("yes"), "SR"))
    assert "macOS" in fields.values() and "billing" in str(fields.values())


def test_no_sorry_then_the_other_choice_is_a_correction_not_an_incident(chat: Chat, copilot: Copilot) -> None:
    before = {t["id"] for t in tickets_of(copilot, "alice.nguyen@acme.example")}
    chat.say("i'd like a headset")
    chat.say("usb-a")
    review = chat.say("no, sorry, usb-c, this laptop only has usb-c ports")
    assert "Connection: USB-C" in review and "incident" not in review.lower()
    sr = number(chat.say("go ahead"), "SR")
    assert "USB-C" in placed_fields(copilot, sr).values()
    assert {t["id"] for t in tickets_of(copilot, "alice.nguyen@acme.example")} - before == {sr}  # no incident


def test_forgetting_the_item_by_name_calls_the_request_off(chat: Chat, copilot: Copilot) -> None:
    chat.say("need an encrypted usb drive")
    reply = chat.say("hmm no, I'll just put it on onedrive, forget the usb drive")
    assert "cancelled" in reply.lower() and "Nothing was sent" in reply
    assert not any(a.startswith("confirm:") for a in chat.actions)


def test_renaming_a_mailbox_at_the_review(chat: Chat, copilot: Copilot) -> None:
    chat.say("we need a shared mailbox called emea-deals")
    review = chat.say("alice.nguyen@acme.example")
    assert "emea-deals" in review
    review = chat.say("actually, rename it to emea-pipeline")
    assert "Mailbox name: emea-pipeline" in review
    fields = placed_fields(copilot, number(chat.say("yes"), "SR"))
    assert "emea-pipeline" in fields.values()


def test_cancelling_a_part_of_the_form_turns_that_field_off_and_keeps_the_request(chat: Chat, copilot: Copilot) -> None:
    chat.say("room setup for the quarterly review please")
    assert "Date?" in chat.say("london soho")
    reply = chat.say("skip the recording, we don't need it")
    assert "Needs recording to No" in reply and "Date?" in reply and "cancelled" not in reply.lower()
    review = chat.say("2027-01-14")
    assert "Needs recording: No" in review and "Room: London - Soho" in review
    fields = placed_fields(copilot, number(chat.say("yes"), "SR"))
    assert False in fields.values() and "London - Soho" in fields.values()


def test_a_yes_that_names_the_item_submits_it(chat: Chat, copilot: Copilot) -> None:
    chat.say("need a docking station")
    assert "Shall I submit it?" in chat.say("office desk")
    done = chat.say("yes, order the dock")
    number(done, "SR")


def test_yes_to_an_incident_offered_mid_form_creates_it_and_returns_to_the_form(chat: Chat, copilot: Copilot) -> None:
    chat.say("microsoft visio please")
    offer = chat.say("also my webcam isn't working in teams, nobody can see me")
    assert "open an incident" in offer
    reply = chat.say("yes log that")
    number(reply, "INC")
    assert "Operating system?" in reply  # back to the request


def test_asking_for_two_changes_the_quantity_and_says_so(chat: Chat, copilot: Copilot) -> None:
    chat.say("a monitor please")
    reply = chat.say("could I have two of them?")
    assert "Quantity to 2" in reply and "Delivery location?" in reply
    review = chat.say("home address")
    assert "× 2" in review and "HDMI" not in review


def test_requests_recognised_from_what_they_describe(chat: Chat, copilot: Copilot) -> None:
    reply = chat.say("need AV set up in a meeting room for our sales all-hands")
    assert "Conference room setup" in reply and "Room?" in reply
    chat.say("cancel")
    reply = chat.say("i need access to S:\\Finance\\Budget2027")
    assert "Access to a shared drive" in reply and "S:\\Finance\\Budget2027" in reply and "Access level?" in reply
    chat.say("cancel")
    reply = chat.say("new starter in my team: Ana Lopez, starting 2027-02-01, no extra software")
    assert "New hire onboarding" in reply and "Ana Lopez" in reply and "Laptop model?" in reply
    chat.say("cancel")
    reply = chat.say("please evaluate Notion for our wiki, website notion.so")
    assert "New software evaluation" in reply and "Notion" in reply and "notion.so" in reply
    assert "Number of users?" in reply


def test_an_email_address_is_not_read_as_another_language(chat: Chat) -> None:
    reply = chat.say("vpn for contractor j.silva@partner.com")
    assert "VPN access for a contractor" in reply and "j.silva@partner.com" in reply
    assert "inglês" not in reply and "End date?" in reply


def test_request_that_after_an_answer_offering_the_item(chat: Chat) -> None:
    answer = chat.say("how do I get admin rights on my laptop?")
    assert "Temporary admin rights" in answer
    reply = chat.say("ok, request that for 3 days")
    assert "Temporary admin rights" in reply and "Business justification?" in reply


def test_a_licence_asked_for_politely_starts_the_request(chat: Chat) -> None:
    reply = chat.say("visio licence please")
    assert "Microsoft Visio" in reply and "Operating system?" in reply


def test_an_expired_password_gets_the_self_service_answer_first(chat: Chat) -> None:
    reply = chat.say("can't log in to workday, it says my password expired")
    assert "password" in reply.lower() and "open an incident" not in reply


def test_new_item_with_its_specs_is_a_request_not_an_incident(chat: Chat, copilot: Copilot) -> None:
    before = {t["id"] for t in tickets_of(copilot, "alice.nguyen@acme.example")}
    reply = chat.say("new laptop, uk keyboard")
    assert "New laptop" in reply and "Keyboard layout: UK" in reply and "Laptop model?" in reply, reply
    assert "incident" not in reply.lower(), reply
    chat.say("cancel")
    broken = chat.say("new laptop won't turn on, it's brand new")
    assert "Let's request" not in broken, broken  # a problem with a new laptop is not an order
    assert {t["id"] for t in tickets_of(copilot, "alice.nguyen@acme.example")} == before  # nothing placed unasked


def test_a_dodgy_email_not_clicked_gets_how_to_report_it_not_an_urgent_ticket(chat: Chat, copilot: Copilot) -> None:
    reply = chat.say("got an email from 'HR benefits' asking me to log in and update my bank details, looks dodgy")
    assert "Report a phishing email" in reply and "Report phishing" in reply, reply
    assert "urgent" not in reply.lower() or "handed" not in reply, reply
    clicked = chat.say("oh no, i clicked the link and typed my password")
    assert "handed this over" in clicked and "urgent" in clicked, clicked


def test_one_message_correcting_two_fields_changes_both_and_submits_them(chat: Chat, copilot: Copilot) -> None:
    review = chat.say("new hire onboarding for Tomás Ruiz, starting 1 february 2027, macbook air 13, no extra software")
    assert "MacBook Air 13" in review and "2027-02-01" in review, review
    changed = chat.say("correction: macbook pro 14, and the start date is 8 february 2027")
    assert "MacBook Pro 14" in changed and "2027-02-08" in changed and "2027-02-01" not in changed, changed
    done = chat.say("ok send")
    fields = placed_fields(copilot, number(done, "SR"))
    assert fields["laptop_model"] == "MacBook Pro 14" and fields["start_date"] == "2027-02-08", fields


def test_a_vague_number_is_asked_again_and_a_tool_called_x_is_not_a_reason(chat: Chat) -> None:
    first = chat.say("evaluation request for a tool called Warp, website warp.dev, no customer data")
    assert "Software name: Warp" in first and "Business justification" not in first, first
    again = chat.say("a few people")
    assert "whole number" in again and "knowledge base" not in again, again
    assert "Business justification?" in chat.say("6")


def test_two_words_naming_an_item_start_it_and_a_question_about_the_open_item_is_not_a_licence(chat: Chat) -> None:
    phone = chat.say("company phone")
    assert "Mobile phone" in phone and "Model?" in phone and "urgent" not in phone, phone
    chat.say("cancel")
    chat.say("please evaluate Sentry for error tracking, site sentry.io, no customer data")
    aside = chat.say("does it matter that it has a free tier?")
    assert "software list" not in aside and "Number of users?" in aside, aside
