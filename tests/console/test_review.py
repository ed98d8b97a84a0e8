"""Decisions and the console session without the web layer: the lock and status check that make a
decision happen once, the acceptance arithmetic, and the session cookie's token rules."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
import redis.asyncio as aioredis

from copilot.audit import AuditLog
from copilot.triage.proposal import Decision, FieldGuess, ProposalStatus, ProposalStore, RolloutMode
from copilot.triage.review import LOCK_KEY, acceptance, decide, normalise_edits, proposed_values
from copilot.ui.auth import PortalTokenRejected, mint_portal_token, portal_token_claims
from copilot.web.console import mint_session, read_session, rollout_modes, safe_href
from tests.conftest import SandboxHandle
from tests.console.seed import AGENT, KWAME, SPECS, build, seed
from tools.freshservice import Agent, FreshserviceClient

SECRET = "review-test-secret-0123456789-0123456789-abcdef"


@pytest.fixture
async def redis(redis_url: str) -> aioredis.Redis:
    client = aioredis.from_url(redis_url, decode_responses=True)
    async for key in client.scan_iter(match="copilot:triage:*"):
        await client.delete(key)
    yield client
    await client.aclose()


def test_approve_takes_the_top_assignee_when_no_agent_was_proposed() -> None:
    proposal = build(SPECS[0], 1, "http://fs")
    values = proposed_values(proposal)
    assert values["responder_id"] == KWAME and values["category"] == "Hardware" and values["priority"] == 2
    proposal.fields["responder_id"] = FieldGuess(value=21000400009, label="Laura Keller", confidence=0.5)
    assert proposed_values(proposal)["responder_id"] == 21000400009


def test_edits_keep_only_chosen_values_from_the_form() -> None:
    allowed = {"category": {"Hardware", "Network"}, "priority": {"1", "2", "3", "4"}}
    assert normalise_edits({"category": "Network", "priority": "3", "type": " "}, allowed) == \
           {"category": "Network", "priority": 3}
    with pytest.raises(ValueError, match="not one of the choices for category"):
        normalise_edits({"category": "Plumbing"}, allowed)
    with pytest.raises(ValueError, match="not a field the queue can change"):
        normalise_edits({"status": "5"}, allowed)
    with pytest.raises(ValueError, match="must be a number"):
        normalise_edits({"group_id": "Network"})


def test_acceptance_counts_each_field_per_mode() -> None:
    approved, edited, rejected, failed = (build(SPECS[i % 2], i, "http://fs") for i in range(4))
    edited.mode = RolloutMode.AUTONOMOUS
    approved.status = ProposalStatus.APPLIED
    approved.decisions = [Decision(by=AGENT, action="approve", fields=proposed_values(approved))]
    edited.status = ProposalStatus.APPLIED
    edited.decisions = [Decision(by="autonomous", action="auto", fields={"category": "Network"}),
                        Decision(by=AGENT, action="edit", fields={"category": "Network", "priority": 2})]
    rejected.status = ProposalStatus.REJECTED
    rejected.decisions = [Decision(by=AGENT, action="reject")]
    failed.status = ProposalStatus.FAILED  # a write that did not land is nobody's verdict yet
    failed.decisions = [Decision(by=AGENT, action="approve", fields={"category": "Hardware"})]
    figures = {f.mode: f for f in acceptance([approved, edited, rejected, failed])}
    assist, autonomous = figures["assist"], figures["autonomous"]
    assert assist.proposals == 2 and assist.decisions == {"approve": 1, "reject": 1}
    assert (assist.fields["category"].unchanged, assist.fields["category"].rejected) == (1, 1)
    assert assist.fields["category"].acceptance == 0.5
    assert list(assist.fields)[:3] == ["type", "category", "sub_category"]  # the ticket form's order
    vpn = autonomous.fields
    assert (vpn["category"].unchanged, vpn["priority"].edited, vpn["sub_category"].rejected) == (1, 1, 1)


async def test_decide_once_under_concurrency_and_after(redis: aioredis.Redis, fs_client: FreshserviceClient,
                                                       sandbox: SandboxHandle, tmp_path: Path) -> None:
    store = ProposalStore(redis)
    [proposal] = await seed(fs_client, store, sandbox.base_url, SPECS[:1])
    audit = AuditLog(redis, tmp_path / "audit.jsonl")
    sandbox.control("DELETE", "/_sandbox/requests")

    async def approve(by: str) -> str:
        outcome = await decide(proposal.id, "approve", reviewer=by, redis=redis, store=store, client=fs_client,
                               audit=audit)
        return outcome.result

    results = await asyncio.gather(*(approve(f"agent{i}@acme.example") for i in range(5)))
    assert sorted(results) == ["applied"] + ["skipped"] * 4
    again = await decide(proposal.id, "reject", reviewer=AGENT, redis=redis, store=store, client=fs_client, audit=audit)
    assert again.result == "skipped" and "Already decided (applied by agent" in again.message
    puts = [c for c in sandbox.control("GET", "/_sandbox/requests").json()["requests"] if c["method"] == "PUT"]
    assert len(puts) == 1
    assert await redis.get(LOCK_KEY + proposal.id) is None  # the lock is released after each decision
    assert len(tmp_path.joinpath("audit.jsonl").read_text().splitlines()) == 1
    missing = await decide("nope", "approve", reviewer=AGENT, redis=redis, store=store, client=fs_client, audit=audit)
    assert missing.result == "not_found"


async def test_a_held_lock_skips_without_writing(redis: aioredis.Redis, fs_client: FreshserviceClient,
                                                 sandbox: SandboxHandle, tmp_path: Path) -> None:
    store = ProposalStore(redis)
    [proposal] = await seed(fs_client, store, sandbox.base_url, SPECS[1:2])
    await redis.set(LOCK_KEY + proposal.id, "another-replica", ex=60)
    outcome = await decide(proposal.id, "approve", reviewer=AGENT, redis=redis, store=store, client=fs_client,
                           audit=AuditLog(None, tmp_path / "a.jsonl"))
    assert outcome.result == "skipped" and "right now" in outcome.message
    assert await redis.get(LOCK_KEY + proposal.id) == "another-replica"  # not ours to release
    stored = await store.get(proposal.id)
    assert stored is not None and stored.status == ProposalStatus.PENDING


def _agent() -> Agent:
    return Agent(id=21000400006, first_name="Marco", last_name="Bianchi", email=AGENT)


def test_the_console_session_round_trips_and_refuses_anything_else() -> None:
    token = mint_session(SECRET, _agent(), hours=1)
    session = read_session(SECRET, token)
    assert session is not None and session.email == AGENT and session.name == "Marco Bianchi"
    assert len(session.csrf) >= 24 and read_session(SECRET, mint_session(SECRET, _agent(), hours=1)).csrf != session.csrf  # type: ignore[union-attr]
    assert read_session("another-secret-0123456789-0123456789-abcdef", token) is None
    assert read_session(SECRET, token[:-2] + "xx") is None
    expired = jwt.encode({"aud": "copilot-console", "sub": AGENT, "csrf": "c" * 24,
                          "exp": datetime.now(UTC) - timedelta(seconds=5)}, SECRET, algorithm="HS256")
    assert read_session(SECRET, expired) is None
    portal = mint_portal_token(SECRET, AGENT)
    assert read_session(SECRET, portal) is None  # a portal token is not a console session
    with pytest.raises(PortalTokenRejected):  # and a console session is not a portal token
        portal_token_claims(token, SECRET)
    assert read_session(SECRET, None) is None and read_session(SECRET, "x" * 5000) is None


def test_only_http_links_are_links() -> None:
    assert safe_href("https://acme.freshservice.com/a/tickets/6") == "https://acme.freshservice.com/a/tickets/6"
    for bad in ("javascript:alert(1)", "data:text/html,<b>x</b>", "//evil.example/x", "/relative", "", None,
                " JAVASCRIPT:alert(1)", "http:///nohost"):
        assert safe_href(bad) is None


def test_rollout_modes_read_from_the_config_file(tmp_path: Path) -> None:
    from copilot.settings import Settings

    unset = rollout_modes(Settings(triage_modes_file=None))
    assert [(r.scope, r.mode) for r in unset.rules] == [("everything else", "shadow")]
    assert "not set" in unset.source
    good = tmp_path / "modes.json"
    good.write_text('{"default": "assist", "rules": [{"category": "Access", "mode": "autonomous"}]}')
    view = rollout_modes(Settings(triage_modes_file=good))
    assert [(r.scope, r.mode) for r in view.rules] == [("category Access", "autonomous"), ("everything else", "assist")]
    broken = tmp_path / "modes.yaml"
    broken.write_text("rules:\n  - {category: Access, mode: yolo}\n")
    refused = rollout_modes(Settings(triage_modes_file=broken))
    assert refused.rules == [] and "has a problem at 'rules.0.mode'" in refused.note
