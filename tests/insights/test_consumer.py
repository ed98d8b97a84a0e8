"""The consumer over a real Redis stream into real databases: once per event, replay-safe, time-aware."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis.asyncio as aioredis
from sqlalchemy import func, select

from copilot.audit import AuditLog
from copilot.insights import tables
from copilot.insights.consumer import Consumer
from copilot.insights.figures import Assumptions, Range, dashboard
from copilot.insights.store import InsightsStore
from copilot.insights.tables import create_tables, make_engine
from tests.insights.script import T0, Script, triage_events

SPAN = Range(start=T0.date() - timedelta(days=1), end=T0.date() + timedelta(days=6))


def scripted() -> list[Script]:
    return [
        Script("c-resolved").kb("confident").thumbs(True),
        Script("c-likely").kb("confident"),
        Script("c-request").start_request().answer_field(review=True).submit(),
        Script("c-dropped").start_request(field_name="location"),
        Script("c-handover").unclear().handover("button"),
        Script("c-down").kb("plausible").thumbs(False),
        Script("c-night", at=T0.replace(hour=22)).licence(),
        Script("c-hello").chat(),
    ]


async def write_stream(redis: aioredis.Redis, tmp_path: Path, scripts: list[Script]) -> AuditLog:
    audit = AuditLog(redis, tmp_path / "audit.jsonl")
    for script in scripts:
        for event in script.events:
            await audit.record(event)
    for event in [*triage_events("p1", 501, "assist", {"category": "Network", "priority": 3},
                                 ("edit", {"category": "Network", "priority": 2})),
                  *triage_events("p2", 502, "assist", {"category": "Hardware", "priority": 2},
                                 ("reject", {})),
                  *triage_events("p3", 503, "shadow", {"category": "Email"}, None)]:
        await audit.record(event)
    return audit


async def snapshot(store: InsightsStore) -> dict[str, object]:
    board = await dashboard(store.engine, SPAN, Assumptions())
    async with store.engine.connect() as connection:
        counts = {name: await connection.scalar(select(func.count()).select_from(table))
                  for name, table in (("events", tables.events), ("conversations", tables.conversations),
                                      ("triage", tables.triage))}
    return {"counts": counts, "figures": {k: f.text_rows() for k, f in board.figures.items()}, "totals": board.totals}


async def test_each_event_is_stored_once_and_a_replay_changes_nothing(redis: aioredis.Redis, tmp_path: Path,
                                                                      database_url: str) -> None:
    scripts = scripted()
    await write_stream(redis, tmp_path, scripts)
    engine = make_engine(database_url)
    await create_tables(engine)
    try:
        store = InsightsStore(engine)
        consumer = Consumer(redis, store, clock=lambda: T0 + timedelta(days=5), batch=7)  # small batches
        read = await consumer.drain()
        first = await snapshot(store)
        assert read == sum(len(s.events) for s in scripts) + 5
        assert first["counts"] == {"events": read, "conversations": 8, "triage": 3}
        assert await consumer.drain() == 0  # nothing new: nothing read

        assert await consumer.replay() == read  # the whole stream again …
        assert await snapshot(store) == first  # … and every number is the same

        again = Consumer(redis, InsightsStore(engine), clock=lambda: T0 + timedelta(days=5))
        await again.replay()  # another consumer (another replica) reading the same stream
        assert await snapshot(store) == first

        totals = first["totals"]
        assert isinstance(totals, dict)
        assert {k: totals[k] for k in ("resolved", "likely_resolved", "escalated", "not_resolved", "no_outcome")} == {
            "resolved": 3, "likely_resolved": 1, "escalated": 1, "not_resolved": 2, "no_outcome": 1}
        figures = first["figures"]
        assert isinstance(figures, dict)
        assert ["Escalated", "employee asked for a person", "1"] in figures["outcome_reasons"]
        assert ["Laptop", "2", "1", "50.0%"] in figures["requests_started_submitted"]
        assert ["location", "1"] in figures["request_dropoff"]
        assert ["assist", "category", "1", "0", "1", "50.0%"] in figures["triage_acceptance"]
        assert ["assist", "priority", "0", "1", "1", "0.0%"] in figures["triage_acceptance"]
        assert not any(row[0] == "shadow" for row in figures["triage_acceptance"])  # never decided
        assert ["confident", "2", "1", "0", "0"] in figures["kb_tiers"]
        day = [r for r in figures["conversations_per_day"] if r[0] == T0.date().isoformat()][0]
        assert day[1:3] == ["8", "1"]  # c-night started at 22:00 UTC: after hours
    finally:
        await engine.dispose()


async def test_likely_resolved_waits_for_the_window_then_settles(redis: aioredis.Redis, tmp_path: Path,
                                                                 database_url: str) -> None:
    await write_stream(redis, tmp_path, [Script("c-wait").kb("confident")])
    engine = make_engine(database_url)
    await create_tables(engine)
    now = [T0 + timedelta(hours=2)]
    try:
        store = InsightsStore(engine)
        consumer = Consumer(redis, store, clock=lambda: now[0])
        await consumer.drain()
        async with engine.connect() as connection:
            assert await connection.scalar(select(tables.conversations.c.outcome)) == "pending"
        now[0] = T0 + timedelta(hours=73)
        await consumer.housekeeping(None)
        async with engine.connect() as connection:
            assert await connection.scalar(select(tables.conversations.c.outcome)) == "likely_resolved"
    finally:
        await engine.dispose()


async def test_retention_deletes_old_rows(redis: aioredis.Redis, tmp_path: Path, database_url: str) -> None:
    await write_stream(redis, tmp_path, [Script("c-old").kb("confident").thumbs(True)])
    engine = make_engine(database_url)
    await create_tables(engine)
    try:
        store = InsightsStore(engine)
        consumer = Consumer(redis, store, clock=lambda: T0 + timedelta(days=40), retention=timedelta(days=30))
        await consumer.drain()
        async with engine.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(tables.conversations)) == 1
        await consumer.housekeeping(None)
        async with engine.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(tables.conversations)) == 0
            assert await connection.scalar(select(func.count()).select_from(tables.events)) == 0
    finally:
        await engine.dispose()


def test_event_rows_keep_no_free_text() -> None:
    from copilot.insights.events import parse

    row = parse("5-1", {"conversation_id": "c", "employee": "A@acme.example", "tool": "escalate_to_human",
                        "outcome": "escalated", "arguments": {"reason": "Employee reported: my laptop was stolen",
                                                              "trigger": "urgent_word", "urgent": True},
                        "result": {"ticket_id": 9, "again": False}, "at": datetime(2026, 1, 1, tzinfo=UTC).isoformat()})
    assert row.kind == "handover" and row.employee == "a@acme.example"
    assert "stolen" not in json.dumps(row.db(), default=str)
