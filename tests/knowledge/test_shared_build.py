"""Replicas sharing one Redis and one data directory build the knowledge index once (issue 14 item 6)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from copilot.knowledge.embedder import get_embedder
from copilot.knowledge.sync import KnowledgeBase
from tests.conftest import SandboxHandle
from tools.freshservice import FreshserviceClient

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kb_sandbox(sandbox_factory: Callable[..., SandboxHandle]) -> SandboxHandle:
    return sandbox_factory(knowledge="org")


def distinct_texts(kb: KnowledgeBase) -> int:
    """What one build must embed: every distinct chunk text, article title and sentence unit, once."""
    return len(kb.index.embedded_texts())


async def test_two_replicas_syncing_at_once_embed_each_article_once(
        kb_sandbox: SandboxHandle, redis_url: str, tmp_path: Path) -> None:
    kb_sandbox.control("POST", "/_sandbox/reset")
    redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    key = f"copilot:kb:build-lock:test-{uuid.uuid4().hex}"

    async def get_redis() -> aioredis.Redis:
        return redis

    embedder = get_embedder()  # one process here, so one embedder counts the work of both replicas
    before = embedder.computed
    try:
        async with FreshserviceClient(kb_sandbox.base_url, kb_sandbox.api_key) as client:
            first = KnowledgeBase(tmp_path, kb_sandbox.base_url, redis=get_redis, lock_key=key)
            second = KnowledgeBase(tmp_path, kb_sandbox.base_url, redis=get_redis, lock_key=key)
            reports = await asyncio.gather(first.sync(client), second.sync(client))
        assert sorted(r.embedded for r in reports)[0] == 0 and sum(r.embedded for r in reports) > 0
        # index embeddings (chunks and titles); the KB's self-calibration also embeds its pseudo-queries,
        # which the embedder counts too, so the build's own count is the one compared
        assert sum(r.embedded for r in reports) == distinct_texts(first)
        assert embedder.computed - before >= distinct_texts(first)
        assert first.index.docs.keys() == second.index.docs.keys() and len(first.index) >= 28
        answer = await second.search("I forgot my password, how do I reset it?")
        assert answer.answer and answer.articles[0].title == "Reset your Acme password"
        assert await redis.exists(key) == 0  # released by its owner
    finally:
        await redis.delete(key)
        await redis.aclose()


async def test_without_the_lock_both_replicas_embed(kb_sandbox: SandboxHandle, tmp_path: Path) -> None:
    """The control: the same two syncs with no Redis lock do the work twice (so the test above can fail)."""
    kb_sandbox.control("POST", "/_sandbox/reset")
    async with FreshserviceClient(kb_sandbox.base_url, kb_sandbox.api_key) as client:
        first, second = KnowledgeBase(tmp_path, kb_sandbox.base_url), KnowledgeBase(tmp_path, kb_sandbox.base_url)
        reports = await asyncio.gather(first.sync(client), second.sync(client))
    assert [r.embedded for r in reports] == [distinct_texts(first)] * 2


async def test_a_lock_left_by_a_dead_replica_expires_and_the_waiting_one_builds(
        kb_sandbox: SandboxHandle, redis_url: str, tmp_path: Path) -> None:
    """A lock held by a replica that died expires; the waiting replica then builds itself."""
    kb_sandbox.control("POST", "/_sandbox/reset")
    redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    key = f"copilot:kb:build-lock:test-{uuid.uuid4().hex}"

    async def get_redis() -> aioredis.Redis:
        return redis

    try:
        await redis.set(key, "a-replica-that-died", ex=2)
        async with FreshserviceClient(kb_sandbox.base_url, kb_sandbox.api_key) as client:
            kb = KnowledgeBase(tmp_path, kb_sandbox.base_url, redis=get_redis, lock_key=key)
            report = await asyncio.wait_for(kb.sync(client), 120)
        assert report.embedded > 0 and kb.ready and await redis.exists(key) == 0
    finally:
        await redis.delete(key)
        await redis.aclose()
