"""``place_request`` exactly once: the claims ledger (real Redis) and the tag decide which service request
a lost answer belongs to; anything the copilot cannot attribute is reported as unknown, never as placed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from tests.client.support import ALICE
from tests.conftest import SandboxHandle
from tools.freshservice import (
    FreshserviceClient,
    OutcomeUnknown,
    PlaceRequest,
    RedisWriteClaims,
    idempotency_tag,
)
from tools.freshservice.claims import scope_of

HEADSET = {"sequence": ["500"], "path_regex": "place_request"}  # not processed, but the client can't know
DROP = {"sequence": ["drop"], "path_regex": "place_request"}  # processed, answer lost


@pytest.fixture
async def claims(redis_url: str) -> AsyncIterator[RedisWriteClaims]:
    redis = aioredis.Redis.from_url(redis_url)
    prefix = f"test:claims:{uuid.uuid4().hex[:8]}:"
    yield RedisWriteClaims(redis, prefix=prefix)  # a fresh ledger per test, removed afterwards
    async for key in redis.scan_iter(match=prefix + "*"):
        await redis.delete(key)
    await redis.aclose()


async def headset(client: FreshserviceClient) -> tuple[int, PlaceRequest]:
    async for item in client.iter_service_items():
        if "headset" in item.name.lower():
            full = await client.get_service_item(item.display_id)
            field = next(f for f in full.custom_fields if f.required)
            return item.display_id, PlaceRequest(email=ALICE, custom_fields={field.name: field.choices[0][1]})
    raise AssertionError("no headset in the catalog")


async def test_success_claims_and_tags_the_request(fresh: SandboxHandle, claims: RedisWriteClaims) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key) as client:
        item, request = await headset(client)
        ticket = await client.place_request(item, request, idempotency_key="k1", claims=claims)
        assert await claims.owner(ticket.id) == "k1" and await claims.placed("k1") == ticket.id
        assert idempotency_tag("k1") in ((await client.get_ticket(ticket.id, include=["tags"])).tags or [])
        assert await claims.in_flight(scope_of(ALICE, item)) == set()
        again = await client.place_request(item, request, idempotency_key="k1", claims=claims)
        assert again.id == ticket.id  # the ledger answers before anything is sent


async def test_lost_answer_is_recovered_when_only_this_key_was_in_flight(fresh: SandboxHandle,
                                                                          claims: RedisWriteClaims) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key) as client:
        item, request = await headset(client)
        fresh.control("PUT", "/_sandbox/faults", json=DROP)
        ticket = await client.place_request(item, request, idempotency_key="k1", claims=claims)
        assert await claims.owner(ticket.id) == "k1"


async def test_another_keys_request_is_never_taken(fresh: SandboxHandle, claims: RedisWriteClaims) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key) as client:
        item, request = await headset(client)
        theirs = await client.place_request(item, request, idempotency_key="conversation-a", claims=claims)
        fresh.control("PUT", "/_sandbox/faults", json=HEADSET)
        with pytest.raises(OutcomeUnknown) as unknown:
            await client.place_request(item, request, idempotency_key="conversation-b", claims=claims)
        fresh.control("DELETE", "/_sandbox/faults")
        # the re-check proves B did not land (A's request is A's), so B is sent once
        mine = await client.place_request(item, request, idempotency_key="conversation-b", claims=claims,
                                          attempted_since=unknown.value.attempted_at)
        assert mine.id != theirs.id and await claims.owner(mine.id) == "conversation-b"


async def test_without_a_ledger_only_the_tag_proves_ownership(fresh: SandboxHandle) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key) as client:
        item, request = await headset(client)
        theirs = await client.place_request(item, request, idempotency_key="conversation-a")
        assert idempotency_tag("conversation-a") in ((await client.get_ticket(theirs.id, include=["tags"])).tags or [])
        fresh.control("PUT", "/_sandbox/faults", json=HEADSET)
        with pytest.raises(OutcomeUnknown):
            await client.place_request(item, request, idempotency_key="conversation-b")
        fresh.control("PUT", "/_sandbox/faults", json=DROP)
        with pytest.raises(OutcomeUnknown):  # landed, but untagged: nothing proves it is B's
            await client.place_request(item, request, idempotency_key="conversation-c")


async def test_an_unexplained_request_with_another_write_in_flight_stays_unknown(
        fresh: SandboxHandle, claims: RedisWriteClaims) -> None:
    async with FreshserviceClient(fresh.base_url, fresh.api_key) as client:
        item, request = await headset(client)
        await claims.begin(scope_of(ALICE, item), "conversation-a")  # A's POST is out, its answer not yet in
        fresh.control("PUT", "/_sandbox/faults", json=DROP)
        with pytest.raises(OutcomeUnknown):
            await client.place_request(item, request, idempotency_key="conversation-b", claims=claims)
