"""Analytics databases for the insights tests: SQLite always, PostgreSQL where one is configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from copilot.audit import STREAM_KEY


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty analytics database: SQLite in a temp dir, or a PostgreSQL database created and dropped
    for the test (``COPILOT_TEST_DATABASE_URL``, as tests/core/test_history.py)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.db'}"
        return
    base = os.environ.get("COPILOT_TEST_DATABASE_URL")
    if not base:
        pytest.skip("no PostgreSQL configured (COPILOT_TEST_DATABASE_URL)")
    import asyncpg

    name = f"copilot_insights_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(base)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """The test Redis with an empty audit stream."""
    client = aioredis.from_url(redis_url, decode_responses=True)
    await client.delete(STREAM_KEY)
    yield client
    await client.delete(STREAM_KEY)
    await client.aclose()
