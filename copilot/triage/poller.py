"""Poller fallback for accounts without webhooks: ``GET /tickets?updated_since=<cursor>`` onto the same stream.

Each ticket seen becomes the event a webhook would have sent (``ticket_created`` when it was never
updated after creation, else ``ticket_updated``) with the same dedup key (ticket id + event +
updated_at), so running the poller next to webhooks queues nothing twice. The cursor (the newest
``updated_at`` seen, in Freshservice's own clock) lives in Redis; ``updated_since`` is inclusive, so
the boundary ticket comes back each time and is dropped as a duplicate. The first run starts one
interval back, not at the beginning of the account's history.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from copilot import logs
from copilot.triage.queue import IntakeQueue, TicketEvent, normalise_time
from tools.freshservice import FreshserviceClient, FreshserviceError

log = logs.get_logger(__name__)


async def poll_once(client: FreshserviceClient, queue: IntakeQueue, *, since: datetime | None = None,
                    first_window: timedelta = timedelta(minutes=1)) -> int:
    """Queue the tickets updated since the cursor; returns how many new events were queued."""
    cursor = normalise_time(since) if since else await queue.cursor()
    if not cursor:
        cursor = normalise_time(datetime.now(UTC) - first_window)
    start = datetime.fromisoformat(cursor.replace("Z", "+00:00"))
    newest = cursor
    queued = 0
    async for ticket in client.iter_tickets(updated_since=start):
        updated = normalise_time(ticket.updated_at)
        if not updated:
            continue
        event = "ticket_created" if normalise_time(ticket.created_at) == updated else "ticket_updated"
        entry = await queue.enqueue(TicketEvent(event=event, ticket_id=ticket.id, updated_at=updated,
                                                source="poller"))
        queued += entry is not None
        newest = max(newest, updated)
    await queue.set_cursor(newest)
    if queued:
        log.info("triage_poll_queued", queued=queued, cursor=newest)
    return queued


async def poll_forever(client: FreshserviceClient, queue: IntakeQueue, interval_seconds: float,
                       stop: asyncio.Event | None = None) -> None:
    """Poll every ``interval_seconds``; a failed poll is logged and retried next time (the cursor stays)."""
    stop = stop or asyncio.Event()
    first = timedelta(seconds=interval_seconds)
    while not stop.is_set():
        try:
            await poll_once(client, queue, first_window=first)
        except FreshserviceError as error:
            log.warning("triage_poll_failed", error=type(error).__name__, status=error.status)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)

