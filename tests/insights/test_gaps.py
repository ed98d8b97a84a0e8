"""Knowledge gaps: declined and thumbed-down questions, grouped by meaning, each with the closest article.

The questions are in ``data/gap_questions_dev.json`` (three topics the Acme KB has no article on,
asked several ways, plus one-off noise). The KB is the sandbox's own (``org``), synced and searched
through the same seam the copilot's tool uses; the audit events come from the real tool code.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from copilot.audit import AuditLog
from copilot.insights import gaps
from copilot.insights.audit_source import file_events
from copilot.insights.gaps import gap_questions, knowledge_gaps, to_csv, to_json
from copilot.knowledge.sync import KnowledgeBase
from copilot.policy import Policy
from tests.conftest import SandboxHandle
from tools.catalog import CatalogDirectory
from tools.context import AuditEvent, ToolContext
from tools.employee import Employee
from tools.freshservice import FreshserviceClient
from tools.knowledge import knowledge_tools, not_helpful
from tools.state import WorkflowState

DEV = json.loads((Path(__file__).parent / "data" / "gap_questions_dev.json").read_text())["questions"]
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def kb_sandbox(sandbox_factory: Callable[..., SandboxHandle]) -> SandboxHandle:
    return sandbox_factory(knowledge="org")


@pytest.fixture(scope="module")
async def kb(kb_sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    knowledge = KnowledgeBase(tmp_path_factory.mktemp("kb"), kb_sandbox.base_url)
    async with FreshserviceClient(kb_sandbox.base_url, kb_sandbox.api_key) as client:
        await knowledge.sync(client)
    return knowledge


@pytest.fixture
async def client(kb_sandbox: SandboxHandle) -> AsyncIterator[FreshserviceClient]:
    async with FreshserviceClient(kb_sandbox.base_url, kb_sandbox.api_key) as fs:
        yield fs


def declined(question: str, n: int, *, tool: str = "search_kb", tier: str = "none",
             at: datetime | None = None, conversation: str | None = None) -> dict[str, Any]:
    """An audit event as ``tools.knowledge.search_kb`` writes it (JSON, as the stream and file hold it)."""
    event = AuditEvent(conversation_id=conversation or f"conv-{n}", employee=f"employee{n % 7}@acme.example",
                       tool=tool, arguments={"question": question},
                       result={"message": "…", "confidence": 0.1, "answer": tier == "confident", "tier": tier,
                               "articles": []}, at=at or START + timedelta(minutes=7 * n))
    return event.model_dump(mode="json")


def thumbs_down(question: str, n: int) -> dict[str, Any]:
    return AuditEvent(conversation_id=f"conv-td-{n}", employee="bob@acme.example", tool="kb_feedback",
                      arguments={"question": question, "value": "down"},
                      result={"article": {"title": "Reset your Acme password", "url": "http://kb/1"}},
                      at=START + timedelta(hours=1, minutes=n)).model_dump(mode="json")


async def test_declined_questions_cluster_by_topic_with_the_closest_article(kb: KnowledgeBase) -> None:
    events = [declined(q["text"], n) for n, q in enumerate(DEV)]
    topic = {q["text"]: q["topic"] for q in DEV}

    clusters = await knowledge_gaps(events, kb, since=START, until=START + timedelta(days=1),
                                    new_article_url="https://acme.freshservice.com/a/solutions/articles/new")

    assert len(clusters) == 3, [c.examples for c in clusters]
    found = []
    for cluster in clusters:
        topics = {topic[q.question] for q in cluster.questions}
        assert len(topics) == 1, f"a cluster mixes topics: {[q.question for q in cluster.questions]}"
        found.append(topics.pop())
        assert cluster.size == len(cluster.questions) >= 5
        assert cluster.size == cluster.conversations == cluster.reasons["declined"]
        assert 1 <= len(cluster.examples) <= 3 and cluster.examples[0] == cluster.label
        assert cluster.closest_article is not None
        assert cluster.closest_article.url.startswith(f"{kb.portal_url}/support/solutions/articles/")
        assert cluster.write_article_url == "https://acme.freshservice.com/a/solutions/articles/new"
        assert cluster.first_seen <= cluster.last_seen
    assert sorted(found) == ["email_signature", "out_of_office", "voicemail_pin"]
    assert [c.size for c in clusters] == sorted((c.size for c in clusters), reverse=True)


async def test_only_unanswered_questions_in_the_period_count_once_per_conversation() -> None:
    events = [
        declined("how do I set an out of office reply", 1),
        declined("How do I set an out of office reply?  ", 2, conversation="conv-1"),  # same conversation again
        declined("how do I reset my password", 3, tier="confident"),  # answered
        declined("add a printer", 4, tier="plausible"),  # links offered: only with include_unsure
        declined("old question", 5, at=START - timedelta(days=2)),  # before the period
        declined("later question", 6, at=START + timedelta(days=3)),  # after it
        thumbs_down("outlook automatic reply while on holiday", 7),
        {"not": "an audit event"},
    ]
    period = {"since": START, "until": START + timedelta(days=1)}

    questions = gap_questions(events, **period)
    with_unsure = gap_questions(events, **period, include_unsure=True)

    assert [(q.question, q.reason) for q in questions] == [
        ("how do I set an out of office reply", "declined"), ("outlook automatic reply while on holiday", "thumbs_down")]
    assert questions[1].article == "http://kb/1"
    assert ("add a printer", "unsure") in [(q.question, q.reason) for q in with_unsure]


async def test_no_knowledge_base_means_no_closest_article_but_still_groups() -> None:
    events = [declined(q["text"], n) for n, q in enumerate(DEV) if q["topic"] == "voicemail_pin"]

    clusters = await knowledge_gaps(events, None, since=START, until=START + timedelta(days=1))

    assert len(clusters) == 1 and clusters[0].size == len(events) and clusters[0].closest_article is None


async def test_the_tool_audits_what_the_gaps_report_needs(kb: KnowledgeBase, client: FreshserviceClient,
                                                        tmp_path: Path) -> None:
    """A declined question and a thumbs-down, through the real knowledge tool, land in the audit with their
    question text; the report reads them back from the JSONL."""
    audit = AuditLog(None, tmp_path / "audit.jsonl")
    ctx = ToolContext(employee=Employee(requester_id=1, email="alice@acme.example", first_name="Alice"),
                      state=WorkflowState(), client=client, catalog=CatalogDirectory(client), gate=Policy(),
                      audit=audit, knowledge=kb)
    search_kb = knowledge_tools(ctx)[0]
    asked = ["my desk phone voicemail pin doesn't work", "how do I reset my voicemail PIN",
             "How do I reset my Acme password?"]
    for question in asked:
        await search_kb(question=question)
    confident = ctx.state.kb_shown is not None
    await not_helpful(ctx, "")  # the next best article
    await not_helpful(ctx, "")  # and that one did not help either

    events = file_events(tmp_path / "audit.jsonl")
    tiers = {e["arguments"]["question"]: e["result"]["tier"] for e in events if e["tool"] == "search_kb"}
    assert {tiers[asked[0]], tiers[asked[1]]} <= {"none", "plausible"}  # declined, or only links offered
    assert confident and tiers[asked[2]] == "confident"
    feedback = [e for e in events if e["tool"] == "kb_feedback"]
    assert len(feedback) == 2 and all(f["arguments"] == {"question": asked[2], "value": "down"} for f in feedback)
    assert feedback[0]["result"]["article"]["url"] != feedback[1]["result"]["article"]["url"]
    now = datetime.now(UTC)
    clusters = await knowledge_gaps(events, kb, since=now - timedelta(hours=1), until=now + timedelta(minutes=1),
                                    min_size=1, include_unsure=True)
    grouped = {tuple(sorted(q.question for q in c.questions)) for c in clusters}
    assert tuple(sorted(asked[:2])) in grouped  # the two voicemail questions are one gap
    assert (asked[2],) in grouped  # the thumbed-down one is its own
    assert sum(c.reasons.get("thumbs_down", 0) for c in clusters) == 1  # one conversation, one question


async def test_exports_hold_every_question_and_are_spreadsheet_safe() -> None:
    texts = ["=HYPERLINK(\"http://evil\") how do I set out of office", "set out of office reply",
             "turn on automatic replies in outlook"]
    events = [declined(t, n) for n, t in enumerate(texts)]
    clusters = await knowledge_gaps(events, None, since=START, until=START + timedelta(days=1), min_size=1)

    rows = list(csv.DictReader(io.StringIO(to_csv(clusters))))
    assert len(rows) == sum(c.size for c in clusters) == 3
    assert {r["question"].lstrip("'") for r in rows} == set(texts)
    assert all(not r["question"].startswith("=") for r in rows)
    exported = json.loads(to_json(clusters))
    assert sum(len(c["questions"]) for c in exported) == 3 and {"label", "size", "examples"} <= set(exported[0])


def test_write_an_article_link_is_the_account_page_unless_configured() -> None:
    assert gaps.new_article_url("https://acme.freshservice.com/") == "https://acme.freshservice.com/a/solutions/articles/new"
    assert gaps.new_article_url("https://acme.freshservice.com", "https://kb.example/new") == "https://kb.example/new"
