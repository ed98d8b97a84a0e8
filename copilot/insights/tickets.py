"""Freshservice tickets for the insights: MTTR of copilot-created tickets vs others, and the 72-hour rule.

Every sync pulls the tickets updated since the last one (``GET /tickets?updated_since=&include=stats,
requester,tags``), keeps id, type, created and resolved time, whether the copilot created it (its
``copilot-<key>`` tag) and the requester's email — not the subject. A new ticket whose subject shares
a topic word with the KB article an employee was shown in the 72 hours before it turns that
conversation from "likely resolved" into "not resolved"; the subject is compared and dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from copilot import logs
from copilot.insights import tables
from copilot.insights.store import InsightsStore, insert_ignoring_duplicates
from tools.freshservice import FreshserviceClient, Ticket

log = logs.get_logger(__name__)
COPILOT_TAG = "copilot-"
FIRST_SYNC_DAYS = 90
WORD = re.compile(r"[a-z0-9]{4,}")
STOPWORDS = frozenset("""about after again also been being cannot could does doing from have help how into just
like make need needs please should some that their them then there these they this want what when where which
while will with without work working would your yours copilot handover request issue problem""".split())


def topic_words(text: str | None) -> set[str]:
    """Content words of a subject or an article title (four letters or more, no filler)."""
    return {w for w in WORD.findall((text or "").lower()) if w not in STOPWORDS}


def _same_topic(words: set[str]) -> Callable[[str | None], bool]:
    return lambda title: bool(words & topic_words(title))


def _stats(ticket: Ticket) -> dict[str, Any]:
    stats = (ticket.model_extra or {}).get("stats")
    return stats if isinstance(stats, dict) else {}


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _requester_email(ticket: Ticket) -> str | None:
    requester = (ticket.model_extra or {}).get("requester")
    if isinstance(requester, dict):
        email = requester.get("email") or requester.get("primary_email")
        return str(email).lower()[:254] if email else None
    return None


async def sync_tickets(client: FreshserviceClient, store: InsightsStore, now: datetime | None = None) -> int:
    """Pull tickets updated since the last sync into ``insights_tickets`` and link new ones to conversations
    they follow up; returns how many tickets were read."""
    now = now or datetime.now(UTC)
    since = _when(await store.cursor("tickets")) if await store.cursor("tickets") != "0-0" else None
    since = since or now - timedelta(days=FIRST_SYNC_DAYS)
    read = 0
    async with store.engine.connect() as connection:
        known = {row[0] for row in await connection.execute(tables.tickets.select().with_only_columns(tables.tickets.c.ticket_id)
                                                            .where(tables.tickets.c.created_at >= since - timedelta(days=30)))}
    new: list[tuple[Ticket, str | None, datetime]] = []
    rows = []
    async for ticket in client.iter_tickets(updated_since=since, include="stats,requester,tags"):
        read += 1
        created = ticket.created_at or now
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        resolved = _when(_stats(ticket).get("resolved_at")) if ticket.status in (4, 5) else None
        email = _requester_email(ticket)
        rows.append({"ticket_id": ticket.id, "type": (ticket.type or "")[:40], "created_at": created,
                     "resolved_at": resolved, "requester_email": email,
                     "via_copilot": any(str(t).startswith(COPILOT_TAG) for t in ticket.tags or [])})
        if ticket.id not in known:
            new.append((ticket, email, created))
    async with store.engine.begin() as connection:
        ids = [r["ticket_id"] for r in rows]
        for start in range(0, len(ids), 400):
            await connection.execute(tables.tickets.delete().where(tables.tickets.c.ticket_id.in_(ids[start:start + 400])))
        await insert_ignoring_duplicates(connection, tables.tickets, rows)
    linked = 0
    for ticket, email, created in new:
        if email is None or now - created > store.window * 2:
            continue
        words = topic_words(ticket.subject)
        if words:
            linked += len(await store.link_followup(email, created, ticket.id, _same_topic(words), now))
    async with store.engine.begin() as connection:
        await store.set_cursor(connection, now.isoformat(), name="tickets")
    log.info("insights_tickets_synced", read=read, new=len(new), followups=linked)
    return read
