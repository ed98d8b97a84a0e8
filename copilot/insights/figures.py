"""The dashboard's figures as tables (the same rows feed the page, the CSV export, the charts and /metrics).

Every figure is one :class:`Figure` with its columns and rows already formatted, so the CSV of a figure
is exactly the table on the page. Date ranges are inclusive days in UTC.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ColumnElement

from copilot.insights import tables
from copilot.insights.outcomes import OUTCOME_TITLES, OUTCOMES
from copilot.triage.proposal import TRIAGE_FIELDS

Cell = str | int | float | None
MAX_TOP = 12


class Range(BaseModel):
    """Inclusive UTC days."""

    start: date
    end: date

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> Range:
        today = today or datetime.now(UTC).date()
        return cls(start=today - timedelta(days=days - 1), end=today)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(0), UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(0), UTC)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


class Assumptions(BaseModel):
    """Minutes of IT work one conversation of each class saves (settings ``COPILOT_INSIGHTS_MINUTES_*``)."""

    resolved: float = 12.0
    likely_resolved: float = 8.0
    escalated: float = 3.0


class Figure(BaseModel):
    key: str  # the CSV file name and the page anchor
    title: str
    columns: list[str]
    rows: list[list[Cell]] = Field(default_factory=list)
    note: str = ""

    def text_rows(self) -> list[list[str]]:
        """The rows as the page and the CSV show them."""
        return [[cell(v) for v in row] for row in self.rows]


def cell(value: Cell) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _in_range(column: Any, span: Range) -> ColumnElement[bool]:
    return and_(column >= span.since, column < span.until)


def _int(value: Any) -> int:
    return int(value or 0)


class Dashboard(BaseModel):
    span: Range
    figures: dict[str, Figure]
    totals: dict[str, int]  # conversations per outcome class, and "all"


async def _rollup(connection: AsyncConnection, span: Range, figure: str) -> list[Any]:
    """The per-day rollup rows of one figure in the range (``insights_daily``)."""
    d = tables.daily.c
    result = await connection.execute(select(d.day, d.k1, d.k2, d.k3, d.conversations, d.a, d.b, d.c).where(and_(
        d.figure == figure, d.day >= span.start.isoformat(), d.day <= span.end.isoformat())))
    return list(result)


async def volume(connection: AsyncConnection, span: Range) -> tuple[Figure, Figure]:
    by_day: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_hour: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for day, hour, after, _, n, *_ in await _rollup(connection, span, "hour"):
        late = n if after == "1" else 0
        by_day[day][0] += n
        by_day[day][1] += late
        by_hour[int(hour)][0] += n
        by_hour[int(hour)][1] += late
    per_day = Figure(key="conversations_per_day", title="Conversations per day",
                     columns=["day", "conversations", "after hours", "after-hours share"])
    for d in span.days():
        total, late = by_day.get(d.isoformat(), (0, 0))
        per_day.rows.append([d.isoformat(), total, late, pct(late, total)])
    per_hour = Figure(key="conversations_per_hour", title="Conversations per hour of day (UTC)",
                      columns=["hour", "conversations", "after hours"],
                      note="After hours: outside the service desk's default business hours in Freshservice.")
    for hour in range(24):
        total, late = by_hour.get(hour, (0, 0))
        per_hour.rows.append([f"{hour:02d}:00", total, late])
    return per_day, per_hour


async def outcomes(connection: AsyncConnection, span: Range) -> tuple[Figure, Figure, Figure, Figure, dict[str, int]]:
    """Classes per day, class totals, reasons, and the escalation reasons (the escalated class's reasons)."""
    grid: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
    why: dict[tuple[str, str], int] = defaultdict(int)
    for day, outcome, reason, _, n, *_ in await _rollup(connection, span, "outcome"):
        grid[day][outcome] += n
        totals[outcome] = totals.get(outcome, 0) + n
        why[(outcome, reason)] += n
    over_time = Figure(key="outcomes_per_day", title="Outcome classes per day",
                       columns=["day", *[OUTCOME_TITLES[o] for o in OUTCOMES]],
                       note="Each class is counted on its own; they are never added up into one rate.")
    for d in span.days():
        counts = grid.get(d.isoformat(), {})
        over_time.rows.append([d.isoformat(), *[counts.get(o, 0) for o in OUTCOMES]])
    everything = sum(totals.values())
    classes = Figure(key="outcome_classes", title="Outcome classes", columns=["class", "conversations", "share"])
    for o in OUTCOMES:
        classes.rows.append([OUTCOME_TITLES[o], totals[o], pct(totals[o], everything)])
    reasons = Figure(key="outcome_reasons", title="Why each conversation got its class",
                     columns=["class", "reason", "conversations"])
    order: dict[str, int] = {o: i for i, o in enumerate(OUTCOMES)}
    for (outcome, reason), count in sorted(why.items(), key=lambda i: (order.get(i[0][0], 99), -i[1], i[0][1])):
        reasons.rows.append([OUTCOME_TITLES.get(outcome, outcome), reason, count])
    handover = Figure(key="handover_reasons", title="Escalations by reason", columns=["reason", "conversations"])
    handover.rows = [[reason, count] for (outcome, reason), count in
                     sorted(why.items(), key=lambda i: (-i[1], i[0][1])) if outcome == "escalated"]
    return over_time, classes, reasons, handover, {**totals, "all": everything}


async def intents(connection: AsyncConnection, span: Range) -> Figure:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for _, intent, outcome, _, n, *_ in await _rollup(connection, span, "intent"):
        counts[intent][0] += n
        counts[intent][1] += n if outcome == "resolved" else 0
        counts[intent][2] += n if outcome == "escalated" else 0
    figure = Figure(key="top_intents", title="Top intents (what the first question was about)",
                    columns=["intent", "conversations", "resolved", "escalated"])
    top = sorted(counts.items(), key=lambda i: (-i[1][0], i[0]))[:MAX_TOP]
    figure.rows = [[intent, total, resolved, escalated] for intent, (total, resolved, escalated) in top]
    return figure


async def knowledge(connection: AsyncConnection, span: Range) -> Figure:
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for _, tier, _, _, n, up, down, unhelpful in await _rollup(connection, span, "kb"):
        slot = found[tier]
        slot[0] += n
        slot[1] += up
        slot[2] += down
        slot[3] += unhelpful
    figure = Figure(key="kb_tiers", title="Knowledge answers by tier, with thumbs",
                    columns=["tier", "conversations", "thumbs up", "thumbs down", "not helpful (next article)"],
                    note="Tier: the best answer the conversation got — confident (answered), plausible "
                         "(articles suggested), none (declined).")
    for tier in ("confident", "plausible", "none"):
        figure.rows.append([tier, *found.get(tier, [0, 0, 0, 0])])
    return figure


async def requests(connection: AsyncConnection, span: Range) -> tuple[Figure, Figure]:
    items_count: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    dropped: dict[str, int] = defaultdict(int)
    for _, item, dropoff, outcome, n, done, *_ in await _rollup(connection, span, "request"):
        items_count[item][0] += n
        items_count[item][1] += done
        if dropoff and outcome != "escalated":
            dropped[dropoff] += n
    items = Figure(key="requests_started_submitted", title="Catalog requests started vs submitted",
                   columns=["item", "started", "submitted", "submitted share"])
    top = sorted(items_count.items(), key=lambda i: (-i[1][0], i[0]))[:MAX_TOP]
    items.rows = [[item, started, submitted, pct(submitted, started)] for item, (started, submitted) in top]
    dropoff = Figure(key="request_dropoff", title="Where unsubmitted requests stopped (drop-off by field)",
                     columns=["field", "requests"])
    dropoff.rows = [[name, n] for name, n in sorted(dropped.items(), key=lambda i: (-i[1], i[0]))[:MAX_TOP]]
    return items, dropoff


async def triage(connection: AsyncConnection, span: Range) -> Figure:
    t = tables.triage.c
    result = await connection.execute(select(t.mode, t.proposed, t.action, t.decided)
                                      .where(and_(t.action.is_not(None), _in_range(t.decided_at, span))))
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for mode, proposed_raw, action, decided_raw in result:
        proposed, decided = json.loads(proposed_raw or "{}"), json.loads(decided_raw or "{}")
        for name, value in proposed.items():
            slot = counts[(mode, name)]
            if action == "reject" or name not in decided:
                slot[2] += 1
            elif str(decided[name]) == str(value):
                slot[0] += 1
            else:
                slot[1] += 1
    order = {name: i for i, name in enumerate(TRIAGE_FIELDS)}
    figure = Figure(key="triage_acceptance", title="Triage acceptance per field and rollout mode",
                    columns=["mode", "field", "approved unchanged", "edited", "rejected", "acceptance"],
                    note="From reviewer decisions in the range (autonomous writes are not a reviewer's verdict).")
    for (mode, name), (same, edited, rejected) in sorted(counts.items(), key=lambda i: (i[0][0], order.get(i[0][1], 99))):
        figure.rows.append([mode, name, same, edited, rejected, pct(same, same + edited + rejected)])
    return figure


def time_saved(totals: dict[str, int], assumptions: Assumptions) -> Figure:
    figure = Figure(key="time_saved", title="Estimated IT time saved",
                    columns=["class", "conversations", "minutes saved each (assumption)", "hours saved"],
                    note="An estimate: conversations × the minutes an agent would otherwise spend "
                         "(settings COPILOT_INSIGHTS_MINUTES_RESOLVED, _LIKELY_RESOLVED, _ESCALATED). "
                         "Not resolved, too early and nothing-to-measure conversations count zero.")
    total = 0.0
    for key, minutes in (("resolved", assumptions.resolved), ("likely_resolved", assumptions.likely_resolved),
                         ("escalated", assumptions.escalated)):
        hours = totals.get(key, 0) * minutes / 60
        total += hours
        figure.rows.append([OUTCOME_TITLES[key], totals.get(key, 0), minutes, round(hours, 1)])
    figure.rows.append(["total", sum(totals.get(k, 0) for k in ("resolved", "likely_resolved", "escalated")), None,
                        round(total, 1)])
    return figure


async def mttr(connection: AsyncConnection, span: Range) -> Figure:
    t = tables.tickets.c
    result = await connection.execute(select(t.via_copilot, t.created_at, t.resolved_at)
                                      .where(and_(_in_range(t.created_at, span), t.resolved_at.is_not(None))))
    hours: dict[bool, list[float]] = {True: [], False: []}
    for via, created, resolved in result:
        if created.tzinfo is None:
            created, resolved = created.replace(tzinfo=UTC), resolved.replace(tzinfo=UTC)
        hours[bool(via)].append(max(0.0, (resolved - created).total_seconds() / 3600))
    figure = Figure(key="mttr", title="Mean time to resolve: tickets the copilot created vs the rest",
                    columns=["tickets", "resolved in range", "mean hours", "median hours"],
                    note="From Freshservice (created in the range and resolved); the copilot's tickets carry "
                         "its copilot-<key> tag.")
    for label, via in (("created by the copilot", True), ("all other tickets", False)):
        found = hours[via]
        figure.rows.append([label, len(found), round(statistics.fmean(found), 1) if found else None,
                            round(statistics.median(found), 1) if found else None])
    return figure


async def dashboard(engine: AsyncEngine, span: Range, assumptions: Assumptions) -> Dashboard:
    """Every figure of the page for ``span`` (one connection, one query per figure)."""
    async with engine.connect() as connection:
        per_day, per_hour = await volume(connection, span)
        over_time, classes, reasons, reasons_handover, totals = await outcomes(connection, span)
        top = await intents(connection, span)
        kb = await knowledge(connection, span)
        items, dropoff = await requests(connection, span)
        accepted = await triage(connection, span)
        times = await mttr(connection, span)
    saved = time_saved(totals, assumptions)
    order = [classes, reasons, over_time, per_day, per_hour, top, kb, reasons_handover, items, dropoff, accepted,
             saved, times]
    return Dashboard(span=span, figures={f.key: f for f in order}, totals=totals)
