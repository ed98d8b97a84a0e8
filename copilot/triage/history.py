"""The account's resolved and closed tickets, pulled incrementally, with how each was resolved.

Triage learns from history: field models from the fields agents finally set, the similar-tickets
index from subjects and resolutions, the assignee ranker from who resolved what. Pulling history is
background work: it goes through a background client (``copilot.rate_budget.background_client``), which
steps aside while the account-wide budget runs low, so employees' turns keep it.

A pull lists ``GET /tickets?updated_since=<cursor>&include=stats`` (the list is not ordered by
``updated_at``, so the whole window is read) and reads the conversations only of resolved/closed
tickets that are new or changed since the local store saw them. The store (SQLite in the data
directory) keeps every pulled ticket and the cursor, so the next run only pulls what changed.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from copilot import logs
from copilot.knowledge.text import html_to_text
from tools.freshservice import Conversation, FreshserviceClient, Ticket

log = logs.get_logger(__name__)

RESOLVED_STATUSES = frozenset({4, 5})
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
MAX_RESOLUTION_CHARS = 1200
STATUS_SOURCE, META_SOURCE = 3, 4  # conversation sources that are not people writing (reference §7)
# Words an agent uses when saying what fixed it; a private note needs one of them to count as a resolution.
RESOLUTION_CUES = re.compile(
    r"\b(resolved|resolution|fixed|the fix was|fix(?=\s*:)|solved|solution|root cause|caused by|cause was|workaround|"
    r"replaced|reinstall(?:ed)?|re-?enrolled|reset|restarted|rebooted|cleared|granted|unlocked|updated|upgraded|"
    r"reconfigured|re-?added|removed|renewed|assigned (?:a|the) licen[cs]e|closing|works now|working again)\b", re.I)
# The copilot's own notes (triage proposal, idempotency marker) are never a resolution.
OWN_NOTE = re.compile(r"\bRef copilot-[0-9a-f]{16}\b|\bcopilot triage\b|data-copilot", re.I)


class PastTicket(BaseModel):
    """One resolved or closed ticket as triage learns from it."""

    ticket_id: int
    subject: str = ""
    description_text: str = ""
    type: str | None = None
    category: str | None = None
    sub_category: str | None = None
    item_category: str | None = None
    priority: int | None = None
    urgency: int | None = None
    impact: int | None = None
    group_id: int | None = None
    responder_id: int | None = None
    status: int = 4
    resolution: str = ""
    created_at: datetime | None = None
    resolved_at: datetime | None = None
    updated_at: datetime

    @property
    def text(self) -> str:
        """What a model reads: the subject and the description, as a new ticket would show them."""
        return f"{self.subject}\n{self.description_text}".strip()

    def labels(self) -> dict[str, str | None]:
        """The Freshservice field values triage learns, as strings (None = not set on this ticket)."""
        values: dict[str, Any] = {"type": self.type, "category": self.category, "sub_category": self.sub_category,
                                  "item_category": self.item_category, "priority": self.priority,
                                  "urgency": self.urgency, "impact": self.impact, "group_id": self.group_id}
        return {k: None if v in (None, "") else str(v) for k, v in values.items()}


class PullReport(BaseModel):
    listed: int = 0  # tickets the list returned (any status)
    resolved: int = 0  # of those, resolved or closed
    pulled: int = 0  # new or changed resolved tickets whose conversations were read
    unchanged: int = 0
    api_calls: int = 0
    since: datetime | None = None
    cursor: datetime | None = None
    seconds: float = 0.0


def _text(conversation: Conversation) -> str:
    if conversation.body_text and conversation.body_text.strip():
        return conversation.body_text.strip()
    return html_to_text(conversation.body or "").strip()


def _clip(text: str, limit: int = MAX_RESOLUTION_CHARS) -> str:
    text = re.sub(r"[ \t]+", " ", text).strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def resolution_from(conversations: Iterable[Conversation], *, requester_id: int | None = None,
                    resolution_notes: str | None = None) -> str:
    """How a ticket was resolved, in the agents' words.

    The ticket's own resolution notes win; otherwise the latest agent text that reads like a
    resolution (a public reply, or a private note with a resolution word), otherwise the last public
    agent reply. Requester messages, status/meta entries and the copilot's own notes never count."""
    if resolution_notes and resolution_notes.strip():
        return _clip(html_to_text(resolution_notes))
    public_last = ""
    resolution_like = ""
    for conversation in conversations:
        if conversation.incoming or conversation.source in (STATUS_SOURCE, META_SOURCE):
            continue
        if requester_id is not None and conversation.user_id == requester_id:
            continue
        text = _text(conversation)
        if not text or OWN_NOTE.search(text) or OWN_NOTE.search(conversation.body or ""):
            continue
        reads_like = bool(RESOLUTION_CUES.search(text))
        if reads_like:
            resolution_like = text
        if not conversation.private:
            public_last = text
    return _clip(resolution_like or public_last)


def _stats_time(ticket: Ticket, key: str) -> datetime | None:
    stats = getattr(ticket, "stats", None)
    raw = stats.get(key) if isinstance(stats, Mapping) else None
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def past_ticket(ticket: Ticket, resolution: str) -> PastTicket:
    """A listed ticket (with ``include=stats``) and its resolution as a :class:`PastTicket`."""
    updated = ticket.updated_at or ticket.created_at or datetime.now(UTC)
    resolved = _stats_time(ticket, "resolved_at") or _stats_time(ticket, "closed_at") or updated
    return PastTicket(
        ticket_id=ticket.id, subject=ticket.subject or "",
        description_text=(ticket.description_text or html_to_text(ticket.description or "")).strip(),
        type=ticket.type, category=ticket.category, sub_category=ticket.sub_category,
        item_category=ticket.item_category, priority=ticket.priority, urgency=ticket.urgency, impact=ticket.impact,
        group_id=ticket.group_id, responder_id=ticket.responder_id, status=ticket.status, resolution=resolution,
        created_at=ticket.created_at, resolved_at=resolved, updated_at=updated)


class HistoryPull:
    """One incremental pull: iterate it for the new or changed resolved tickets; afterwards
    :attr:`report.cursor` is the ``updated_at`` to pull from next time.

    ``known`` maps ticket id to the ``updated_at`` already stored; such tickets are not re-read."""

    def __init__(self, client: FreshserviceClient, *, since: datetime | None,
                 known: Mapping[int, datetime] | None = None) -> None:
        self.client = client
        self.since = since or EPOCH
        self.known = dict(known or {})
        self.report = PullReport(since=self.since)

    async def __aiter__(self) -> AsyncIterator[PastTicket]:
        started = datetime.now(UTC)
        report = self.report
        cursor = self.since
        async for ticket in self.client.iter_tickets(updated_since=self.since, include="stats"):
            report.listed += 1
            if ticket.updated_at is not None and ticket.updated_at > cursor:
                cursor = ticket.updated_at
            if ticket.status not in RESOLVED_STATUSES or ticket.deleted or ticket.spam:
                continue
            report.resolved += 1
            seen = self.known.get(ticket.id)
            if seen is not None and ticket.updated_at is not None and seen >= ticket.updated_at:
                report.unchanged += 1
                continue
            notes = getattr(ticket, "resolution_notes", None)
            conversations: list[Conversation] = []
            if not (isinstance(notes, str) and notes.strip()):
                conversations = [c async for c in self.client.iter_conversations(ticket.id)]
                report.api_calls += 1 + len(conversations) // max(1, self.client.per_page)
            report.pulled += 1
            yield past_ticket(ticket, resolution_from(conversations, requester_id=ticket.requester_id,
                                                      resolution_notes=notes if isinstance(notes, str) else None))
        report.api_calls += max(1, -(-report.listed // max(1, self.client.per_page)))
        report.cursor = cursor
        report.seconds = round((datetime.now(UTC) - started).total_seconds(), 2)


def pull_history(client: FreshserviceClient, *, since: datetime | None,
                 known: Mapping[int, datetime] | None = None) -> HistoryPull:
    """Resolved/closed tickets updated since ``since`` (None: all), skipping those in ``known``
    unchanged. Pass a background client so the pull yields to interactive turns."""
    return HistoryPull(client, since=since, known=known)


class HistoryStore:
    """Pulled tickets and the pull cursor in one SQLite file (``<data dir>/triage/history.sqlite3``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS tickets (ticket_id INTEGER PRIMARY KEY, updated_at TEXT NOT NULL, "
                       "resolved_at TEXT, body TEXT NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> HistoryStore:
        return cls(data_dir / "triage" / "history.sqlite3")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def known(self) -> dict[int, datetime]:
        with self._connect() as db:
            rows = db.execute("SELECT ticket_id, updated_at FROM tickets").fetchall()
        return {int(i): datetime.fromisoformat(u) for i, u in rows}

    def upsert(self, tickets: Iterable[PastTicket]) -> int:
        rows = [(t.ticket_id, t.updated_at.isoformat(), t.resolved_at.isoformat() if t.resolved_at else None,
                 t.model_dump_json()) for t in tickets]
        with self._connect() as db:
            db.executemany("INSERT INTO tickets (ticket_id, updated_at, resolved_at, body) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT(ticket_id) DO UPDATE SET updated_at = excluded.updated_at, "
                           "resolved_at = excluded.resolved_at, body = excluded.body", rows)
        return len(rows)

    def tickets(self) -> list[PastTicket]:
        """Every stored ticket, oldest resolution first."""
        with self._connect() as db:
            rows = db.execute("SELECT body FROM tickets ORDER BY resolved_at, ticket_id").fetchall()
        return [PastTicket.model_validate(json.loads(body)) for (body,) in rows]

    def __len__(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0])

    def get_meta(self, key: str) -> str | None:
        with self._connect() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._connect() as db:
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       (key, value))

    @property
    def cursor(self) -> datetime | None:
        raw = self.get_meta("cursor")
        return datetime.fromisoformat(raw) if raw else None

    def clear(self) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM tickets")
            db.execute("DELETE FROM meta")


async def sync_history(store: HistoryStore, client: FreshserviceClient, *, since: datetime | None = None,
                       full: bool = False, batch: int = 200) -> PullReport:
    """Bring ``store`` up to date: from ``since`` if given, else from the stored cursor (``full``
    forgets the store and pulls everything again). Tickets are saved in batches, and the cursor only
    after the whole window was read, so an interrupted pull resumes without losing anything."""
    if full:
        store.clear()
    start = since if since is not None else store.cursor
    pull = pull_history(client, since=start, known=store.known())
    pending: list[PastTicket] = []
    async for ticket in pull:
        pending.append(ticket)
        if len(pending) >= batch:
            store.upsert(pending)
            pending.clear()
    store.upsert(pending)
    report = pull.report
    if report.cursor is not None and (store.cursor is None or report.cursor > store.cursor):
        store.set_meta("cursor", report.cursor.isoformat())
    log.info("triage_history_pull", **report.model_dump(mode="json"))
    return report


def default_since(days: int, now: datetime | None = None) -> datetime:
    """Where a first pull starts: ``days`` back from now."""
    return (now or datetime.now(UTC)) - timedelta(days=days)


__all__ = ["HistoryPull", "HistoryStore", "PastTicket", "PullReport", "pull_history", "resolution_from",
           "sync_history"]
