"""The audit trail: append-only JSONL plus a Redis stream, secrets redacted in both."""

from __future__ import annotations

import json
from pathlib import Path

import redis.asyncio as aioredis

from copilot.audit import STREAM_KEY, AuditLog
from tools.context import AuditEvent


async def test_events_reach_file_and_stream_redacted(tmp_path: Path, redis_url: str) -> None:
    redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    await redis.delete(STREAM_KEY)
    log = AuditLog(redis, tmp_path / "audit.jsonl", secrets=["fs-key-abcdef"])
    await log.record(AuditEvent(conversation_id="c1", employee="alice@acme.example", tool="create_incident",
                                arguments={"summary": "VPN", "api_key": "fs-key-abcdef"}, outcome="proposed"))
    await log.record(AuditEvent(conversation_id="c1", employee="alice@acme.example", tool="search_kb",
                                arguments={"question": "key fs-key-abcdef leaked?"}, latency_ms=3.2))
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["arguments"]["api_key"] == "***" and first["outcome"] == "proposed"
    assert "fs-key-abcdef" not in "".join(lines)
    recent = await log.recent()
    assert [e["tool"] for e in recent] == ["search_kb", "create_incident"]
    assert "fs-key-abcdef" not in json.dumps(recent)
    await redis.aclose()


async def test_file_copy_survives_redis_outage(tmp_path: Path) -> None:
    dead = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    log = AuditLog(dead, tmp_path / "a.jsonl")
    await log.record(AuditEvent(conversation_id="c", employee="e@x", tool="t"))
    assert len((tmp_path / "a.jsonl").read_text().splitlines()) == 1
    await dead.aclose()
