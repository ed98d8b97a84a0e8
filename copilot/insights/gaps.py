"""Knowledge gaps: the questions the copilot could not answer, grouped by meaning.

Two audit events say a question was not answered by the knowledge base (both written by
``tools/knowledge.py``, with the question as the employee's turn gave it to the tool):

* ``search_kb`` with result tier ``none`` — the copilot declined ("I couldn't find anything…");
  tier ``plausible`` (links offered, no answer) counts too when ``include_unsure`` is set;
* ``kb_feedback`` with value ``down`` — a thumbs-down on an answer it gave.

:func:`knowledge_gaps` groups those questions with MiniLM + average-linkage clustering
(:mod:`copilot.insights.clustering`) and, per group, looks up the closest existing article through
the same search seam the tool uses (``tools.context.KnowledgeSearch``), so an IT lead sees "12 people
asked how to set an out-of-office reply; the nearest article is 'Outlook keeps asking for a password'"
and can write the missing article (a link to the account's new-article page) or export the group.

It reads events and the index only; it writes nothing. ``python -m copilot.insights.gaps`` prints
the report for the last days from the audit JSONL (or exports it as CSV/JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import io
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from copilot.insights.audit_source import file_events, stream_events
from copilot.insights.clustering import (
    GAP_DISTANCE,
    Embed,
    central_order,
    cluster_labels,
    default_embed,
    groups,
    tidy,
)
from tools.context import AuditEvent, KnowledgeSearch

Reason = Literal["declined", "unsure", "thumbs_down"]
MAX_EXAMPLES = 3
MIN_QUESTION_CHARS = 3
NEW_ARTICLE_PATH = "/a/solutions/articles/new"  # the agent portal's "new article" page (a setting overrides it)


class GapQuestion(BaseModel):
    """One question the knowledge base did not answer."""

    question: str
    reason: Reason
    at: datetime
    conversation_id: str
    article: str = ""  # the article a thumbs-down was given on (its URL)


class ClosestArticle(BaseModel):
    title: str
    url: str
    confidence: float  # the index's confidence that this article answers the group's most typical question


class GapCluster(BaseModel):
    """A group of unanswered questions on one topic: what to write next."""

    id: str  # stable for the same most-typical question (sha256 prefix), for links and exports
    label: str  # the most typical question of the group
    size: int  # questions in the group
    conversations: int  # distinct conversations they came from
    reasons: dict[str, int] = Field(default_factory=dict)  # declined / unsure / thumbs_down -> count
    first_seen: datetime
    last_seen: datetime
    examples: list[str] = Field(default_factory=list)  # up to three distinct questions, most typical first
    closest_article: ClosestArticle | None = None
    write_article_url: str = ""  # the account's new-article page
    questions: list[GapQuestion] = Field(default_factory=list)  # every member, for the export


def _event(raw: AuditEvent | Mapping[str, Any]) -> AuditEvent | None:
    if isinstance(raw, AuditEvent):
        return raw
    try:
        return AuditEvent.model_validate(raw)
    except ValidationError:
        return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def gap_questions(events: Iterable[AuditEvent | Mapping[str, Any]], *, since: datetime, until: datetime,
                  include_unsure: bool = False) -> list[GapQuestion]:
    """The unanswered questions among ``events`` in ``[since, until)``; the same question twice in one
    conversation counts once."""
    since, until = _aware(since), _aware(until)
    found: list[GapQuestion] = []
    seen: set[tuple[str, str]] = set()
    for raw in events:
        event = _event(raw)
        if event is None or not since <= _aware(event.at) < until:
            continue
        question = str(event.arguments.get("question") or "").strip()
        result = event.result if isinstance(event.result, dict) else {}
        reason: Reason | None = None
        article = ""
        if event.tool == "search_kb" and event.outcome == "ok":
            tier = result.get("tier")
            reason = "declined" if tier == "none" else "unsure" if tier == "plausible" and include_unsure else None
        elif event.tool == "kb_feedback" and event.arguments.get("value") == "down":
            reason = "thumbs_down"
            article = str((result.get("article") or {}).get("url") or "")
        if reason is None or len(question) < MIN_QUESTION_CHARS:
            continue
        key = (event.conversation_id, _plain(question))
        if key in seen:
            continue
        seen.add(key)
        found.append(GapQuestion(question=question, reason=reason, at=_aware(event.at),
                                 conversation_id=event.conversation_id, article=article))
    return found


def _plain(text: str) -> str:
    """Lower case, no punctuation, single spaces: "How do I…?" and "how do i…" are the same question."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _cluster_id(label: str) -> str:
    return hashlib.sha256(" ".join(label.lower().split()).encode()).hexdigest()[:12]


def _distinct(texts: Sequence[str], limit: int) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for text in texts:
        key = _plain(text)
        if key not in seen:
            seen.add(key)
            out.append(text)
        if len(out) == limit:
            break
    return out


async def knowledge_gaps(events: Iterable[AuditEvent | Mapping[str, Any]], search: KnowledgeSearch | None, *,
                         since: datetime, until: datetime, embed: Embed | None = None,
                         distance: float = GAP_DISTANCE, min_size: int = 2, include_unsure: bool = False,
                         new_article_url: str = "") -> list[GapCluster]:
    """Unanswered questions in ``[since, until)`` grouped by meaning, biggest group first.

    Groups smaller than ``min_size`` (one-off questions) are left out. ``search`` (the KB seam; None or
    not ready: no closest article) is asked once per group with its most typical question. ``embed``
    defaults to the process-wide MiniLM embedder."""
    questions = gap_questions(events, since=since, until=until, include_unsure=include_unsure)
    if not questions:
        return []
    encode = embed or default_embed
    texts = [tidy(q.question) for q in questions]
    vectors: np.ndarray = await asyncio.to_thread(encode, texts)
    labels = cluster_labels(vectors, distance)
    clusters: list[GapCluster] = []
    for rows in groups(labels):
        if len(rows) < max(1, min_size):
            continue
        ordered = central_order(vectors, rows)
        members = [questions[r] for r in ordered]
        label = members[0].question
        reasons: dict[str, int] = {}
        for member in members:
            reasons[member.reason] = reasons.get(member.reason, 0) + 1
        clusters.append(GapCluster(
            id=_cluster_id(label), label=label, size=len(members),
            conversations=len({m.conversation_id for m in members}), reasons=reasons,
            first_seen=min(m.at for m in members), last_seen=max(m.at for m in members),
            examples=_distinct([m.question for m in members], MAX_EXAMPLES),
            closest_article=await _closest(search, label), write_article_url=new_article_url,
            questions=sorted(members, key=lambda m: m.at)))
    return clusters


async def _closest(search: KnowledgeSearch | None, question: str) -> ClosestArticle | None:
    if search is None or not search.ready:
        return None
    found = await search.search(question, k=1)
    if not found.articles:
        return None
    best = found.articles[0]
    return ClosestArticle(title=best.title, url=best.url, confidence=round(float(found.confidence), 3))


# -- exports ------------------------------------------------------------------------------------------

CSV_COLUMNS = ("cluster_id", "cluster_label", "cluster_size", "closest_article", "closest_article_url",
               "question", "reason", "asked_at", "conversation_id")


def to_csv(clusters: Sequence[GapCluster]) -> str:
    """One row per question, with its group's label, size and closest article (for a spreadsheet)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for cluster in clusters:
        article = cluster.closest_article
        for q in cluster.questions:
            writer.writerow([cluster.id, _cell(cluster.label), cluster.size, _cell(article.title) if article else "",
                             article.url if article else "", _cell(q.question), q.reason, q.at.isoformat(),
                             q.conversation_id])
    return buffer.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet must not run a question as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_json(clusters: Sequence[GapCluster]) -> str:
    return json.dumps([c.model_dump(mode="json") for c in clusters], ensure_ascii=False, indent=2)


def new_article_url(freshservice_url: str, configured: str | None = None) -> str:
    """Where "write an article" goes: the configured page, else the account's new-article page."""
    return configured or freshservice_url.rstrip("/") + NEW_ARTICLE_PATH


# -- command line ---------------------------------------------------------------------------------------

def render_text(clusters: Sequence[GapCluster]) -> str:
    if not clusters:
        return "No knowledge gaps: no group of unanswered questions in that period."
    lines = []
    for cluster in clusters:
        article = cluster.closest_article
        lines.append(f"{cluster.size} × “{cluster.label}” ({cluster.conversations} conversations; "
                     + ", ".join(f"{k} {v}" for k, v in sorted(cluster.reasons.items())) + ")")
        lines.extend(f"    - {example}" for example in cluster.examples)
        lines.append(f"    closest article: {article.title} ({article.url})" if article else "    closest article: none")
        lines.append(f"    write an article: {cluster.write_article_url}")
    return "\n".join(lines)


async def _run(args: argparse.Namespace) -> str:
    from copilot import store
    from copilot.services import build_services
    from copilot.settings import get_settings

    settings = get_settings()
    until = datetime.now(UTC)
    since = until - timedelta(days=args.days)
    services = build_services(settings)
    knowledge = services.knowledge
    await knowledge.load()
    await services.freshservice.aclose()
    if args.audit:
        events = file_events(Path(args.audit))
    else:
        events = await stream_events(await store.get_redis(settings), since, until)
    clusters = await knowledge_gaps(events, knowledge, since=since, until=until,
                                    min_size=args.min_size, include_unsure=args.include_unsure,
                                    new_article_url=new_article_url(settings.freshservice_base_url,
                                                                    settings.insights_new_article_url))
    return to_csv(clusters) if args.format == "csv" else to_json(clusters) if args.format == "json" else render_text(clusters)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m copilot.insights.gaps",
                                     description="Group the questions the copilot could not answer, by meaning.")
    parser.add_argument("--days", type=float, default=30.0, help="how far back to look (default 30)")
    parser.add_argument("--audit", help="an audit JSONL file (default: the Redis audit stream)")
    parser.add_argument("--min-size", type=int, default=2, help="smallest group shown (default 2)")
    parser.add_argument("--include-unsure", action="store_true", help="count questions answered only with links")
    parser.add_argument("--format", choices=("text", "csv", "json"), default="text")
    args = parser.parse_args(argv)
    sys.stdout.write(asyncio.run(_run(args)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
