"""Append-only audit trail of every tool call and write decision.

Each event goes to a Redis stream (for dashboards and other replicas) and to a JSONL file (for
operators and log shipping). Arguments and results are redacted before they are written, so the
audit trail never holds API keys or tokens.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from copilot.redact import redact
from tools.context import AuditEvent

STREAM_KEY = "copilot:audit"
STREAM_MAXLEN = 100_000

class AuditLog:
    """The audit sink of the tools (``tools.context.AuditSink``): writes each event to the stream and the
    file; a failing sink never loses the other one's copy."""

    def __init__(self, redis: aioredis.Redis | None, path: Path, *, secrets: Iterable[str] = ()) -> None:
        self._redis = redis
        self._path = path
        self._secrets = tuple(secrets)
        self._file_lock = asyncio.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    async def record(self, event: AuditEvent) -> None:
        data = redact(event.model_dump(mode="json"), self._secrets)
        line = json.dumps(data, ensure_ascii=False, default=str)
        async with self._file_lock:
            await asyncio.to_thread(self._append, line)
        if self._redis is not None:
            try:
                await self._redis.xadd(STREAM_KEY, {"event": line}, maxlen=STREAM_MAXLEN, approximate=True)
            except Exception:  # Redis down: the JSONL copy is already written
                pass

    def _append(self, line: str) -> None:
        with self._path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    async def recent(self, count: int = 50) -> list[dict[str, Any]]:
        """The newest events from the stream (newest first)."""
        if self._redis is None:
            return []
        entries = await self._redis.xrevrange(STREAM_KEY, count=count) or []
        return [json.loads(fields["event"]) for _, fields in entries if fields]
