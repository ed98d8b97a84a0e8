"""The idempotent consumer: audit stream → analytics tables.

It reads the stream (``copilot:audit``) after its cursor with XREAD, stores each event once (the stream
id is the primary key), recomputes the conversations the batch touched and moves the cursor — one
transaction per batch. Run twice, or by two replicas at once, the tables end up the same. Between
batches it settles conversations whose 72-hour window has passed, pulls Freshservice tickets (MTTR,
follow-up tickets) and deletes what is older than ``COPILOT_INSIGHTS_RETENTION_DAYS``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio as aioredis

from copilot import logs
from copilot.audit import STREAM_KEY
from copilot.insights.events import EventRow, parse
from copilot.insights.store import InsightsStore
from copilot.insights.tickets import sync_tickets
from tools.freshservice import FreshserviceClient, FreshserviceError

log = logs.get_logger(__name__)
BATCH = 500
Clock = Callable[[], datetime]


class Consumer:
    """Copies audit events into ``store``; ``clock`` decides what "72 hours later" means (tests move it)."""

    def __init__(self, redis: aioredis.Redis, store: InsightsStore, *, stream: str = STREAM_KEY,
                 clock: Clock = lambda: datetime.now(UTC), retention: timedelta = timedelta(days=395),
                 batch: int = BATCH) -> None:
        self.redis = redis
        self.store = store
        self.stream = stream
        self.clock = clock
        self.retention = retention
        self.batch = batch

    async def consume_once(self, block_ms: int | None = None) -> int:
        """One batch after the cursor; the number of events read (0: nothing new)."""
        after = await self.store.cursor()
        found: Any = await self.redis.xread({self.stream: after}, count=self.batch, block=block_ms)
        entries: list[Any] = (list(found.values())[0][0] if isinstance(found, dict) else found[0][1]) if found else []
        if not entries:
            return 0
        rows: list[EventRow] = []
        for stream_id, fields in entries:
            sid = stream_id.decode() if isinstance(stream_id, bytes) else str(stream_id)
            raw = fields.get("event") if isinstance(fields, dict) else None
            if raw is None and isinstance(fields, dict):
                raw = fields.get(b"event")
            try:
                event = json.loads(raw) if raw else None
            except ValueError:
                event = None
            if isinstance(event, dict):
                rows.append(parse(sid, event))
        last = entries[-1][0]
        await self.store.ingest(rows, last.decode() if isinstance(last, bytes) else str(last), self.clock())
        return len(entries)

    async def drain(self) -> int:
        """Everything up to the end of the stream; the number of events read."""
        total = 0
        while (read := await self.consume_once()) > 0:
            total += read
        await self.store.settle_pending(self.clock())
        return total

    async def replay(self) -> int:
        """Read the whole stream again from the start (idempotent: the tables end up the same)."""
        await self.store.reset_cursor()
        return await self.drain()

    async def housekeeping(self, client: FreshserviceClient | None) -> None:
        """Settle pending conversations, pull tickets, apply the retention period."""
        now = self.clock()
        await self.store.settle_pending(now)
        if client is not None:
            try:
                await sync_tickets(client, self.store, now)
            except FreshserviceError as error:
                log.warning("insights_ticket_sync_failed", error=type(error).__name__, status=error.status)
        await self.store.prune(now - self.retention)

    async def run_forever(self, *, poll_seconds: float, client: FreshserviceClient | None = None,
                          housekeeping_seconds: float = 900.0,
                          on_batch: Callable[[], Awaitable[None]] | None = None) -> None:
        """Consume until cancelled; housekeeping every ``housekeeping_seconds``. A failing batch is retried."""
        next_housekeeping = 0.0
        while True:
            try:
                if time.monotonic() >= next_housekeeping:
                    await self.housekeeping(client)
                    next_housekeeping = time.monotonic() + housekeeping_seconds
                read = await self.consume_once(block_ms=int(poll_seconds * 1000))
                if read and on_batch is not None:
                    await on_batch()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database or Redis is down: wait and try again, nothing is lost
                log.warning("insights_consume_failed", error=type(error).__name__)
                await asyncio.sleep(poll_seconds)
