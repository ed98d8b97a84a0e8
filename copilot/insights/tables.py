"""The analytics tables, in the history database (SQLite by default, PostgreSQL with DATABASE_URL).

``insights_events`` holds one row per audit event, keyed by its Redis stream id, so reading the stream
twice inserts nothing twice. ``insights_conversations`` is derived: it is recomputed from a
conversation's events whenever one arrives, never incremented, so a replay changes no number.
No message text is stored: events keep names, outcomes, tiers, reasons, ticket ids and form field names.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

metadata = MetaData()

events = Table(
    "insights_events", metadata,
    Column("stream_id", String(40), primary_key=True),  # "<ms>-<seq>" from XADD: the idempotency key
    Column("at", DateTime(timezone=True), nullable=False),
    Column("conversation_id", String(120), nullable=False),
    Column("employee", String(254), nullable=False),
    Column("kind", String(32), nullable=False),  # turn, tool, button, write, feedback, handover, triage_*
    Column("name", String(64), nullable=False),  # the tool, button or write kind
    Column("outcome", String(16), nullable=False),
    Column("detail", Text, nullable=False, default="{}"),  # whitelisted fields, JSON (events.DETAIL_FIELDS)
    Index("ix_insights_events_conversation", "conversation_id"),
    Index("ix_insights_events_at", "at"),
)

conversations = Table(
    "insights_conversations", metadata,
    Column("conversation_id", String(120), primary_key=True),
    Column("employee", String(254), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
    Column("hour", Integer, nullable=False),  # hour of day (UTC) the conversation started
    Column("after_hours", Boolean, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("turns", Integer, nullable=False),
    Column("intent", String(32), nullable=False),
    Column("kb_tier", String(16)),  # best tier answered: confident, plausible, none (or NULL: no KB search)
    Column("kb_article", String(300)),  # title of the last KB article shown (not message text)
    Column("thumbs_up", Integer, nullable=False, default=0),
    Column("thumbs_down", Integer, nullable=False, default=0),
    Column("not_helpful", Integer, nullable=False, default=0),
    Column("request_started", Boolean, nullable=False, default=False),
    Column("request_item", String(120)),
    Column("request_submitted", Boolean, nullable=False, default=False),
    Column("dropoff_field", String(80)),  # where an unsubmitted request form stopped
    Column("handover_reason", String(40)),
    Column("incident", Boolean, nullable=False, default=False),
    Column("answer_at", DateTime(timezone=True)),  # the last answer shown (for the 72-hour rule)
    Column("followup_ticket", Integer),  # a ticket by the employee on the topic within the window
    Column("outcome", String(20), nullable=False),  # resolved, likely_resolved, escalated, not_resolved, pending, no_outcome
    Column("outcome_reason", String(60), nullable=False),
    Index("ix_insights_conversations_started", "started_at"),
    Index("ix_insights_conversations_outcome", "outcome"),
    Index("ix_insights_conversations_employee", "employee", "answer_at"),
)

daily = Table(
    "insights_daily", metadata,  # per-day rollups of insights_conversations, rebuilt for the days a batch touches
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD (UTC) the conversations started
    Column("figure", String(16), primary_key=True),  # hour, outcome, intent, kb, request
    Column("k1", String(120), primary_key=True),
    Column("k2", String(120), primary_key=True),
    Column("k3", String(80), primary_key=True),
    Column("conversations", Integer, nullable=False),
    Column("a", Integer, nullable=False, default=0),
    Column("b", Integer, nullable=False, default=0),
    Column("c", Integer, nullable=False, default=0),
)

tickets = Table(
    "insights_tickets", metadata,
    Column("ticket_id", Integer, primary_key=True, autoincrement=False),
    Column("type", String(40)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("via_copilot", Boolean, nullable=False),  # tagged copilot-<key> by the copilot's writes
    Column("requester_email", String(254)),
    Index("ix_insights_tickets_created", "created_at"),
)

triage = Table(
    "insights_triage", metadata,
    Column("proposal_id", String(200), primary_key=True),
    Column("ticket_id", Integer),
    Column("mode", String(16), nullable=False),
    Column("proposed_at", DateTime(timezone=True)),
    Column("proposed", Text, nullable=False, default="{}"),  # field -> value (JSON)
    Column("decided_at", DateTime(timezone=True)),
    Column("action", String(16)),  # approve, edit, reject (the last reviewer decision that took effect)
    Column("decided", Text, nullable=False, default="{}"),  # field -> value written (JSON)
    Index("ix_insights_triage_proposed", "proposed_at"),
)

cursor = Table(
    "insights_cursor", metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(64), nullable=False),
    Column("updated", Float, nullable=False),
)


def async_url(url: str) -> str:
    """An async SQLAlchemy URL: PostgreSQL through asyncpg, SQLite through aiosqlite."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
    return url


def make_engine(url: str) -> AsyncEngine:
    """The analytics database engine (the history database's URL, ``Settings.history_url``)."""
    url = async_url(url)
    options: dict[str, Any] = {}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30.0}  # wait for the writer instead of "database is locked"
    return create_async_engine(url, **options)


async def create_tables(engine: AsyncEngine) -> None:
    """Create the tables that do not exist yet (idempotent; run by the consumer and the dashboard)."""
    async with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
            if str(mode).lower() != "wal":  # the history database is usually WAL already (copilot.ui.history)
                await connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        await connection.run_sync(metadata.create_all)
