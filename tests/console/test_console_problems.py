"""Problem proposals in the reviewer queue over HTTP against the real app, a sandbox and a real Redis:
only agents see them; approving creates one Problem (the agent as requester, audited), a second
approval or a dismissal after it creates nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from copilot.insights.problem_proposals import Evidence, LinkedTicket, ProblemProposal, ProblemProposalStore
from tests.browser.conftest import RunningApp
from tests.console.conftest import hidden, sign_in
from tests.console.seed import AGENT, EMPLOYEE, HOSTILE
from tools.freshservice import FreshserviceClient, TicketCreate


@pytest.fixture
async def problems(redis_url: str) -> AsyncIterator[ProblemProposalStore]:
    client = aioredis.from_url(redis_url, decode_responses=True)
    async for key in client.scan_iter(match="copilot:insights:*"):
        await client.delete(key)
    yield ProblemProposalStore(client)
    await client.aclose()


async def _proposal(fs: FreshserviceClient, store: ProblemProposalStore, subject: str) -> ProblemProposal:
    tickets = []
    for n in range(5):
        ticket = await fs.create_ticket(TicketCreate(subject=f"VPN not connecting {n}", description="<p>GlobalProtect</p>",
                                                     email=EMPLOYEE, status=2, priority=2))
        tickets.append(LinkedTicket(id=ticket.id, subject=ticket.subject or "", url=f"{fs.base_url}/a/tickets/{ticket.id}",
                                    created_at=ticket.created_at or datetime.now(UTC)))
    proposal = ProblemProposal(id=f"p{tickets[0].id}", subject=subject, tickets=tickets, evidence=Evidence(
        keywords=["vpn", "globalprotect"], peak=5, window_hours=1, window_start=tickets[0].created_at, expected=0.03,
        baseline_items=18, baseline_days=28, p_value=1e-9, places={"Manchester": 5}))
    await store.save(proposal)
    return proposal


async def test_an_employee_cannot_see_or_decide_problem_proposals(http: httpx.AsyncClient) -> None:
    assert (await http.get("/console/problems")).status_code == 303  # not signed in: the sign-in page
    assert (await http.get("/console/api/problems")).status_code == 401
    assert (await sign_in(http, EMPLOYEE)).status_code == 403
    assert (await http.post("/console/api/problems/decisions", json={"ids": ["x"], "action": "approve"})).status_code == 401


async def test_an_agent_approves_once_and_the_problem_is_created_and_audited(
        http: httpx.AsyncClient, fs: FreshserviceClient, problems: ProblemProposalStore, console_app: RunningApp,
        redis_url: str) -> None:
    proposal = await _proposal(fs, problems, f"Recurring: VPN not connecting {HOSTILE}")
    assert (await sign_in(http, AGENT)).status_code == 303

    page = await http.get("/console/problems")
    assert page.status_code == 200 and "VPN not connecting" in page.text and "Manchester (5)" in page.text
    assert HOSTILE not in page.text  # subjects are text, never markup
    token = hidden(page.text, "csrf")
    before = [p.id async for p in fs.iter_problems()]

    no_csrf = await http.post("/console/api/problems/decisions", json={"ids": [proposal.id], "action": "approve"})
    first = await http.post("/console/api/problems/decisions", json={"ids": [proposal.id], "action": "approve"},
                            headers={"X-CSRF-Token": token})
    second = await http.post("/console/api/problems/decisions", json={"ids": [proposal.id, proposal.id],
                                                                      "action": "approve"}, headers={"X-CSRF-Token": token})
    form = await http.post("/console/problems/decide", data={"csrf": token, "ids": proposal.id, "action": "dismiss"})

    assert no_csrf.status_code == 403
    assert first.status_code == 200 and first.json()["results"][0]["result"] == "created", first.text
    assert [r["result"] for r in second.json()["results"]] == ["skipped"]
    assert form.status_code == 303 and "skipped=1" in form.headers["location"]
    created = [p async for p in fs.iter_problems() if p.id not in before]
    assert len(created) == 1 and created[0].id == first.json()["results"][0]["problem_id"]
    agent = await fs.find_agent_by_email(AGENT)
    assert agent is not None and created[0].requester_id == agent.id
    for ticket in proposal.tickets:
        assert f"/a/tickets/{ticket.id}" in (created[0].description or "")
    audit = [json.loads(line) for line in (Path(console_app.data_dir) / "audit" / "audit.jsonl").read_text().splitlines()]
    writes = [e for e in audit if e["tool"] == "problem_create" and e["arguments"]["proposal"] == proposal.id]
    assert len(writes) == 1 and writes[0]["employee"] == AGENT and writes[0]["outcome"] == "confirmed"
    after = await http.get("/console/problems")
    assert f"Problem #{created[0].id}" in after.text and "Nothing to review" in after.text
