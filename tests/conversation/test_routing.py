"""Issue 13, routing and escalation, through the REST channel on a real sandbox: a how-to question with an
alarming word is answered (no incident, no handover); asking how to reach IT gets IT's own contact details
(not HR); an urgent handover says it is urgent and gives the phone line configured for this deployment."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import SandboxHandle
from tests.conversation.conftest import ALICE, TOKEN, Chat, Copilot
from tests.conversation.test_scenarios import number, sandbox_api, tickets_of
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVE = ("import os, uvicorn; from copilot.settings import Settings; from copilot.web.standalone import create_api_app; "
         "uvicorn.run(create_api_app(Settings()), host='127.0.0.1', port=int(os.environ['PORT']), log_level='warning')")

# A line no default or article contains, so seeing it proves the reply reads the deployment's setting.
URGENT_LINE = "ring the Acme security hotline on +44 20 7946 0999"


@pytest.fixture(scope="module")
def configured(sandbox_factory: Callable[..., SandboxHandle], redis_url: str,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Copilot]:
    """A copilot whose urgent contact is set by the operator (``COPILOT_URGENT_CONTACT``), in its own process:
    the REST app's services are process-wide, and the suite's shared copilot already owns this process's."""
    handle = sandbox_factory(knowledge="org")
    port = free_port()
    env = {**os.environ, "COPILOT_ENV": "development", "COPILOT_FRESHSERVICE_URL": handle.base_url,
           "COPILOT_FRESHSERVICE_API_KEY": handle.api_key, "COPILOT_REDIS_URL": redis_url,
           "COPILOT_DATA_DIR": str(tmp_path_factory.mktemp("routing")), "COPILOT_API_TOKENS": TOKEN,
           "COPILOT_URGENT_CONTACT": URGENT_LINE, "COPILOT_TRIAGE_WORKER": "off", "PORT": str(port)}
    process = subprocess.Popen([sys.executable, "-c", SERVE], cwd=ROOT, env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # fits the offline model and indexes the articles first: slow when busy
        while True:
            assert process.poll() is None, "the app exited"
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.2)
        yield Copilot(base_url=base_url, sandbox=handle)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def talk(configured: Copilot) -> Iterator[Chat]:
    configured.sandbox.control("POST", "/_sandbox/reset")
    with configured.client() as http:
        yield Chat(http)


def test_how_to_with_an_alarming_word_is_answered_not_escalated(talk: Chat, configured: Copilot) -> None:
    before = {t["id"] for t in tickets_of(configured, ALICE)}
    reply = talk.say("what am I supposed to do if my laptop is ever stolen while I'm travelling?")
    assert talk.last["handoff"] is False
    assert any(c["title"] == "Lost or stolen laptop or phone" for c in talk.citations), reply
    assert "4357" in reply  # the article's own instruction, shown as the answer
    assert not any(a.startswith("confirm:") for a in talk.actions)  # no incident or handover proposed
    assert {t["id"] for t in tickets_of(configured, ALICE)} == before


def test_how_to_reach_it_gets_it_contact_details_not_hr(talk: Chat, configured: Copilot) -> None:
    reply = talk.say("how do I contact the IT service desk, and when are they around?")
    assert "People team" not in reply and "not something IT handles" not in reply
    assert "08:00–18:00" in reply  # the service desk's business hours configured in Freshservice
    assert URGENT_LINE in reply  # the contact line configured for this deployment
    assert talk.last["handoff"] is False


def test_urgent_handover_says_urgent_gives_the_configured_line_and_a_useful_ticket(talk: Chat,
                                                                                    configured: Copilot) -> None:
    talk.say("hi")
    reply = talk.say("I just clicked a link in a phishing email and typed my password into it")
    assert talk.last["handoff"] is True
    assert "urgent" in reply.lower() and "top priority" in reply
    assert URGENT_LINE in reply
    ticket_id = number(reply, "INC")
    with sandbox_api(configured) as api:
        ticket = api.get(f"/tickets/{ticket_id}").json()["ticket"]
    assert ticket["priority"] == 4
    subject = ticket["subject"].lower()
    assert subject.startswith("urgent: copilot handover:") and "phishing" in subject and "hi" != subject[-2:]
    description = ticket["description_text"]
    assert "What the employee said" in description and "Full conversation" in description
    assert "typed my password" in description


@pytest.mark.parametrize("pause", ["hmm", "ok so", "it", "umm"])
def test_a_hesitation_with_nothing_open_asks_what_is_needed_and_counts_as_no_failure(chat: Chat, pause: str) -> None:
    reply = chat.say(pause)
    assert reply.startswith("No rush.") and "describe what you need" in reply
    reply = chat.say(pause)
    assert reply.startswith("No rush.") and "IT team" not in reply  # no auto-escalation after two of them
