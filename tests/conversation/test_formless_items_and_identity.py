"""Items whose catalog form has no fields (real catalogs have them), an application outside the catalog,
thanks in a confirmation, and an employee asking whether they talk to a bot in the middle of a form —
over the REST channel, checked in the sandbox's state (real engine, offline model, sandbox, Redis)."""

from __future__ import annotations

from tests.conversation.conftest import Chat, Copilot
from tests.conversation.test_scenarios import number, sandbox_api


def test_an_item_without_form_fields_goes_straight_to_review(chat: Chat, copilot: Copilot) -> None:
    reply = chat.say("can i get a keyboard and mouse, wireless")
    assert "Wireless keyboard and mouse" in reply and "Shall I submit it?" in reply
    assert any(a.startswith("confirm:") for a in chat.actions)
    done = chat.say("thx, send it")
    sr = number(done, "SR")
    assert "Your approvers have been asked" in done  # a manager approves it in Acme's catalog
    with sandbox_api(copilot) as api:
        items = api.get(f"/tickets/{sr}/requested_items").json()["requested_items"]
    assert len(items) == 1


def test_an_item_without_approval_says_so_when_placed(chat: Chat) -> None:
    reply = chat.say("i need a headset, usb-c")
    assert "Approvals: none needed" in reply
    done = chat.say("yes")
    number(done, "SR")
    assert "needs no approval" in done and "approvers have been asked" not in done


def test_asking_if_it_is_a_bot_mid_form_is_answered_and_the_form_goes_on(chat: Chat, copilot: Copilot) -> None:
    assert "Duration" in chat.say("temporary admin rights")
    reply = chat.say("are you a bot or a person?")
    assert "not a person" in reply and "Duration" in reply  # answered, then the open question again
    assert not any(a.startswith("handover") for a in chat.actions)
    chat.say("1 day")
    review = chat.say("installing a certificate for the bank portal")
    assert "Duration: 1 day" in review
    sr = number(chat.say("yes"), "SR")
    with sandbox_api(copilot) as api:
        fields = api.get(f"/tickets/{sr}/requested_items").json()["requested_items"][0]["custom_fields"]
    assert "certificate" in str(fields).lower() and "bot" not in str(fields).lower()


def test_an_application_outside_the_catalog_is_passed_to_it_not_misread(chat: Chat) -> None:
    reply = chat.say("the people team said IT handles Concur, can I get access?")
    assert "SAP Concur" in reply and "isn't in the service catalog" in reply
    assert "escalate" in chat.actions and not any(a.startswith("confirm:") for a in chat.actions)
