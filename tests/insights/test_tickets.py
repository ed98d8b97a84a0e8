"""Freshservice tickets in the insights, from the real sandbox: a ticket on the topic within 72 hours turns
"likely resolved" into "not resolved", an unrelated one does not; MTTR splits the copilot's tickets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from copilot.insights import tables
from copilot.insights.events import parse
from copilot.insights.figures import Range, mttr
from copilot.insights.store import InsightsStore
from copilot.insights.tables import create_tables, make_engine
from copilot.insights.tickets import sync_tickets, topic_words
from tests.conftest import SandboxHandle
from tests.insights.script import Script
from tools.freshservice import FreshserviceClient, TicketCreate, TicketUpdate

EMPLOYEE = "alice.nguyen@acme.example"


def test_topic_words_drop_filler() -> None:
    assert topic_words("How do I reset my password?") == {"reset", "password"}
    assert topic_words("Password reset not working") & topic_words("Reset your password")
    assert not topic_words("New monitor please") & topic_words("Reset your password")


async def test_followup_ticket_and_mttr(sandbox: SandboxHandle, fs_client: FreshserviceClient, tmp_path: Path) -> None:
    await sandbox.reset()
    engine = make_engine(f"sqlite:///{tmp_path / 'history.db'}")
    await create_tables(engine)
    try:
        store = InsightsStore(engine)
        now = datetime.now(UTC)
        answered = Script("c-answered", employee=EMPLOYEE, at=now - timedelta(hours=3)).kb("confident",
                                                                                             "Reset your password")
        other = Script("c-other", employee=EMPLOYEE, at=now - timedelta(hours=3)).kb("confident", "Book a meeting room")
        rows = [parse(f"{1_000 + n}-0", e.model_dump(mode="json"))
                for n, e in enumerate([*answered.events, *other.events])]
        await store.ingest(rows, "1-0", now)
        requester = await fs_client.find_requester_by_email(EMPLOYEE)
        assert requester is not None
        await fs_client.create_ticket(TicketCreate(requester_id=requester.id, subject="Password reset still not working",
                                                   description="<p>still locked out</p>", status=2, priority=2,
                                                   source=2))
        ours = await fs_client.create_ticket(TicketCreate(requester_id=requester.id, subject="Copilot handover: printer",
                                                          description="<p>jam</p>", status=2, priority=2, source=4),
                                             idempotency_key="insights-test-1")
        await fs_client.update_ticket(ours.id, TicketUpdate(status=4))

        await sync_tickets(fs_client, store, now + timedelta(minutes=1))

        async with engine.connect() as connection:
            found = {r["conversation_id"]: r for r in (await connection.execute(select(tables.conversations))).mappings()}
            figure = await mttr(connection, Range.last_days(1))
        assert (found["c-answered"]["outcome"], found["c-answered"]["outcome_reason"]) == (
            "not_resolved", "ticket on the topic within 72 h")
        assert found["c-other"]["followup_ticket"] is None and found["c-other"]["outcome"] == "pending"
        by_kind = {row[0]: row for row in figure.rows}
        assert by_kind["created by the copilot"][1] == 1  # tagged copilot-<key>, resolved just now
        assert by_kind["created by the copilot"][2] is not None and by_kind["created by the copilot"][2] < 1
    finally:
        await engine.dispose()
