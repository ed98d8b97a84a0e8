"""Assignee ranking within a group: who resolved similar tickets, workload, availability, skills file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from copilot.triage.assignee import (
    UNAVAILABLE_KEY,
    AssigneeRanker,
    SkillsFileError,
    load_skills,
    set_unavailable,
)
from copilot.triage.history import PastTicket, pull_history
from copilot.triage.similar import SimilarTickets
from tests.conftest import SandboxHandle
from tests.triage.conftest import group_named, resolve_ticket
from tools.freshservice import FreshserviceClient, Group, TicketCreate

TEXT = "Zscaler client shows 'captive portal detected' and blocks every site"
WEEKDAY_NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # a Wednesday, the London desk is open
SUNDAY_NIGHT = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def setting(learn_sandbox: SandboxHandle, history: list[PastTicket],
                  index: SimilarTickets) -> tuple[Group, int, SimilarTickets]:
    """The Network group, one of its members who resolved three Zscaler tickets, and the index."""
    async with FreshserviceClient(learn_sandbox.base_url, learn_sandbox.api_key) as client:
        return await _setting(client, learn_sandbox, history, index)


async def _setting(learn_client: FreshserviceClient, learn_sandbox: SandboxHandle, history: list[PastTicket],
                   index: SimilarTickets) -> tuple[Group, int, SimilarTickets]:
    since = datetime.now(UTC) - timedelta(seconds=2)
    network = await group_named(learn_client, "Network")
    expert = network.members[3]
    for n, fix in enumerate(["Reinstalled the Zscaler client and cleared its captive-portal cache.",
                             "Resolved: the Zscaler PAC file URL was wrong; corrected it in the app profile.",
                             "Fixed by re-enrolling Zscaler Client Connector with the new tenant."]):
        await resolve_ticket(learn_client, f"Zscaler captive portal message ({n})",
                             "Zscaler says captive portal detected and no website loads.", group_id=network.id,
                             responder_id=expert, resolution=fix, category="Network", sub="VPN")
    new = [t async for t in pull_history(learn_client, since=since)]
    return network, expert, SimilarTickets.build(history + new, base_url=learn_sandbox.base_url, previous=index)


async def test_the_agent_who_resolved_similar_tickets_comes_first(setting: tuple[Group, int, SimilarTickets], learn_client: FreshserviceClient) -> None:
    network, expert, index = setting
    ranker = AssigneeRanker(learn_client, index=index)
    similar = index.find(TEXT, 3)
    top = await ranker.rank(network.id, similar, now=WEEKDAY_NOON, text=TEXT)
    assert len(top) == 2 and top[0].agent_id == expert
    assert any(r.startswith("resolved 3 similar tickets") for r in top[0].reasons)
    assert any(r.endswith("open tickets") or r.endswith("open ticket") for r in top[0].reasons)
    assert "on shift" in top[0].reasons
    assert top[0].score > top[1].score
    assert {g.agent_id for g in top} <= set(network.members)
    # without the text, the three similar tickets the proposal shows are the evidence
    assert (await ranker.rank(network.id, similar, now=WEEKDAY_NOON))[0].agent_id == expert


async def test_unavailable_agents_are_never_proposed(setting: tuple[Group, int, SimilarTickets], learn_client: FreshserviceClient, redis_url: str) -> None:
    network, expert, index = setting
    redis = aioredis.Redis.from_url(redis_url)
    try:
        await redis.delete(UNAVAILABLE_KEY)
        ranker = AssigneeRanker(learn_client, index=index, redis=redis)
        await set_unavailable(redis, expert)
        ranked = await ranker.rank(network.id, index.find(TEXT, 3), now=WEEKDAY_NOON, text=TEXT, k=10)
        assert expert not in {g.agent_id for g in ranked} and len(ranked) == len(network.members) - 1
        await set_unavailable(redis, expert, unavailable=False)
        assert (await ranker.rank(network.id, [], now=WEEKDAY_NOON, text=TEXT))[0].agent_id == expert
        agents = {a.id: a async for a in learn_client.iter_agents()}
        configured = AssigneeRanker(learn_client, index=index, unavailable=[agents[expert].email or ""])
        assert expert not in {g.agent_id for g in await configured.rank(network.id, [], now=WEEKDAY_NOON, text=TEXT)}
        for member in network.members:
            await set_unavailable(redis, member)
        assert await ranker.rank(network.id, [], now=WEEKDAY_NOON, text=TEXT) == []
    finally:
        await redis.delete(UNAVAILABLE_KEY)
        await redis.aclose()


async def test_a_busy_expert_gives_way_and_the_reason_says_why(setting: tuple[Group, int, SimilarTickets], learn_client: FreshserviceClient) -> None:
    network, expert, index = setting
    ranker = AssigneeRanker(learn_client, index=index, workload_ttl=0)
    before = await ranker.rank(network.id, [], now=WEEKDAY_NOON, text=TEXT)
    assert before[0].agent_id == expert
    open_before = await ranker.open_tickets(expert)
    assert open_before is not None
    for n in range(12):
        await learn_client.create_ticket(TicketCreate(subject=f"Queue item {n}", description="Open work.", priority=1,
                                                      email="dan.okafor@acme.example", responder_id=expert,
                                                      group_id=network.id))
    after = await ranker.rank(network.id, [], now=WEEKDAY_NOON, text=TEXT, k=len(network.members))
    assert after[0].agent_id != expert
    mine = next(g for g in after if g.agent_id == expert)
    assert f"{open_before + 12} open tickets" in mine.reasons


async def test_off_shift_reason_names_when_the_desk_opens(setting: tuple[Group, int, SimilarTickets], learn_client: FreshserviceClient) -> None:
    network, _, index = setting
    ranker = AssigneeRanker(learn_client, index=index)
    night = await ranker.rank(network.id, [], now=SUNDAY_NIGHT, text=TEXT)
    assert "off shift until 08:00 tomorrow" in night[0].reasons  # Monday 08:00 London
    christmas = await ranker.rank(network.id, [], now=datetime(2026, 12, 25, 12, 0, tzinfo=UTC), text=TEXT)
    assert any(r.startswith("off shift until Mon 28 Dec 08:00") for r in christmas[0].reasons)  # 25th, 26th holidays


async def test_skills_file_keywords_count_and_show(setting: tuple[Group, int, SimilarTickets], learn_client: FreshserviceClient, tmp_path: Path) -> None:
    network, expert, index = setting
    agents = {a.id: a async for a in learn_client.iter_agents()}
    other = next(m for m in network.members if m != expert)
    skills_file = tmp_path / "skills.yaml"
    skills_file.write_text(f"{agents[other].email}: [zscaler, captive portal, pac file]\n", encoding="utf-8")
    ranker = AssigneeRanker(learn_client, index=None, skills=load_skills(skills_file))
    top = await ranker.rank(network.id, [], now=WEEKDAY_NOON, text=TEXT)
    assert top[0].agent_id == other
    assert "skills: zscaler, captive portal" in top[0].reasons


def test_a_broken_skills_file_is_reported_in_plain_words(tmp_path: Path) -> None:
    bad = tmp_path / "skills.yaml"
    bad.write_text("alice@acme.example: [vpn\n", encoding="utf-8")
    with pytest.raises(SkillsFileError, match="is not valid YAML"):
        load_skills(bad)
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(SkillsFileError, match="must map agent emails"):
        load_skills(bad)
    with pytest.raises(SkillsFileError, match="cannot read"):
        load_skills(tmp_path / "missing.json")
    good = tmp_path / "skills.json"
    good.write_text('{"Bob@Acme.example": "vpn, Wi-Fi"}', encoding="utf-8")
    assert load_skills(good) == {"bob@acme.example": ["vpn", "wi-fi"]}




async def test_settings_build_the_ranker_and_an_unreachable_directory_means_no_suggestion(
        setting: tuple[Group, int, SimilarTickets], learn_sandbox: SandboxHandle, tmp_path: Path) -> None:
    from copilot.settings import Settings

    network, expert, index = setting
    async with FreshserviceClient(learn_sandbox.base_url, learn_sandbox.api_key) as client:
        agents = {a.id: a async for a in client.iter_agents()}
        settings = Settings(env="development", triage_unavailable_agents=f" {agents[expert].email.upper()} ,",  # type: ignore[union-attr]
                            triage_workload_ttl_seconds=5)
        ranker = AssigneeRanker.from_settings(settings, client, index=index)
        assert ranker.workload_ttl == 5
        assert expert not in {g.agent_id for g in await ranker.rank(network.id, [], now=WEEKDAY_NOON, text=TEXT)}
        (tmp_path / "bad.yaml").write_text("[unclosed", encoding="utf-8")
        with pytest.raises(SkillsFileError):
            AssigneeRanker.from_settings(Settings(env="development", triage_skills_file=tmp_path / "bad.yaml"), client,
                                         index=index)
    async with FreshserviceClient(learn_sandbox.base_url, "wrong-key") as refused:
        assert await AssigneeRanker(refused, index=index).rank(network.id, [], now=WEEKDAY_NOON, text=TEXT) == []
