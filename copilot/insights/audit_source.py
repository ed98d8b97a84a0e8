"""Audit events of a period, from the Redis stream every replica writes to, or from a JSONL copy.

Stream entry ids start with their time in milliseconds, so a period is one ``XRANGE`` (paged); the
stream keeps the newest ``copilot.audit.STREAM_MAXLEN`` events, the JSONL files keep everything.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from copilot.audit import STREAM_KEY

PAGE = 1000


async def stream_events(redis: aioredis.Redis, since: datetime, until: datetime, *,
                        key: str = STREAM_KEY) -> list[dict[str, Any]]:
    """Events written to the audit stream in ``[since, until)``, oldest first."""
    start: str = str(int(since.timestamp() * 1000))
    end = str(int(until.timestamp() * 1000) - 1)
    events: list[dict[str, Any]] = []
    while True:
        entries = await redis.xrange(key, min=start, max=end, count=PAGE) or []
        for _, fields in entries:
            raw = (fields or {}).get("event") or (fields or {}).get(b"event")
            if raw:
                try:
                    value = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    events.append(value)
        if len(entries) < PAGE:
            return events
        last = entries[-1][0]
        start = "(" + (last.decode() if isinstance(last, bytes) else str(last))


def file_events(path: Path) -> list[dict[str, Any]]:
    """Events from an audit JSONL file (lines that are not JSON objects are skipped)."""
    events: list[dict[str, Any]] = []
    if not path.exists():
        return events
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                events.append(value)
    return events
