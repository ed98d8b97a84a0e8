"""Resolution summaries from a scripted conversation on the sandbox: problem, cause, fix, steps, links."""

from __future__ import annotations

import json

from copilot.settings import Settings
from copilot.triage.summary import (
    ResolutionSummary,
    extractive_summary,
    parse_llm_summary,
    summarise,
    summary_model,
    to_note_html,
)
from tools.freshservice import FreshserviceClient, TicketCreate, TicketUpdate

KB = "https://support.microsoft.com/office/outlook-credential-prompts-1234"


async def scripted_ticket(client: FreshserviceClient) -> int:
    ticket = await client.create_ticket(TicketCreate(
        subject="Outlook keeps asking for my password",
        description="<p>Since Monday Outlook asks for my password every ten minutes. I can't send mail from my "
                    "laptop. <script>alert(1)</script></p>", email="alice.nguyen@acme.example", priority=2))
    await client.add_note(ticket.id, "<p>Hi Alice, thanks for reporting this. I'm looking into it now.</p>",
                          private=False)
    await client.add_note(ticket.id, "<p>Checked the sign-in logs: the cached credentials were corrupted after the "
                                     "password change, because the old token was still in Credential Manager.</p>")
    await client.add_note(ticket.id, f"<p>Fixed: cleared the Office credentials and re-created the profile.</p>"
                                     f"<ol><li>Close Outlook</li><li>Remove the MicrosoftOffice16 entries in Credential "
                                     f"Manager</li><li>Create a new Outlook profile and sign in again</li></ol>"
                                     f"<p>Background: <a href=\"{KB}\">Microsoft article</a></p>"
                                     f"<p><img src=\"https://acme.example/screens/credman.png\"></p>")
    await client.add_note(ticket.id, "<p>Works now, thank you!</p>", private=False)
    await client.update_ticket(ticket.id, TicketUpdate(status=4))
    return ticket.id


async def test_extractive_summary_has_problem_cause_fix_steps_and_links(learn_client: FreshserviceClient) -> None:
    ticket_id = await scripted_ticket(learn_client)
    summary = await summarise(ticket_id, learn_client)
    assert summary.method == "extractive" and summary.draft
    assert "asks for my password every ten minutes" in summary.problem
    assert "corrupted after the password change" in summary.cause
    assert "cleared the Office credentials" in summary.fix
    assert summary.steps == ["Close Outlook", "Remove the MicrosoftOffice16 entries in Credential Manager",
                             "Create a new Outlook profile and sign in again"]
    assert summary.links == [KB]  # the screenshot is not a link to keep
    assert "thank you" not in summary.fix.lower()

    note = to_note_html(summary)
    assert "<ol><li>Close Outlook</li>" in note
    assert f"<li>{KB}</li>" in note  # links stay text: no anchor a reviewer clicks by accident
    assert "<script" not in note and "<img" not in note and "<a " not in note
    assert "draft for review" in note


async def test_a_ticket_with_only_an_agent_reply_still_gets_a_fix(learn_client: FreshserviceClient) -> None:
    ticket = await learn_client.create_ticket(TicketCreate(subject="Badge does not open 3rd floor",
                                                           description="My badge stopped working on the 3rd floor.",
                                                           email="dan.okafor@acme.example", priority=1))
    await learn_client.add_note(ticket.id, "<p>Your badge access was renewed in the door system; it works again "
                                           "from tomorrow morning.</p>", private=False)
    await learn_client.update_ticket(ticket.id, TicketUpdate(status=4))
    summary = await summarise(ticket.id, learn_client)
    assert "badge access was renewed" in summary.fix
    assert summary.problem.startswith("My badge stopped working")


def test_offline_settings_use_no_llm() -> None:
    assert summary_model(Settings(env="development", model="offline")) is None


def test_llm_answers_are_checked_before_they_become_a_draft() -> None:
    base = ResolutionSummary(ticket_id=7, subject="VPN", problem="VPN drops.", fix="Reinstalled.", links=[KB])
    answer = json.dumps({"problem": "The VPN dropped hourly.", "cause": "An expired certificate.",
                         "fix": "Renewed the machine certificate.", "steps": ["Open Company Portal", "Sync"],
                         "links": [KB, "https://evil.example/invented"]})
    written = parse_llm_summary(f"Here you go:\n{answer}", base, model_name="gpt-test")
    assert written is not None and written.method == "llm" and written.model == "gpt-test"
    assert written.fix == "Renewed the machine certificate." and written.steps == ["Open Company Portal", "Sync"]
    assert written.links == [KB]  # a link the conversation never had is dropped
    assert parse_llm_summary("I cannot help with that.", base, model_name="x") is None
    assert parse_llm_summary('{"problem": "x", "fix": ""}', base, model_name="x") is None


def test_extractive_summary_works_on_a_ticket_without_conversations() -> None:
    from tools.freshservice import Ticket

    summary = extractive_summary(Ticket(id=1, subject="Mouse broken", description_text="The left button fails."), [])
    assert summary.problem == "The left button fails." and summary.empty
