"""Real REST conversations (engine, tools, sandbox, Redis) leave the events the insights need, and the
consumer turns them into the right conversation rows — the scripted events in tests/insights/ have the
same shapes as these."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
import redis.asyncio as aioredis
from sqlalchemy import select

from copilot.audit import STREAM_KEY
from copilot.insights import tables
from copilot.insights.consumer import Consumer
from copilot.insights.store import InsightsStore
from copilot.insights.tables import create_tables, make_engine
from tests.conversation.conftest import Chat, Copilot


async def _rows(redis_url: str, tmp_path: Path, ids: list[str]) -> dict[str, dict[str, object]]:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    engine = make_engine(f"sqlite:///{tmp_path / 'history.db'}")
    await create_tables(engine)
    try:
        consumer = Consumer(redis, InsightsStore(engine), clock=lambda: datetime.now(UTC) + timedelta(days=4))
        await consumer.drain()
        async with engine.connect() as connection:
            result = await connection.execute(select(tables.conversations)
                                              .where(tables.conversations.c.conversation_id.in_(ids)))
            return {row["conversation_id"]: dict(row) for row in result.mappings()}
    finally:
        await engine.dispose()
        await redis.aclose()


def test_rest_conversations_become_outcome_rows(copilot: Copilot, redis_url: str, tmp_path: Path) -> None:
    with copilot.client() as http:
        kb = Chat(http)
        kb.say("How do I reset my password?")
        assert http.post(f"/api/v1/conversations/{kb.id}/feedback", json={"helpful": True}).status_code == 204
        request = Chat(http)
        request.say("I need a new laptop")
        person = Chat(http)
        person.say("my printer jams")
        person.press("escalate")
        assert http.post("/api/v1/conversations/nope/feedback", json={"helpful": False}).status_code == 404
    rows = asyncio.run(_rows(redis_url, tmp_path, [kb.id, request.id, person.id]))
    assert rows[kb.id]["intent"] == "knowledge question" and rows[kb.id]["thumbs_up"] == 1
    tier = rows[kb.id]["kb_tier"]
    assert tier in ("confident", "plausible")
    expected = ("resolved", "KB answer with thumbs-up") if tier == "confident" else (
        "likely_resolved", "answer shown, no further question or ticket")
    assert (rows[kb.id]["outcome"], rows[kb.id]["outcome_reason"]) == expected
    assert rows[request.id]["intent"] == "catalog request" and rows[request.id]["request_started"]
    assert rows[request.id]["outcome"] == "not_resolved"
    assert str(rows[request.id]["outcome_reason"]).startswith("request abandoned")
    assert rows[request.id]["dropoff_field"]
    assert (rows[person.id]["outcome"], rows[person.id]["outcome_reason"]) == ("escalated", "employee asked for a person")
    assert rows[person.id]["channel"] == "rest" and rows[person.id]["turns"] == 2


def _feedback_events(redis_url: str, conversation_id: str) -> list[dict[str, object]]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        events = [json.loads(fields["event"]) for _, fields in client.xrange(STREAM_KEY)]
    finally:
        client.close()
    return [e for e in events if e["tool"] == "feedback" and e["conversation_id"] == conversation_id]


def test_a_thumbs_before_any_answer_is_refused_and_not_recorded(copilot: Copilot, redis_url: str) -> None:
    with copilot.client() as http:
        chat = Chat(http)
        early = http.post(f"/api/v1/conversations/{chat.id}/feedback", json={"helpful": False})
        assert early.status_code == 409
        assert "no answer to rate" in early.json()["detail"]["error"]
        assert _feedback_events(redis_url, chat.id) == []
        chat.say("How do I reset my password?")
        assert http.post(f"/api/v1/conversations/{chat.id}/feedback", json={"helpful": True}).status_code == 204
    assert [e["arguments"] for e in _feedback_events(redis_url, chat.id)] == [
        {"value": "up", "turn": 1, "channel": "rest"}]
