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
