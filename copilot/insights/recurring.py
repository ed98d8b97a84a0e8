"""Recurring issues: find groups of tickets that grow against their usual rate and propose a Problem.

Daily (``python -m copilot.insights.recurring daily``) and on demand (``… run``) the job reads the
last ``window`` of tickets from Freshservice (by creation time) and of copilot conversations (the
questions and handover reasons in the audit stream), groups them by meaning (MiniLM + agglomerative
clustering, :mod:`copilot.insights.clustering`), and compares each group with its baseline: the
tickets and conversations of the previous ``baseline`` days that sit as close to the group's centre
as its own members do. A group is flagged when, in some 1-hour window or over the whole recent
period, it has at least ``min_count`` items and that many would be very unlikely at the usual rate
(Poisson tail ≤ ``alpha``, with one pseudo-item of prior so a topic never seen before is not
infinitely surprising) and at least ``growth`` times the expected count.

A flagged group becomes a ``ProblemProposal`` (subject, linked tickets, evidence) in the reviewer
queue and, when ``COPILOT_INSIGHTS_CHAT_WEBHOOK_URL`` is set, a Slack/Teams message. Shadow mode (the
default) stops there: an agent approves (the Problem is created once, audited) or dismisses it. A
group that overlaps a proposal still pending updates that proposal instead of adding another; one that
overlaps a proposal already approved or dismissed is not proposed again.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np
import redis.asyncio as aioredis
from pydantic import BaseModel, Field
from scipy.stats import poisson
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from copilot.insights.clustering import (
    TICKET_DISTANCE,
    Embed,
    central_order,
    centroid,
    cluster_labels,
    default_embed,
    groups,
    normalise,
    tidy,
)
from copilot.insights.problem_proposals import (
    Evidence,
    LinkedTicket,
    ProblemProposal,
    ProblemProposalStore,
    ProblemStatus,
    decide_problem,
    post_to_chat,
)
from tools.context import AuditEvent, AuditSink
from tools.freshservice import FreshserviceClient, FreshserviceError, Ticket

MIN_COUNT = 5  # fewer items than this is never a "recurring issue", however rare the topic
ALPHA = 1e-3  # Poisson tail probability under the usual rate at or below which a window is a burst
GROWTH = 3.0  # and at least this many times the expected count
PEAK_HOURS = 1.0  # the short window (the whole recent period is the long one)
PRIOR_ITEMS = 1.0  # pseudo-items added to the baseline count (a never-seen topic is not infinitely rare)
DESCRIPTION_CHARS = 300
RUN_LOCK = "copilot:insights:recurring:lock"  # an on-demand run: one at a time, a minute apart
RUN_TIMEOUT_SECONDS = 1800  # a crashed run's lock frees itself after this (plus the hold)
DAILY_LOCK = "copilot:insights:recurring:daily"  # the daily loop: once a day across replicas
LAST_RUN = "copilot:insights:recurring:last"
EXTRA_WORDS = frozenset({"hi", "hello", "hey", "thanks", "thank", "regards", "dear", "team", "it", "please", "pls",
                         "thx", "cheers", "best", "kind", "support", "issue", "problem", "help", "just", "today",
                         "morning", "ticket", "cant", "can", "t", "don", "s", "m", "ve", "ll"})


class Item(BaseModel):
    """A ticket or a copilot conversation, as the clustering sees it."""

    source: Literal["ticket", "conversation"]
    key: str  # "ticket:123" or "conversation:<id>"
    text: str
    at: datetime
    ticket: LinkedTicket | None = None
    requester_id: int | None = None
    department_id: int | None = None
    place: str = ""  # the requester's location or the ticket's department, filled in for flagged groups


class Burst(BaseModel):
    """A flagged group: what it is about, the numbers, and its recent members."""

    subject: str
    evidence: Evidence
    items: list[Item] = Field(default_factory=list)

    @property
    def tickets(self) -> list[LinkedTicket]:
        return [i.ticket for i in self.items if i.ticket is not None]


# -- reading tickets and conversations ------------------------------------------------------------------

def ticket_item(ticket: Ticket, base_url: str) -> Item | None:
    if ticket.created_at is None or ticket.deleted or ticket.spam:
        return None
    subject = (ticket.subject or "").strip()
    text = tidy(f"{subject}. {(ticket.description_text or ticket.description or '')[:DESCRIPTION_CHARS]}")
    return Item(source="ticket", key=f"ticket:{ticket.id}", text=text, at=_aware(ticket.created_at),
                requester_id=ticket.requester_id, department_id=ticket.department_id,
                ticket=LinkedTicket(id=ticket.id, subject=subject or f"Ticket {ticket.id}",
                                    url=f"{base_url.rstrip('/')}/a/tickets/{ticket.id}", created_at=_aware(ticket.created_at)))


async def fetch_tickets(client: FreshserviceClient, since: datetime, until: datetime) -> list[Item]:
    """Tickets created in ``[since, until)`` (service requests too: a burst of one request type is news)."""
    items: list[Item] = []
    async for ticket in client.iter_tickets(updated_since=since, order_type="asc"):
        item = ticket_item(ticket, client.base_url)
        if item is not None and since <= item.at < until:
            items.append(item)
    return items


def conversation_items(events: Iterable[AuditEvent | Mapping[str, Any]], since: datetime, until: datetime) -> list[Item]:
    """What employees asked the copilot (knowledge questions, handover reasons) in ``[since, until)``.
    Conversations that created a ticket are left out: the ticket already counts."""
    parsed: list[AuditEvent] = []
    for raw in events:
        try:
            event = raw if isinstance(raw, AuditEvent) else AuditEvent.model_validate(raw)
        except ValueError:
            continue
        if since <= _aware(event.at) < until:
            parsed.append(event)
    ticketed = {e.conversation_id for e in parsed if isinstance(e.result, dict) and e.result.get("ticket_id")}
    items: dict[tuple[str, str], Item] = {}
    for event in parsed:
        if event.conversation_id in ticketed:
            continue
        text = ""
        if event.tool == "search_kb":
            text = str(event.arguments.get("question") or "")
        elif event.tool == "escalate_to_human":
            text = str(event.arguments.get("reason") or "")
        text = tidy(text)
        if len(text) < 3:
            continue
        key = (event.conversation_id, text.lower())
        items.setdefault(key, Item(source="conversation", key=f"conversation:{event.conversation_id}", text=text,
                                   at=_aware(event.at)))
    return list(items.values())


# -- detection --------------------------------------------------------------------------------------------

def peak_window(times: Sequence[datetime], hours: float) -> tuple[int, datetime]:
    """The most items inside any window ``hours`` wide, and where that window starts."""
    ordered = sorted(times)
    width = timedelta(hours=hours)
    best, start, left = 0, ordered[0], 0
    for right, moment in enumerate(ordered):
        while moment - ordered[left] >= width:
            left += 1
        if right - left + 1 > best:
            best, start = right - left + 1, ordered[left]
    return best, start


def keywords(texts: Sequence[str], background: Sequence[str], limit: int = 3) -> list[str]:
    """Words most of the group uses and the rest of the period mostly does not."""
    def words(text: str) -> set[str]:
        return {w for w in re.findall(r"[a-z][a-z0-9]+", text.lower())
                if w not in ENGLISH_STOP_WORDS and w not in EXTRA_WORDS and len(w) > 2}

    inside = Counter(w for text in texts for w in words(text))
    outside = Counter(w for text in background for w in words(text))
    scored = []
    for word, count in inside.items():
        share = count / len(texts)
        if share < 0.35:
            continue
        scored.append((share - outside[word] / max(1, len(background)), word))
    return [word for _, word in sorted(scored, key=lambda s: (-s[0], s[1]))[:limit]]


def detect_bursts(recent: Sequence[Item], baseline: Sequence[Item], *, baseline_days: float, window_hours: float,
                  embed: Embed | None = None, distance: float = TICKET_DISTANCE, min_count: int = MIN_COUNT,
                  alpha: float = ALPHA, growth: float = GROWTH) -> list[Burst]:
    """The groups of ``recent`` items that grow against ``baseline`` (see the module docstring)."""
    if len(recent) < min_count:
        return []
    encode = embed or default_embed
    vectors = normalise(encode([i.text for i in recent]))
    base_vectors = normalise(encode([i.text for i in baseline])) if baseline else np.zeros((0, vectors.shape[1]))
    labels = cluster_labels(vectors, distance)
    background = [i.text for i in baseline] + [i.text for i in recent]
    baseline_hours = baseline_days * 24.0
    bursts: list[Burst] = []
    for grouped in groups(labels):
        rows = _one_per_source(recent, grouped)  # three questions in one conversation are one report
        if len(rows) < min_count:
            continue
        centre = centroid(vectors, rows)
        # the group's own reach: its least typical member's similarity to the centre
        reach = float(min(vectors[list(rows)] @ centre))
        matched = int(np.sum(base_vectors @ centre >= reach)) if len(base_vectors) else 0
        times = [recent[r].at for r in rows]
        flagged: Evidence | None = None
        for hours in sorted({min(PEAK_HOURS, window_hours), window_hours}):
            peak, start = peak_window(times, hours)
            expected = (matched + PRIOR_ITEMS) * hours / baseline_hours
            p_value = float(poisson.sf(peak - 1, expected))
            if peak >= min_count and p_value <= alpha and peak >= growth * expected:
                if flagged is None or p_value < flagged.p_value:
                    flagged = Evidence(peak=peak, window_hours=hours, window_start=start, expected=round(expected, 3),
                                       baseline_items=matched, baseline_days=baseline_days, p_value=p_value)
        if flagged is None:
            continue
        ordered = [recent[r] for r in central_order(vectors, rows)]
        flagged.keywords = keywords([i.text for i in ordered], background)
        flagged.conversations = sum(1 for i in ordered if i.source == "conversation")
        flagged.examples = [(i.ticket.subject if i.ticket else i.text)[:200] for i in ordered[:3]]
        lead = next((i.ticket.subject for i in ordered if i.ticket is not None), ordered[0].text[:120])
        subject = f"Recurring: {lead} ({flagged.peak} similar in {flagged.window_hours:g} h)"
        bursts.append(Burst(subject=subject, evidence=flagged, items=sorted(ordered, key=lambda i: (i.at, i.ticket.id if i.ticket else 0))))
    return bursts


def _one_per_source(items: Sequence[Item], rows: Sequence[int]) -> list[int]:
    seen: set[str] = set()
    kept = []
    for row in rows:
        if items[row].key not in seen:
            seen.add(items[row].key)
            kept.append(row)
    return kept


async def add_places(client: FreshserviceClient, bursts: Sequence[Burst]) -> None:
    """Where each burst's tickets come from: the requester's location, else the ticket's department."""
    locations: dict[int, str] | None = None
    departments: dict[int, str] = {}
    people: dict[int, int | None] = {}
    for burst in bursts:
        places: Counter[str] = Counter()
        for item in burst.items:
            if item.ticket is None:
                continue
            place = ""
            try:
                if item.requester_id is not None:
                    if item.requester_id not in people:
                        people[item.requester_id] = (await client.get_requester(item.requester_id)).location_id
                    if (location_id := people[item.requester_id]) is not None:
                        if locations is None:
                            locations = {loc.id: loc.name async for loc in client.iter_locations()}
                        place = locations.get(location_id, "")
                if not place and item.department_id is not None:
                    if item.department_id not in departments:
                        departments[item.department_id] = (await client.get_department(item.department_id)).name
                    place = departments[item.department_id]
            except FreshserviceError:  # an agent as requester, a deleted department: no place, not an error
                pass
            if place:
                item.place = place
                places[place] += 1
        burst.evidence.places = dict(places.most_common(3))


# -- the job ------------------------------------------------------------------------------------------------

class RecurringReport(BaseModel):
    ran_at: datetime
    recent_items: int
    baseline_items: int
    bursts: list[Burst] = Field(default_factory=list)
    proposals: list[str] = Field(default_factory=list)  # ids of proposals created or updated
    already_decided: list[str] = Field(default_factory=list)  # bursts matching a created or dismissed proposal
    created_problems: list[int] = Field(default_factory=list)  # autonomous mode only


async def run_recurring(client: FreshserviceClient, redis: aioredis.Redis, audit: AuditSink, *,
                        events: Iterable[AuditEvent | Mapping[str, Any]] = (), now: datetime | None = None,
                        window_hours: float = 24.0, baseline_days: float = 28.0,
                        mode: Literal["shadow", "autonomous"] = "shadow", chat_webhook_url: str | None = None,
                        console_url: str = "", embed: Embed | None = None) -> RecurringReport:
    """One pass: read, detect, propose (and in autonomous mode create). Safe to run twice: a burst that
    overlaps a pending proposal updates it; one that overlaps a created or dismissed proposal is left alone."""
    now = _aware(now or datetime.now(UTC))
    recent_start = now - timedelta(hours=window_hours)
    baseline_start = recent_start - timedelta(days=baseline_days)
    tickets = await fetch_tickets(client, baseline_start, now)
    event_list = list(events)
    conversations = conversation_items(event_list, baseline_start, now)
    items = tickets + conversations
    recent = [i for i in items if i.at >= recent_start]
    baseline = [i for i in items if i.at < recent_start]
    bursts = await asyncio.to_thread(detect_bursts, recent, baseline, baseline_days=baseline_days,
                                     window_hours=window_hours, embed=embed)
    await add_places(client, bursts)
    report = RecurringReport(ran_at=now, recent_items=len(recent), baseline_items=len(baseline), bursts=bursts)
    store = ProblemProposalStore(redis)
    known_proposals = await store.recent(limit=500)
    for burst in bursts:
        existing = _matching(known_proposals, burst)
        if existing is not None and existing.status not in (ProblemStatus.PENDING, ProblemStatus.FAILED):
            report.already_decided.append(existing.id)  # created or dismissed: the same issue is not proposed again
            continue
        fresh = existing is None
        proposal = existing or ProblemProposal(id=uuid.uuid4().hex[:16], subject=burst.subject,
                                               evidence=burst.evidence, mode=mode)
        if fresh:
            known_proposals.append(proposal)
        known = {t.id for t in proposal.tickets}
        proposal.tickets += [t for t in burst.tickets if t.id not in known]
        proposal.members = list(dict.fromkeys([*proposal.members, *(i.key for i in burst.items)]))
        proposal.evidence = burst.evidence
        proposal.subject = burst.subject
        await store.save(proposal)
        report.proposals.append(proposal.id)
        await audit.record(AuditEvent(conversation_id=f"insights:{proposal.id}", employee="recurring-issues",
                                      tool="problem_proposal", outcome="proposed",
                                      arguments={"proposal": proposal.id, "new": fresh, "mode": mode,
                                                 "tickets": [t.id for t in proposal.tickets]},
                                      result={"subject": proposal.subject, "peak": burst.evidence.peak,
                                              "expected": burst.evidence.expected}))
        if chat_webhook_url and not proposal.posted_to_chat:
            proposal.posted_to_chat = await post_to_chat(chat_webhook_url, proposal, console_url)
            await store.save(proposal)
        if mode == "autonomous":
            me = await client.get_me()
            outcome = await decide_problem(proposal.id, "approve", reviewer="autonomous", requester_id=me.id,
                                           redis=redis, store=store, client=client, audit=audit,
                                           base_url=client.base_url, now=now)
            if outcome.problem_id is not None:
                report.created_problems.append(outcome.problem_id)
    await redis.set(LAST_RUN, report.model_dump_json(exclude={"bursts"}))
    return report


def _matching(proposals: Sequence[ProblemProposal], burst: Burst) -> ProblemProposal | None:
    """A proposal that shares at least half of the smaller member set (tickets and conversations) with the
    burst: the same issue, seen again."""
    ids = {i.key for i in burst.items}
    for proposal in proposals:
        mine = set(proposal.members) | {f"ticket:{t.id}" for t in proposal.tickets}
        if ids and mine and len(ids & mine) * 2 >= min(len(ids), len(mine)):
            return proposal
    return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- command line ------------------------------------------------------------------------------------------

async def _once(lock: str, hold_seconds: int) -> RecurringReport | None:
    from copilot import store
    from copilot.audit import AuditLog
    from copilot.insights.audit_source import stream_events
    from copilot.services import build_services
    from copilot.settings import get_settings

    settings = get_settings()
    services = build_services(settings)
    redis = await store.get_redis(settings)
    # held while the run lasts (a slow run on a busy machine can take minutes), then for ``hold_seconds``
    # after it ends: "moments ago" counts from the end of the last run, not from its start
    if not await redis.set(lock, "1", nx=True, ex=hold_seconds + RUN_TIMEOUT_SECONDS):
        return None  # another replica ran it within the hold time
    try:
        audit = AuditLog(redis, settings.data_dir / "audit" / "audit.jsonl", secrets=settings.secret_values())
        now = datetime.now(UTC)
        since = now - timedelta(hours=settings.insights_recurring_window_hours,
                                days=settings.insights_recurring_baseline_days)
        webhook = settings.insights_chat_webhook_url
        return await run_recurring(
            services.freshservice, redis, audit, events=await stream_events(redis, since, now), now=now,
            window_hours=settings.insights_recurring_window_hours,
            baseline_days=settings.insights_recurring_baseline_days, mode=settings.insights_recurring_mode,
            chat_webhook_url=webhook.get_secret_value() if webhook else None,
            console_url=f"{settings.portal_base_url}/console/problems")
    finally:
        await redis.expire(lock, hold_seconds)
        await services.freshservice.aclose()


def _summary(report: RecurringReport | None) -> str:
    if report is None:
        return "Skipped: the recurring-issue check already ran (another replica, or moments ago)."
    lines = [f"{report.recent_items} recent tickets and conversations, {report.baseline_items} in the baseline."]
    if not report.bursts:
        lines.append("No group grows against its usual rate.")
    for burst in report.bursts:
        e = burst.evidence
        lines.append(f"- {burst.subject}: {e.peak} within {e.window_hours:g} h (usually {e.expected:.2f}, "
                     f"p={e.p_value:.1e}); words: {', '.join(e.keywords)}")
    if report.proposals:
        lines.append(f"Proposals waiting in the reviewer queue: {', '.join(report.proposals)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m copilot.insights.recurring",
                                     description="Find groups of tickets that grow against their usual rate.")
    parser.add_argument("command", choices=("run", "daily"), nargs="?", default="run",
                        help="run: once now; daily: now and then every 24 hours")
    args = parser.parse_args(argv)
    if args.command == "run":
        sys.stdout.write(_summary(asyncio.run(_once(RUN_LOCK, hold_seconds=60))) + "\n")
        return 0

    async def daily() -> None:
        while True:
            sys.stdout.write(_summary(await _once(DAILY_LOCK, hold_seconds=23 * 3600)) + "\n")
            sys.stdout.flush()
            await asyncio.sleep(24 * 3600)

    asyncio.run(daily())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
