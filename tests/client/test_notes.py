"""Notes over real HTTP: an idempotency key makes a note whose answer was lost findable, never resent."""

from __future__ import annotations

import httpx
import pytest

from tests.client.support import ALICE, calls
from tests.conftest import SandboxHandle
from tools.freshservice import FreshserviceClient, TicketCreate, Unavailable, idempotency_tag, note_marker

KEY = "note-conv-7-turn-2"
DROP_NOTE = {"sequence": ["drop"], "path_regex": "/notes$", "methods": ["POST"]}  # processed, answer lost
FAIL_NOTE = {"sequence": ["500"], "path_regex": "/notes$", "methods": ["POST"]}  # not processed, 5xx


async def _ticket(client: FreshserviceClient, subject: str) -> int:
    alice = await client.find_requester_by_email(ALICE)
    assert alice is not None
    ticket = await client.create_ticket(TicketCreate(requester_id=alice.id, subject=subject, description="<p>x</p>"))
    return ticket.id


async def test_marker_is_appended_and_survives_html_to_text(fresh: SandboxHandle) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key) as client:
        ticket_id = await _ticket(client, "Marker")
        note = await client.add_note(ticket_id, "<p>Employee: <b>Outlook</b> signature</p>", private=False,
                                     idempotency_key=KEY)
        listed = [c async for c in client.iter_conversations(ticket_id)]
    tag = idempotency_tag(KEY)
    assert note.body == "<p>Employee: <b>Outlook</b> signature</p>" + note_marker(KEY)
    assert note.body_text is not None and note.body_text.endswith(f"Ref {tag}")  # plain text, findable after HTML→text
    assert "Outlook signature" in note.body_text and note.private is False
    assert [c.id for c in listed] == [note.id]


async def test_lost_answer_to_a_note_is_recovered_by_idempotency_key(fresh: SandboxHandle) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key, backoff=0.01) as client:
        ticket_id = await _ticket(client, "Handover for a lost note")
        fresh.control("PUT", "/_sandbox/faults", json=DROP_NOTE)
        landed = await client.add_note(ticket_id, "<p>It is the VPN again</p>", private=False, idempotency_key=KEY)
        again = await client.add_note(ticket_id, "<p>It is the VPN again</p>", private=False, idempotency_key=KEY)
        notes = [c async for c in client.iter_conversations(ticket_id)]
    assert landed.id == again.id and [n.id for n in notes] == [landed.id]  # exactly one note on the ticket
    assert "It is the VPN again" in (landed.body_text or "") and landed.private is False
    assert len(calls(fresh, "POST", f"/tickets/{ticket_id}/notes")) == 1  # sent once, found twice
    # one look before each send (none found, then found) and one after the lost answer
    assert len(calls(fresh, "GET", f"/tickets/{ticket_id}/conversations")) == 3 + 1


async def test_a_note_that_did_not_land_is_reported_not_resent(fresh: SandboxHandle) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key, backoff=0.01) as client:
        ticket_id = await _ticket(client, "Note that fails")
        # an agent's reply quoting the marker is not the note: it must not be taken for it
        async with httpx.AsyncClient(base_url=fresh.base_url, auth=(fresh.api_key, "X")) as http:
            reply = await http.post(f"/api/v2/tickets/{ticket_id}/reply",
                                    json={"body": f"<p>About your note ({idempotency_tag(KEY)}): on it.</p>"})
            assert reply.status_code == 201
        fresh.control("PUT", "/_sandbox/faults", json=FAIL_NOTE)
        with pytest.raises(Unavailable) as caught:
            await client.add_note(ticket_id, "<p>More detail</p>", idempotency_key=KEY)
        conversations = [c async for c in client.iter_conversations(ticket_id)]
    assert caught.value.status == 500 and caught.value.request_may_have_succeeded
    assert len(calls(fresh, "POST", f"/tickets/{ticket_id}/notes")) == 1  # never resent blindly
    assert [c.source for c in conversations] == [0]  # only the reply; no note landed


async def test_a_note_without_a_key_is_sent_as_is(fresh: SandboxHandle) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key, backoff=0.01) as client:
        ticket_id = await _ticket(client, "Plain note")
        note = await client.add_note(ticket_id, "<p>Checked the logs</p>")
        assert note.body == "<p>Checked the logs</p>" and note.private is True  # no marker, private by default
        assert calls(fresh, "GET", f"/tickets/{ticket_id}/conversations") == []  # no look-up without a key
        fresh.control("PUT", "/_sandbox/faults", json=DROP_NOTE)
        with pytest.raises(Unavailable) as caught:
            await client.add_note(ticket_id, "<p>Second note</p>")
        notes = [c async for c in client.iter_conversations(ticket_id)]
    assert caught.value.request_may_have_succeeded  # the caller learns the answer was lost
    assert len(calls(fresh, "POST", f"/tickets/{ticket_id}/notes")) == 2  # nothing resent
    assert [n.body for n in notes] == ["<p>Checked the logs</p>", "<p>Second note</p>"]
