"""The reviewer queue over HTTP against the real app, a sandbox and a real Redis: who may enter, and
what each decision writes to the ticket (read back from the sandbox)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
import redis.asyncio as aioredis

from copilot.triage.proposal import Decision, FieldGuess, KbLink, ProposalStatus, ProposalStore, RolloutMode
from copilot.ui.auth import mint_portal_token
from tests.browser.conftest import RunningApp
from tests.console.conftest import PROXY_HEADER, PROXY_SECRET, csrf, hidden, puts, sign_in
from tests.console.seed import AGENT, DESKTOP, EMPLOYEE, HANA, KWAME, NETWORK, SPECS, seed
from tools.freshservice import FreshserviceClient

# -- who may enter ------------------------------------------------------------------------------------


async def test_nobody_signed_in_gets_the_sign_in(http: httpx.AsyncClient) -> None:
    page = await http.get("/console")
    assert page.status_code == 303 and page.headers["location"] == "/console/sign-in"
    api = await http.get("/console/api/proposals")
    assert api.status_code == 401 and "Sign in" in api.json()["detail"]["error"]
    sign_in_page = await http.get("/console/sign-in")
    assert sign_in_page.status_code == 200 and 'name="password"' in sign_in_page.text
    assert "script-src 'self'" in sign_in_page.headers["content-security-policy"]
    forged = await http.get("/console", cookies={"copilot_console": "eyJhbGciOiJIUzI1NiJ9.e30.forged"})
    assert forged.status_code == 303


async def test_an_employee_gets_403_and_no_session(http: httpx.AsyncClient, console_app: RunningApp) -> None:
    response = await sign_in(http, EMPLOYEE)
    assert response.status_code == 403
    assert "for IT agents" in response.text and EMPLOYEE in response.text
    assert "copilot_console=" not in response.headers.get("set-cookie", "").replace("copilot_console=\"\"", "")
    assert (await http.get("/console")).status_code == 303  # still not signed in
    token = mint_portal_token(console_app.secret, EMPLOYEE)
    exchanged = await http.post("/console/sign-in/token", headers={"Authorization": f"Bearer {token}"})
    assert exchanged.status_code == 403 and "IT agents" in exchanged.json()["detail"]["error"]
    proxied = await http.get("/console", headers={PROXY_HEADER: EMPLOYEE, "X-Proxy-Secret": PROXY_SECRET})
    assert proxied.status_code == 403 and "for IT agents" in proxied.text


async def test_wrong_password_and_expired_form_are_refused_in_words(http: httpx.AsyncClient) -> None:
    wrong = await sign_in(http, AGENT, password="not-the-password")
    assert wrong.status_code == 303 and wrong.headers["location"].endswith("error=password")
    again = await http.get(wrong.headers["location"])
    assert again.status_code == 401 and "did not match" in again.text
    no_nonce = await http.post("/console/sign-in", data={"email": AGENT, "password": "demo"})
    assert no_nonce.status_code == 303 and no_nonce.headers["location"].endswith("error=expired")


async def test_freshservice_down_at_sign_in_is_said_in_words(http: httpx.AsyncClient,
                                                               console_app: RunningApp) -> None:
    console_app.sandbox.control("PUT", "/_sandbox/faults", json={"ratios": {"500": 1.0}, "path_regex": "/api/v2/agents"})
    try:
        response = await sign_in(http, AGENT)
    finally:
        console_app.sandbox.control("DELETE", "/_sandbox/faults")
    assert response.status_code == 503 and "Freshservice cannot be reached right now" in response.text
    assert "Traceback" not in response.text and (await http.get("/console")).status_code == 303


async def test_an_agent_signs_in_with_the_demo_password(http: httpx.AsyncClient) -> None:
    response = await sign_in(http, AGENT)
    assert response.status_code == 303 and response.headers["location"] == "/console"
    cookie = response.headers["set-cookie"]
    assert "copilot_console=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here; https sets Secure
    page = await http.get("/console")
    assert page.status_code == 200 and "Marco Bianchi" in page.text and "Pending proposals" in page.text
    assert page.headers["cache-control"] == "no-store"
    signed_out = await http.post("/console/sign-out", data={"csrf": hidden(page.text, "csrf")})
    assert signed_out.status_code == 303 and (await http.get("/console")).status_code == 303


async def test_an_agent_signs_in_with_a_portal_token(http: httpx.AsyncClient, console_app: RunningApp) -> None:
    token = mint_portal_token(console_app.secret, AGENT.upper())
    response = await http.post("/console/sign-in/token", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["redirect"] == "/console"
    assert (await http.get("/console")).status_code == 200
    forged = mint_portal_token("another-secret-0123456789-0123456789-abcdef", AGENT)
    refused = await http.post("/console/sign-in/token", headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401 and "not valid" in refused.json()["detail"]["error"]


async def test_an_agent_behind_the_sso_proxy(http: httpx.AsyncClient) -> None:
    headers = {PROXY_HEADER: AGENT, "X-Proxy-Secret": PROXY_SECRET}
    page = await http.get("/console", headers=headers)
    assert page.status_code == 200 and "copilot_console=" in page.headers["set-cookie"]
    assert (await http.get("/console")).status_code == 200  # the session cookie it was given
    http.cookies.clear()
    spoofed = await http.get("/console", headers={PROXY_HEADER: AGENT, "X-Proxy-Secret": "guess"})
    assert spoofed.status_code == 303  # the header counts only with the proxy's secret


# -- the queue and its decisions ------------------------------------------------------------------


async def test_the_queue_shows_the_evidence_escaped(http: httpx.AsyncClient, fs: FreshserviceClient,
                                                    proposals: ProposalStore, console_app: RunningApp) -> None:
    seeded = await seed(fs, proposals, console_app.sandbox.base_url)
    hostile = seeded[3]
    hostile.articles.append(KbLink(title="Reset your token", url="javascript:alert(3)"))
    await proposals.save(hostile)
    await sign_in(http, AGENT)
    page = (await http.get("/console")).text
    for proposal in seeded:
        assert f"#{proposal.ticket_id}" in page
    assert "laptop screen flickers when docked" in page and "Kwame Mensah" in page
    assert "resolved 4 similar tickets (docks, displays)" in page  # assignee reasons
    assert "Rolled back the display driver update" in page  # how a similar ticket was resolved
    assert f"{console_app.sandbox.base_url}/a/tickets/6" in page  # the link's real target is shown
    assert "96%" in page and "auto" in page
    assert "Kann nicht auf S: Laufwerk zugreifen" in page
    assert "<script>alert(2)" not in page and 'src="https://evil.example' not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page and "&lt;img src=" in page
    assert 'href="javascript:' not in page and "javascript:alert(3)" in page  # shown as text, not a link
    data = (await http.get("/console/api/proposals")).json()
    assert [p["ticket_id"] for p in data["proposals"]] == [p.ticket_id for p in seeded]


async def test_approve_writes_the_proposed_fields(http: httpx.AsyncClient, fs: FreshserviceClient,
                                                  proposals: ProposalStore, console_app: RunningApp) -> None:
    laptop = (await seed(fs, proposals, console_app.sandbox.base_url, SPECS[:1]))[0]
    await sign_in(http, AGENT)
    token = await csrf(http)
    console_app.sandbox.control("DELETE", "/_sandbox/requests")
    response = await http.post("/console/decide", data={"csrf": token, "ids": laptop.id, "action": "approve"})
    assert response.status_code == 303 and response.headers["location"] == "/console?applied=1"
    ticket = await fs.get_ticket(laptop.ticket_id)
    assert (ticket.type, ticket.category, ticket.sub_category) == ("Incident", "Hardware", "Laptop")
    assert (ticket.priority, ticket.urgency, ticket.impact) == (2, 2, 1)
    assert (ticket.group_id, ticket.responder_id) == (DESKTOP, KWAME)  # the top suggested assignee
    assert len(puts(console_app.sandbox, laptop.ticket_id)) == 1
    stored = await proposals.get(laptop.id)
    assert stored is not None and stored.status == ProposalStatus.APPLIED
    assert stored.decisions[-1].by == AGENT and stored.decisions[-1].action == "approve"
    page = await http.get(response.headers["location"])
    assert "1 approved and written to Freshservice." in page.text and laptop.id not in page.text
    audit = Path(console_app.data_dir) / "audit" / "audit.jsonl"
    events = [json.loads(line) for line in audit.read_text().splitlines()]
    written = [e for e in events if e["tool"] == "triage_update" and e["arguments"]["ticket_id"] == laptop.ticket_id]
    assert len(written) == 1 and written[0]["employee"] == AGENT and written[0]["outcome"] == "ok"
    assert written[0]["arguments"]["model_version"] == laptop.model_version


async def test_edit_writes_the_edited_values(http: httpx.AsyncClient, fs: FreshserviceClient,
                                             proposals: ProposalStore, console_app: RunningApp) -> None:
    vpn = (await seed(fs, proposals, console_app.sandbox.base_url, SPECS[1:2]))[0]
    await sign_in(http, AGENT)
    token = await csrf(http)
    edits = {"category": "Network", "sub_category": "Wi-Fi", "priority": "2", "group_id": str(NETWORK),
             "responder_id": str(HANA), "type": "", "urgency": ""}
    response = await http.post("/console/api/decisions", headers={"X-CSRF-Token": token},
                               json={"ids": [vpn.id], "action": "edit", "fields": edits})
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert result["result"] == "applied" and result["fields"]["responder_id"] == HANA
    ticket = await fs.get_ticket(vpn.ticket_id)
    assert (ticket.category, ticket.sub_category, ticket.priority) == ("Network", "Wi-Fi", 2)
    assert (ticket.group_id, ticket.responder_id, ticket.type) == (NETWORK, HANA, "Incident")
    stored = await proposals.get(vpn.id)
    assert stored is not None and stored.decisions[-1].action == "edit"
    figures = (await http.get("/console/api/proposals")).json()["figures"]
    [assist] = [f for f in figures if f["mode"] == "assist"]
    assert assist["fields"]["category"] == {"unchanged": 1, "edited": 0, "rejected": 0}
    assert assist["fields"]["sub_category"] == {"unchanged": 0, "edited": 1, "rejected": 0}
    assert assist["fields"]["priority"] == {"unchanged": 0, "edited": 1, "rejected": 0}
    assert assist["fields"]["type"] == {"unchanged": 0, "edited": 0, "rejected": 1}  # left as it is
    bad = await http.post("/console/api/decisions", headers={"X-CSRF-Token": token},
                          json={"ids": [vpn.id], "action": "edit", "fields": {"category": "Plumbing"}})
    assert bad.json()["results"][0]["result"] == "skipped"  # already applied: never written twice


async def test_an_edit_outside_the_form_choices_is_refused(http: httpx.AsyncClient, fs: FreshserviceClient,
                                                           proposals: ProposalStore, console_app: RunningApp) -> None:
    vpn = (await seed(fs, proposals, console_app.sandbox.base_url, SPECS[1:2]))[0]
    await sign_in(http, AGENT)
    token = await csrf(http)
    console_app.sandbox.control("DELETE", "/_sandbox/requests")
    response = await http.post("/console/api/decisions", headers={"X-CSRF-Token": token},
                               json={"ids": [vpn.id], "action": "edit", "fields": {"category": "Plumbing"}})
    [result] = response.json()["results"]
    assert result["result"] == "invalid" and "'Plumbing' is not one of the choices for category" in result["message"]
    assert puts(console_app.sandbox, vpn.ticket_id) == []
    stored = await proposals.get(vpn.id)
    assert stored is not None and stored.status == ProposalStatus.PENDING


async def test_reject_writes_nothing(http: httpx.AsyncClient, fs: FreshserviceClient, proposals: ProposalStore,
                                     console_app: RunningApp) -> None:
    access = (await seed(fs, proposals, console_app.sandbox.base_url, SPECS[2:3]))[0]
    before = await fs.get_ticket(access.ticket_id)
    await sign_in(http, AGENT)
    token = await csrf(http)
    console_app.sandbox.control("DELETE", "/_sandbox/requests")
    response = await http.post("/console/decide", data={"csrf": token, "ids": access.id, "action": "reject"})
    assert response.headers["location"] == "/console?rejected=1"
    assert puts(console_app.sandbox, access.ticket_id) == []
    after = await fs.get_ticket(access.ticket_id)
    assert (after.category, after.group_id, after.responder_id, after.updated_at) == \
           (before.category, before.group_id, before.responder_id, before.updated_at)
    stored = await proposals.get(access.id)
    assert stored is not None and stored.status == ProposalStatus.REJECTED and stored.decisions[-1].by == AGENT


async def test_bulk_approve_and_reject(http: httpx.AsyncClient, fs: FreshserviceClient, proposals: ProposalStore,
                                       console_app: RunningApp) -> None:
    seeded = await seed(fs, proposals, console_app.sandbox.base_url)
    await sign_in(http, AGENT)
    token = await csrf(http)
    approved = await http.post("/console/decide", data={"csrf": token, "ids": [seeded[0].id, seeded[1].id],
                                                         "action": "approve"})
    assert approved.headers["location"] == "/console?applied=2"
    rejected = await http.post("/console/api/decisions", headers={"X-CSRF-Token": token},
                               json={"ids": [seeded[2].id, seeded[3].id], "action": "reject"})
    assert [r["result"] for r in rejected.json()["results"]] == ["rejected", "rejected"]
    assert (await fs.get_ticket(seeded[0].ticket_id)).group_id == DESKTOP
    assert (await fs.get_ticket(seeded[1].ticket_id)).group_id == NETWORK
    assert (await fs.get_ticket(seeded[2].ticket_id)).group_id is None
    assert await proposals.pending() == []
    figures = {f["mode"]: f for f in (await http.get("/console/api/proposals")).json()["figures"]}
    assert figures["assist"]["proposals"] == 4 and figures["assist"]["decisions"] == {"approve": 2, "reject": 2}
    assert figures["assist"]["fields"]["group_id"] == {"unchanged": 2, "edited": 0, "rejected": 2}
    many = await http.post("/console/api/decisions", headers={"X-CSRF-Token": token},
                           json={"ids": [seeded[0].id, seeded[0].id, seeded[2].id], "action": "edit"})
    assert many.status_code == 422 and "one proposal at a time" in many.json()["detail"]["error"]


async def test_a_double_approve_is_one_write(http: httpx.AsyncClient, fs: FreshserviceClient,
                                             proposals: ProposalStore, console_app: RunningApp) -> None:
    laptop = (await seed(fs, proposals, console_app.sandbox.base_url, SPECS[:1]))[0]
    await sign_in(http, AGENT)
    token = await csrf(http)
    console_app.sandbox.control("DELETE", "/_sandbox/requests")

    async def approve() -> str:
        response = await http.post("/console/api/decisions", headers={"X-CSRF-Token": token},
                                   json={"ids": [laptop.id], "action": "approve"})
        return str(response.json()["results"][0]["result"])

    results = await asyncio.gather(approve(), approve(), approve())
    assert sorted(results) == ["applied", "skipped", "skipped"]
    assert await approve() == "skipped"
    assert len(puts(console_app.sandbox, laptop.ticket_id)) == 1
    stored = await proposals.get(laptop.id)
    assert stored is not None and len(stored.decisions) == 1


async def test_a_freshservice_400_leaves_the_proposal_failed_with_the_reason(
        http: httpx.AsyncClient, fs: FreshserviceClient, proposals: ProposalStore, console_app: RunningApp) -> None:
    vpn = (await seed(fs, proposals, console_app.sandbox.base_url, SPECS[1:2]))[0]
    vpn.fields["group_id"] = FieldGuess(value=21000599999, label="Retired group", confidence=0.9)
    await proposals.save(vpn)
    await sign_in(http, AGENT)
    token = await csrf(http)
    response = await http.post("/console/decide", data={"csrf": token, "ids": vpn.id, "action": "approve"})
    assert response.headers["location"] == "/console?failed=1"
    stored = await proposals.get(vpn.id)
    assert stored is not None and stored.status == ProposalStatus.FAILED
    assert stored.error is not None and "There is no group matching the given group_id" in stored.error
    assert (await fs.get_ticket(vpn.ticket_id)).category is None  # one PUT, refused whole
    page = (await http.get(response.headers["location"])).text
    assert "could not be written" in page and "There is no group matching the given group_id" in page
    assert "Retry approve" in page
    retried = await http.post("/console/api/decisions", headers={"X-CSRF-Token": token},
                              json={"ids": [vpn.id], "action": "edit",
                                    "fields": {"category": "Network", "group_id": str(NETWORK)}})
    assert retried.json()["results"][0]["result"] == "applied"
    ticket = await fs.get_ticket(vpn.ticket_id)
    assert (ticket.category, ticket.group_id) == ("Network", NETWORK)


async def test_posts_without_the_csrf_token_are_refused(http: httpx.AsyncClient, fs: FreshserviceClient,
                                                        proposals: ProposalStore, console_app: RunningApp) -> None:
    laptop = (await seed(fs, proposals, console_app.sandbox.base_url, SPECS[:1]))[0]
    await sign_in(http, AGENT)
    await csrf(http)
    console_app.sandbox.control("DELETE", "/_sandbox/requests")
    body = {"ids": [laptop.id], "action": "approve"}
    missing = await http.post("/console/api/decisions", json=body)
    assert missing.status_code == 403 and "security token" in missing.json()["detail"]["error"]
    wrong = await http.post("/console/api/decisions", json=body, headers={"X-CSRF-Token": "x" * 32})
    assert wrong.status_code == 403
    form = await http.post("/console/decide", data={"ids": laptop.id, "action": "approve"})
    assert form.status_code == 403 and "security token" in form.text
    assert puts(console_app.sandbox, laptop.ticket_id) == []
    stored = await proposals.get(laptop.id)
    assert stored is not None and stored.status == ProposalStatus.PENDING


async def test_acceptance_is_counted_per_mode(http: httpx.AsyncClient, fs: FreshserviceClient,
                                              proposals: ProposalStore, redis: aioredis.Redis,
                                              console_app: RunningApp) -> None:
    seeded = await seed(fs, proposals, console_app.sandbox.base_url, SPECS[:2])
    seeded[1].mode = RolloutMode.AUTONOMOUS  # its sure fields were written already; the rest waits for review
    seeded[1].decisions.append(Decision(by="autonomous", action="auto", fields={"category": "Network"}))
    await proposals.save(seeded[1])
    await sign_in(http, AGENT)
    token = await csrf(http)
    before = (await http.get("/console")).text
    card = before[before.index(f'data-proposal="{seeded[1].id}"'):]
    assert card.index("already applied") < card.index("</article>")
    assert f'data-proposal="{seeded[0].id}"' in before and before.count("already applied") == 1
    for proposal, action in ((seeded[0], "approve"), (seeded[1], "reject")):
        await http.post("/console/api/decisions", headers={"X-CSRF-Token": token},
                        json={"ids": [proposal.id], "action": action})
    figures = {f["mode"]: f for f in (await http.get("/console/api/proposals")).json()["figures"]}
    assert figures["assist"]["fields"]["category"] == {"unchanged": 1, "edited": 0, "rejected": 0}
    assert figures["autonomous"]["fields"]["category"] == {"unchanged": 0, "edited": 0, "rejected": 1}
    page = (await http.get("/console")).text
    assert "Mode <strong>autonomous</strong>: 1 decided" in page
    modes = page[page.index('id="modes-title"'):page.index('id="figures-title"')]
    rows = re.findall(r"<tr><td>(.*?)</td><td><span class=\"badge mode-(\w+)\">", modes, flags=re.S)
    assert [(re.sub(r"<br>.*", "", scope, flags=re.S), mode) for scope, mode in rows] == [
        ("type Incident, category Network", "autonomous"), ("category Hardware", "assist"),
        ("everything else", "shadow")]
    assert "may send a confident KB answer to the requester" in modes and "modes.yaml" in modes
    data = (await http.get("/console/api/proposals")).json()
    assert data["modes"]["rules"][0] == {"scope": "type Incident, category Network", "mode": "autonomous",
                                         "detail": "may send a confident KB answer to the requester"}
