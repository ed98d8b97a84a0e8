"""Conversation state in a real Redis: round trip, ownership, TTL, lock across holders."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
import redis.asyncio as aioredis

from copilot.conversations import ConversationLocked, ConversationStore
from tools.request_draft import DraftField, RequestDraft
from tools.state import PendingAction


@pytest.fixture
async def conv_store(redis_url: str):
    redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield ConversationStore(redis, ttl_seconds=600)
    await redis.aclose()


async def test_state_round_trips_with_draft_and_pending(conv_store: ConversationStore) -> None:
    state = await conv_store.create(employee_email="Alice.Nguyen@acme.example", requester_id=21000000001)
    state.draft = RequestDraft(item_display_id=3, item_name="Monitor", cost=Decimal("199.00"),
                               fields=[DraftField(name="size", label="Size", field_type="custom_text", required=True)])
    state.draft.answer("27 inch")
    state.pending["p1"] = PendingAction(id="p1", kind="place_request", summary=["Size: 27 inch"],
                                        payload={"size": "27 inch"}, idempotency_key="k1")
    state.add("employee", "I need a monitor")
    await conv_store.save(state)
    loaded = await conv_store.load(state.id)
    assert loaded is not None
    assert loaded.draft == state.draft and loaded.draft.stage.value == "review"
    assert loaded.open_pending()[0].idempotency_key == "k1"
    assert loaded.transcript[0].text == "I need a monitor"


async def test_other_employees_cannot_load_it(conv_store: ConversationStore) -> None:
    state = await conv_store.create(employee_email="bob@acme.example", requester_id=1)
    assert await conv_store.load_for(state.id, "BOB@acme.example") is not None
    assert await conv_store.load_for(state.id, "mallory@acme.example") is None
    assert state.id in await conv_store.list_ids("bob@acme.example")


async def test_state_has_a_ttl(conv_store: ConversationStore, redis_url: str) -> None:
    state = await conv_store.create(employee_email="ttl@acme.example", requester_id=2)
    redis = aioredis.Redis.from_url(redis_url)
    ttl = await redis.ttl(f"copilot:conv:{state.id}")
    await redis.aclose()
    assert 0 < ttl <= 600


async def test_lock_serialises_turns(conv_store: ConversationStore) -> None:
    order: list[str] = []

    async def turn(name: str) -> None:
        async with conv_store.lock("same-conv"):
            order.append(f"{name}-start")
            await asyncio.sleep(0.05)
            order.append(f"{name}-end")

    await asyncio.gather(turn("a"), turn("b"))
    assert order in (["a-start", "a-end", "b-start", "b-end"], ["b-start", "b-end", "a-start", "a-end"])


async def test_running_turn_keeps_renewing_its_short_lock(redis_url: str) -> None:
    redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    holder = ConversationStore(redis, ttl_seconds=600, lock_ttl=0.3)
    impatient = ConversationStore(redis, ttl_seconds=600, lock_ttl=0.3, lock_wait=0.05)
    try:
        async with holder.lock("long-turn"):
            await asyncio.sleep(1.0)  # more than three TTLs: only the renewal keeps the lock
            with pytest.raises(ConversationLocked):
                async with impatient.lock("long-turn"):
                    pass
        async with impatient.lock("long-turn"):  # released at the end of the turn
            pass
    finally:
        await redis.aclose()


async def test_a_crashed_holders_lock_frees_after_its_ttl(redis_url: str) -> None:
    redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    store = ConversationStore(redis, ttl_seconds=600)
    impatient = ConversationStore(redis, ttl_seconds=600, lock_wait=0.05)
    try:
        await redis.set(ConversationStore.lock_key("crashed"), "dead-worker", px=500)  # nobody renews it
        with pytest.raises(ConversationLocked):
            async with impatient.lock("crashed"):
                pass
        async with store.lock("crashed"):  # waits (up to LOCK_WAIT_SECONDS) for the stale lock to expire
            assert await redis.get(ConversationStore.lock_key("crashed")) != "dead-worker"
    finally:
        await redis.aclose()
