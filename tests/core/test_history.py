"""Chat history through Chainlit's SQLAlchemy data layer on SQLite (default) and PostgreSQL (production).

PostgreSQL runs only where ``COPILOT_TEST_DATABASE_URL`` names a server (``.ci/run`` sets it when one
answers on 127.0.0.1:5432); each run creates and drops its own database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from chainlit.types import Feedback
from chainlit.user import User

from copilot.settings import Settings
from copilot.ui import history


async def round_trip(settings: Settings) -> None:
    history.create_schema(settings)
    layer = history.data_layer(settings)
    user = await layer.create_user(User(identifier="alice.nguyen@acme.example", metadata={"email": "alice.nguyen@acme.example"}))
    assert user is not None and user.identifier == "alice.nguyen@acme.example"
    thread_id = str(uuid.uuid4())
    await layer.update_thread(thread_id, name="How do I reset my password?", user_id=user.id,
                              metadata={"conversation_id": "c-1"})
    thread = await layer.get_thread(thread_id)
    assert thread is not None and thread["name"] == "How do I reset my password?"
    metadata = thread["metadata"]
    assert (metadata if isinstance(metadata, dict) else __import__("json").loads(metadata))["conversation_id"] == "c-1"
    assert await layer.get_thread_author(thread_id) == "alice.nguyen@acme.example"
    feedback_id = await layer.upsert_feedback(Feedback(forId=str(uuid.uuid4()), threadId=thread_id, value=1, comment="ok"))
    assert feedback_id


async def test_sqlite_history(tmp_path: Path) -> None:
    await round_trip(Settings(data_dir=tmp_path, database_url=None))


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    base = os.environ.get("COPILOT_TEST_DATABASE_URL")
    if not base:
        pytest.skip("no PostgreSQL configured (COPILOT_TEST_DATABASE_URL)")
    import asyncpg

    name = f"copilot_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(base)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_postgres_history(postgres_url: str, tmp_path: Path) -> None:
    await round_trip(Settings(data_dir=tmp_path, database_url=postgres_url))


async def test_sqlite_history_survives_many_concurrent_writers(tmp_path: Path) -> None:
    """WAL + busy timeout: 100 sessions writing steps at once lose none to "database is locked"."""
    import asyncio

    settings = Settings(data_dir=tmp_path, database_url=None)
    history.create_schema(settings)
    import sqlite3

    with sqlite3.connect(tmp_path / "history.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    layers = [history.data_layer(settings) for _ in range(10)]  # separate engines, like separate workers
    user = await layers[0].create_user(User(identifier="load@acme.example", metadata={}))
    assert user is not None
    thread_id = str(uuid.uuid4())
    await layers[0].update_thread(thread_id, name="load", user_id=user.id)

    async def write(n: int) -> None:  # the data layer's own write path (it logs and drops a failed write)
        await layers[n % len(layers)].execute_sql(
            'INSERT INTO steps ("id", "name", "type", "threadId", "streaming", "output") '
            "VALUES (:id, 'employee', 'user_message', :thread, false, :output)",
            {"id": str(uuid.uuid4()), "thread": thread_id, "output": f"message {n} " * 50})

    await asyncio.gather(*(write(n) for n in range(100)))
    with sqlite3.connect(tmp_path / "history.db") as connection:
        assert connection.execute("SELECT COUNT(*) FROM steps").fetchone()[0] == 100
    # the layer's own connections commit without an fsync each (NORMAL = 1; FULL = 2 is SQLite's default)
    assert await layers[0].execute_sql("PRAGMA synchronous", {}) == [{"synchronous": 1}]
    for layer in layers:
        await layer.engine.dispose()


def test_chainlit_data_layer_errors_do_not_log_message_text(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from sqlalchemy.exc import OperationalError

    history.redact_chainlit_logs()
    error = OperationalError("INSERT INTO steps (output) VALUES (?)", ("my password is hunter2",),
                             Exception("database is locked"))
    with caplog.at_level(logging.WARNING, logger="chainlit"):
        logging.getLogger("chainlit").warning(f"An error occurred: {error}")
    assert "database is locked" in caplog.text and "hunter2" not in caplog.text and "INSERT" not in caplog.text


async def test_step_writes_are_batched_and_reads_see_them(tmp_path: Path) -> None:
    """Steps created, updated and deleted are queued and committed together; the next statement (a read of
    the thread) flushes the queue first, so it sees every write in order; close() flushes what is left."""
    import sqlite3

    from chainlit.context import init_http_context

    settings = Settings(data_dir=tmp_path, database_url=None)
    history.create_schema(settings)
    layer = history.data_layer(settings)
    assert isinstance(layer, history.BatchedHistory)
    init_http_context()  # not a websocket session: Chainlit writes at once instead of holding steps back
    user = await layer.create_user(User(identifier="batch@acme.example", metadata={}))
    assert user is not None
    thread_id = str(uuid.uuid4())
    await layer.update_thread(thread_id, name="batched", user_id=user.id)

    def step(step_id: str, output: str) -> dict[str, object]:
        return {"id": step_id, "threadId": thread_id, "name": "Copilot", "type": "assistant_message",
                "streaming": False, "output": output, "createdAt": "2026-11-30T10:00:00Z", "metadata": {}}

    await layer.create_step(step("kept", "first"))  # type: ignore[arg-type]
    await layer.update_step(step("kept", "second"))  # type: ignore[arg-type]
    await layer.create_step(step("gone", "draft"))  # type: ignore[arg-type]
    await layer.delete_step("gone")
    with sqlite3.connect(tmp_path / "history.db") as connection:  # nothing committed yet: all queued
        assert connection.execute("SELECT COUNT(*) FROM steps").fetchone()[0] == 0
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert [(s["id"], s["output"]) for s in thread["steps"]] == [("kept", "second")]
    # a statement that fails in the batch loses only itself; the others are committed one by one
    await layer.create_step(step("ok", "fine"))  # type: ignore[arg-type]
    layer._enqueue("INSERT INTO no_such_table VALUES (:id)", {"id": "x"})
    await layer.create_step(step("ok2", "fine too"))  # type: ignore[arg-type]
    await layer.close()
    with sqlite3.connect(tmp_path / "history.db") as connection:
        ids = {row[0] for row in connection.execute("SELECT id FROM steps")}
    assert ids == {"kept", "ok", "ok2"}
