"""Reads and writes of the analytics tables: events in once, conversations recomputed, cursor kept."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from copilot.insights import tables
from copilot.insights.events import EventRow, stream_order
from copilot.insights.outcomes import Facts, classify, summarise

OpenAt = Callable[[datetime], bool]  # whether the service desk is open at a moment (after-hours share)
CHUNK = 400  # ids per IN (...) query: well under SQLite's and asyncpg's parameter limits


def default_open(at: datetime) -> bool:
    """Office hours when Freshservice has none configured: Monday to Friday, 08:00–18:00 UTC."""
    at = at.astimezone(UTC)
    return at.weekday() < 5 and 8 <= at.hour < 18


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without their zone; they were written in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


async def insert_ignoring_duplicates(connection: AsyncConnection, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL (the replay-safe write)."""
    if not rows:
        return
    from sqlalchemy.dialects import postgresql, sqlite

    statement: Any = (postgresql.insert(table) if connection.dialect.name == "postgresql" else sqlite.insert(table))
    await connection.execute(statement.on_conflict_do_nothing(), rows)


def _rollup_row(rows: list[dict[str, Any]], day: str, figure: str, k1: Any, k2: Any = "", k3: Any = "", n: Any = 0,
                a: Any = 0, b: Any = 0, cc: Any = 0) -> None:
    rows.append({"day": day, "figure": figure, "k1": str(k1 if k1 is not None else "")[:120],
                 "k2": str(k2 if k2 is not None else "")[:120], "k3": str(k3)[:80], "conversations": int(n or 0),
                 "a": int(a or 0), "b": int(b or 0), "c": int(cc or 0)})


async def rebuild_days(connection: AsyncConnection, days: Iterable[date]) -> None:
    """Recompute the per-day rollups (``insights_daily``) of these days from ``insights_conversations``: the
    dashboard reads a few hundred rollup rows instead of scanning every conversation."""
    c = tables.conversations.c
    for day in sorted(set(days)):
        since = datetime.combine(day, datetime.min.time(), UTC)
        on_day = and_(c.started_at >= since, c.started_at < since + timedelta(days=1))
        key = day.isoformat()
        await connection.execute(delete(tables.daily).where(tables.daily.c.day == key))
        rows: list[dict[str, Any]] = []
        add = functools.partial(_rollup_row, rows, key)

        for hour, after, n in await connection.execute(
                select(c.hour, c.after_hours, func.count()).where(on_day).group_by(c.hour, c.after_hours)):
            add("hour", f"{int(hour):02d}", "1" if after else "0", n=n)
        for outcome, reason, n in await connection.execute(
                select(c.outcome, c.outcome_reason, func.count()).where(on_day).group_by(c.outcome, c.outcome_reason)):
            add("outcome", outcome, reason, n=n)
        for intent, outcome, n in await connection.execute(
                select(c.intent, c.outcome, func.count()).where(on_day).group_by(c.intent, c.outcome)):
            add("intent", intent, outcome, n=n)
        for tier, n, up, down, unhelpful in await connection.execute(
                select(c.kb_tier, func.count(), func.sum(c.thumbs_up), func.sum(c.thumbs_down), func.sum(c.not_helpful))
                .where(and_(on_day, c.kb_tier.is_not(None))).group_by(c.kb_tier)):
            add("kb", tier, n=n, a=up, b=down, cc=unhelpful)
        submitted = func.sum(case((c.request_submitted.is_(True), 1), else_=0))
        for item, dropoff, outcome, n, done in await connection.execute(
                select(c.request_item, c.dropoff_field, c.outcome, func.count(), submitted)
                .where(and_(on_day, c.request_started.is_(True))).group_by(c.request_item, c.dropoff_field, c.outcome)):
            add("request", item or "(unknown)", dropoff or "", outcome, n=n, a=done)
        if rows:
            await connection.execute(insert(tables.daily), rows)


class InsightsStore:
    """The analytics tables of one database."""

    def __init__(self, engine: AsyncEngine, *, window: timedelta = timedelta(hours=72),
                 is_open: OpenAt = default_open) -> None:
        self.engine = engine
        self.window = window
        self.is_open = is_open

    # -- the cursor -----------------------------------------------------------------------------------

    async def cursor(self, name: str = "audit") -> str:
        async with self.engine.connect() as connection:
            value = await connection.scalar(select(tables.cursor.c.value).where(tables.cursor.c.name == name))
        return str(value) if value else "0-0"

    async def set_cursor(self, connection: AsyncConnection, value: str, name: str = "audit") -> None:
        done = await connection.execute(update(tables.cursor).where(tables.cursor.c.name == name)
                                        .values(value=value, updated=time.time()))
        if not done.rowcount:
            await connection.execute(insert(tables.cursor).values(name=name, value=value, updated=time.time()))

    async def reset_cursor(self, name: str = "audit") -> None:
        async with self.engine.begin() as connection:
            await connection.execute(delete(tables.cursor).where(tables.cursor.c.name == name))

    # -- events in --------------------------------------------------------------------------------------

    async def ingest(self, rows: Sequence[EventRow], last_id: str, now: datetime) -> None:
        """Store ``rows`` (duplicates ignored), recompute what they touch, move the cursor to ``last_id`` —
        in one transaction, so a crash in between leaves the cursor before these events."""
        async with self.engine.begin() as connection:
            await insert_ignoring_duplicates(connection, tables.events, [r.db() for r in rows])
            touched = sorted({r.conversation_id for r in rows})
            await self._recompute(connection, [c for c in touched if not c.startswith("triage:")], now)
            await self._recompute_triage(connection, [c for c in touched if c.startswith("triage:")])
            await self.set_cursor(connection, last_id)

    async def _events_of(self, connection: AsyncConnection, ids: Sequence[str]) -> dict[str, list[EventRow]]:
        found: dict[str, list[EventRow]] = {i: [] for i in ids}
        for part in _chunks(ids):
            result = await connection.execute(select(tables.events).where(tables.events.c.conversation_id.in_(part)))
            for row in result.mappings():
                found[row["conversation_id"]].append(EventRow(
                    stream_id=row["stream_id"], at=_aware(row["at"]), conversation_id=row["conversation_id"],
                    employee=row["employee"], kind=row["kind"], name=row["name"], outcome=row["outcome"],
                    detail=json.loads(row["detail"] or "{}")))
        for rows in found.values():
            rows.sort(key=lambda r: stream_order(r.stream_id))
        return found

    async def _followups(self, connection: AsyncConnection, ids: Sequence[str]) -> dict[str, int | None]:
        """Follow-up tickets already linked to these conversations (kept across recomputations)."""
        linked: dict[str, int | None] = {}
        for part in _chunks(ids):
            result = await connection.execute(select(tables.conversations.c.conversation_id,
                                                     tables.conversations.c.followup_ticket)
                                              .where(tables.conversations.c.conversation_id.in_(part)))
            linked.update({row[0]: row[1] for row in result})
        return linked

    def _row(self, facts: Facts, now: datetime) -> dict[str, Any]:
        outcome, reason = classify(facts, now, window=self.window)
        return {"conversation_id": facts.conversation_id, "employee": facts.employee, "started_at": facts.started_at,
                "last_at": facts.last_at, "hour": facts.started_at.astimezone(UTC).hour,
                "after_hours": not self.is_open(facts.started_at), "channel": facts.channel[:16], "turns": facts.turns,
                "intent": facts.intent, "kb_tier": facts.kb_tier, "kb_article": facts.kb_article,
                "thumbs_up": facts.thumbs_up, "thumbs_down": facts.thumbs_down, "not_helpful": facts.not_helpful,
                "request_started": facts.request_started, "request_item": facts.request_item,
                "request_submitted": facts.request_submitted, "dropoff_field": facts.dropoff_field,
                "handover_reason": facts.handover_reason, "incident": facts.incident, "answer_at": facts.answer_at,
                "followup_ticket": facts.followup_ticket, "outcome": outcome, "outcome_reason": reason}

    async def _recompute(self, connection: AsyncConnection, ids: Sequence[str], now: datetime) -> None:
        if not ids:
            return
        events = await self._events_of(connection, ids)
        linked = await self._followups(connection, ids)
        rows = []
        for conversation_id, found in events.items():
            facts = summarise(found)
            if facts is None:
                continue
            facts.followup_ticket = linked.get(conversation_id)
            rows.append(self._row(facts, now))
        days = {r["started_at"].astimezone(UTC).date() for r in rows}
        for part in _chunks(list(ids)):
            before = await connection.execute(select(tables.conversations.c.started_at)
                                              .where(tables.conversations.c.conversation_id.in_(part)))
            days |= {_aware(row[0]).astimezone(UTC).date() for row in before if row[0] is not None}  # type: ignore[union-attr]
            await connection.execute(delete(tables.conversations).where(tables.conversations.c.conversation_id.in_(part)))
        if rows:
            await connection.execute(insert(tables.conversations), rows)
        await rebuild_days(connection, days)

    async def recompute(self, ids: Sequence[str], now: datetime) -> None:
        async with self.engine.begin() as connection:
            await self._recompute(connection, ids, now)

    async def _recompute_triage(self, connection: AsyncConnection, ids: Sequence[str]) -> None:
        if not ids:
            return
        events = await self._events_of(connection, ids)
        rows = []
        for conversation_id, found in events.items():
            proposal = next((r for r in found if r.kind == "triage_proposal"), None)
            decisions = [r for r in found if r.kind == "triage_decision" and r.detail.get("action") != "auto"
                         and r.detail.get("status") in ("applied", "rejected") and r.outcome == "ok"]
            if proposal is None and not decisions:
                continue
            last = decisions[-1] if decisions else None
            source = proposal or last
            assert source is not None
            proposed = (proposal.detail.get("proposed") if proposal else None) or (last.detail.get("proposed") if last else {})
            rows.append({"proposal_id": conversation_id.removeprefix("triage:")[:200],
                         "ticket_id": source.detail.get("ticket_id"), "mode": str(source.detail.get("mode") or "shadow"),
                         "proposed_at": proposal.at if proposal else None, "proposed": json.dumps(proposed or {}),
                         "decided_at": last.at if last else None, "action": last.detail.get("action") if last else None,
                         "decided": json.dumps(last.detail.get("fields") or {}) if last else "{}"})
        names = [c.removeprefix("triage:")[:200] for c in ids]
        for part in _chunks(names):
            await connection.execute(delete(tables.triage).where(tables.triage.c.proposal_id.in_(part)))
        if rows:
            await connection.execute(insert(tables.triage), rows)

    # -- time passes --------------------------------------------------------------------------------------

    async def settle_pending(self, now: datetime) -> int:
        """Reclassify conversations whose 72-hour window has passed (``pending`` → ``likely_resolved``)."""
        cutoff = now - self.window
        async with self.engine.begin() as connection:
            result = await connection.execute(select(tables.conversations.c.conversation_id).where(and_(
                tables.conversations.c.outcome == "pending", tables.conversations.c.answer_at <= cutoff)))
            ids = [row[0] for row in result]
            await self._recompute(connection, ids, now)
        return len(ids)

    async def link_followup(self, employee: str, created_at: datetime, ticket_id: int,
                            on_topic: Callable[[str | None], bool], now: datetime) -> list[str]:
        """Mark the employee's conversations answered within the window before ``created_at`` whose topic the
        ticket matches (``on_topic(kb_article)``) as followed by ``ticket_id``; return their ids."""
        c = tables.conversations.c
        async with self.engine.begin() as connection:
            result = await connection.execute(select(c.conversation_id, c.kb_article).where(and_(
                c.employee == employee.lower(), c.answer_at >= created_at - self.window, c.answer_at <= created_at,
                c.followup_ticket.is_(None))))
            ids = [row[0] for row in result if on_topic(row[1])]
            if ids:
                await connection.execute(update(tables.conversations).where(c.conversation_id.in_(ids))
                                         .values(followup_ticket=ticket_id))
                await self._recompute(connection, ids, now)
        return ids

    async def prune(self, before: datetime) -> int:
        """Delete what is older than the retention period (events, conversations, triage rows, tickets)."""
        async with self.engine.begin() as connection:
            gone = (await connection.execute(delete(tables.events).where(tables.events.c.at < before))).rowcount or 0
            await connection.execute(delete(tables.conversations).where(tables.conversations.c.last_at < before))
            await connection.execute(delete(tables.daily).where(tables.daily.c.day < before.date().isoformat()))
            await connection.execute(delete(tables.triage).where(func.coalesce(
                tables.triage.c.decided_at, tables.triage.c.proposed_at) < before))
            await connection.execute(delete(tables.tickets).where(tables.tickets.c.created_at < before))
        return int(gone)
