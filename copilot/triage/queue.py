"""The durable triage queue: a Redis Stream read by a consumer group, with retries and dead letters.

Why a stream: the webhook answers 202 only after ``XADD`` returned, so an accepted event survives a
restart of the app, of every worker and (with Redis persistence on, see docs/triage.md) of Redis.
Workers read through one consumer group (each event goes to one worker) and acknowledge only when
the note is written and the proposal stored: at-least-once delivery, made exactly-once on the
ticket by the note's idempotency key.

Retries with backoff: an event a worker failed on (or was killed on) stays in the group's pending
list. Any worker claims it back once it has been idle ``claim_idle * 2**(deliveries-1)`` seconds
(capped), found with ``XPENDING … IDLE`` and taken with ``XCLAIM`` (whose min-idle check makes a
second claimer lose; ``XAUTOCLAIM`` has one idle time for all entries, so it cannot back off per
entry). A worker keeps the events it is working on fresh (``XCLAIM … JUSTID``, which counts no
delivery), so a slow event is not taken from a live worker. After ``max_attempts`` deliveries the
event moves to the dead-letter stream, which ``python -m copilot.triage dlq list|replay`` reads.

Deduplication: ``SET NX`` of the key ``ticket id + event + updated_at`` (with a TTL) and the ``XADD``
run in one Lua script, so an event is never marked seen without being queued. All keys share the
hash tag ``{triage}`` so the script also runs on Redis Cluster.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from pydantic import BaseModel, Field

from copilot import logs
from copilot.settings import Settings

log = logs.get_logger(__name__)

NAMESPACE = "copilot:{triage}"
GROUP = "triage-workers"
TICKET_CLAIM_TTL_SECONDS = 180 * 24 * 3600
EventName = Literal["ticket_created", "ticket_updated"]

_ENQUEUE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
end
return false
"""


def normalise_time(value: str | datetime | None) -> str:
    """One spelling of a timestamp for the dedup key: UTC ``YYYY-MM-DDTHH:MM:SSZ`` (as sent, if unparsable)."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
        except ValueError:
            return text
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TicketEvent(BaseModel):
    """One ticket event on the queue. It carries no ticket text: the worker re-reads the ticket."""

    event: EventName
    ticket_id: int = Field(gt=0)
    updated_at: str
    source: Literal["webhook", "poller", "replay"] = "webhook"
    received_at: str = Field(default_factory=lambda: normalise_time(datetime.now(UTC)))
    # The Freshservice account (host) whose intake queued it: a worker of another account sharing the
    # Redis database by mistake dead-letters it instead of triaging a ticket of the same number at home.
    account: str = ""

    @property
    def key(self) -> str:
        """The dedup key, also the id of the proposal (and of its note) this event produces."""
        return f"{self.ticket_id}:{self.event}:{self.updated_at}"

    def fields(self) -> dict[str, str]:
        return {"event": self.event, "ticket_id": str(self.ticket_id), "updated_at": self.updated_at,
                "source": self.source, "received_at": self.received_at, "account": self.account}

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> TicketEvent:
        return cls.model_validate({_text(k): _text(v) for k, v in fields.items()
                                   if _text(k) in cls.model_fields})


class Delivery(BaseModel):
    """An event handed to one worker: the stream id to acknowledge and how many times it was delivered."""

    id: str
    event: TicketEvent
    attempts: int = 1


class DeadLetter(BaseModel):
    id: str
    original_id: str
    event: TicketEvent
    attempts: int
    reason: str
    failed_at: str


class QueueDepth(BaseModel):
    waiting: int  # in the stream, not yet acknowledged (pending ones included)
    pending: int  # delivered to a worker and not acknowledged yet
    dead: int


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def consumer_name() -> str:
    """This worker's name in the group: host and process id (a restarted worker is a new consumer)."""
    return f"{socket.gethostname()}-{os.getpid()}"


class IntakeQueue:
    """The stream, its consumer group, the dedup keys and the dead-letter stream."""

    def __init__(self, redis: aioredis.Redis, *, namespace: str = NAMESPACE, dedup_ttl_seconds: int = 7 * 24 * 3600,
                 claim_idle_seconds: float = 30.0, retry_max_seconds: float = 600.0, max_attempts: int = 5,
                 account: str = "") -> None:
        self.redis = redis
        self.account = account  # stamped on what this queue enqueues; see TicketEvent.account
        self.stream = f"{namespace}:events"
        self.dead_stream = f"{namespace}:dead"
        self.errors = f"{namespace}:errors"  # stream id -> the last failure's error type (for the DLQ)
        self.seen_prefix = f"{namespace}:seen:"
        self.ticket_prefix = f"{namespace}:ticket:"
        self.cursor_key = f"{namespace}:poll-cursor"
        self.dedup_ttl = dedup_ttl_seconds
        self.claim_idle = claim_idle_seconds
        self.retry_max = retry_max_seconds
        self.max_attempts = max_attempts
        self._script = redis.register_script(_ENQUEUE)
        self._group_ready = False

    # -- producing ---------------------------------------------------------------------------------

    async def enqueue(self, event: TicketEvent) -> str | None:
        """Append ``event`` unless its key was seen within the TTL; the stream id, or None for a duplicate."""
        if self.account and not event.account:
            event = event.model_copy(update={"account": self.account})
        args: list[Any] = [self.dedup_ttl]
        for name, value in event.fields().items():
            args += [name, value]
        entry = await self._script(keys=[self.seen_prefix + event.key, self.stream], args=args)
        return _text(entry) if entry else None

    # -- consuming ---------------------------------------------------------------------------------

    async def ensure_group(self) -> None:
        """Create the consumer group (from the start of the stream, so nothing queued before is skipped)."""
        if self._group_ready:
            return
        try:
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except aioredis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._group_ready = True

    async def read(self, consumer: str, count: int, block_ms: int = 1000) -> list[Delivery]:
        """New events for ``consumer`` (waits up to ``block_ms`` when there are none)."""
        await self.ensure_group()
        answer: Any = await self.redis.xreadgroup(GROUP, consumer, {self.stream: ">"}, count=count, block=block_ms)
        deliveries: list[Delivery] = []
        for _stream, entries in answer or []:
            for entry_id, fields in entries:
                delivery = await self._delivery(_text(entry_id), fields, attempts=1)
                if delivery is not None:
                    deliveries.append(delivery)
        return deliveries

    def backoff_seconds(self, deliveries: int) -> float:
        """How long an event delivered ``deliveries`` times must sit idle before it is retried."""
        return float(min(self.claim_idle * 2 ** max(0, deliveries - 1), self.retry_max))

    async def reclaim(self, consumer: str, count: int, *, busy: Collection[str] = ()) -> list[Delivery]:
        """Take over events whose worker failed or died, once their backoff has passed; events out of
        attempts go to the dead-letter stream instead. ``busy``: ids the caller is still working on
        (never taken twice by the same worker)."""
        await self.ensure_group()
        pending = await self.redis.xpending_range(self.stream, GROUP, min="-", max="+", count=max(count * 4, 20),
                                                  idle=int(self.claim_idle * 1000))
        taken: list[Delivery] = []
        for entry in pending:
            if len(taken) >= count:
                break
            entry_id = _text(entry["message_id"])
            if entry_id in busy:
                continue
            times = int(entry["times_delivered"])
            wait_ms = int(self.backoff_seconds(times) * 1000)
            if int(entry["time_since_delivered"]) < wait_ms:
                continue
            answer: Any = await self.redis.xclaim(self.stream, GROUP, consumer, wait_ms, [entry_id])
            claimed = [c for c in answer or [] if c and c[1]]
            if not claimed:
                continue  # another worker took it first, or it is gone
            _, fields = claimed[0]
            delivery = await self._delivery(entry_id, fields, attempts=times + 1)
            if delivery is None:
                continue
            if times >= self.max_attempts:
                reason = await self.redis.hget(self.errors, entry_id)
                await self.dead_letter(delivery, _text(reason) if reason else
                                       "the worker stopped while handling it (killed or timed out)", attempts=times)
                continue
            taken.append(delivery)
        return taken

    async def touch(self, consumer: str, ids: list[str]) -> None:
        """Reset the idle time of events this worker is still working on (counts no delivery)."""
        if ids:
            await self.redis.xclaim(self.stream, GROUP, consumer, 0, list[Any](ids), justid=True)

    async def ack(self, delivery: Delivery) -> None:
        """Done: acknowledge and delete the entry (the stream holds only unfinished events)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, GROUP, delivery.id)
            pipe.xdel(self.stream, delivery.id)
            pipe.hdel(self.errors, delivery.id)
            await pipe.execute()

    async def record_failure(self, delivery: Delivery, reason: str) -> None:
        """Remember why the last attempt failed (an error type, never ticket text), for the dead letter."""
        await self.redis.hset(self.errors, delivery.id, reason[:200])

    async def dead_letter(self, delivery: Delivery, reason: str, *, attempts: int | None = None) -> str:
        """Move the event to the dead-letter stream, atomically with its acknowledgement."""
        fields = {**delivery.event.fields(), "original_id": delivery.id,
                  "attempts": str(attempts or delivery.attempts), "reason": reason[:200],
                  "failed_at": normalise_time(datetime.now(UTC))}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self.dead_stream, fields)  # type: ignore[arg-type]
            pipe.xack(self.stream, GROUP, delivery.id)
            pipe.xdel(self.stream, delivery.id)
            pipe.hdel(self.errors, delivery.id)
            results = await pipe.execute()
        log.warning("triage_dead_letter", stream_id=delivery.id, ticket_id=delivery.event.ticket_id,
                    kind=delivery.event.event, attempts=fields["attempts"], reason=fields["reason"])
        return _text(results[0])

    # -- dead letters ------------------------------------------------------------------------------

    async def dead(self, count: int = 100) -> list[DeadLetter]:
        """Dead letters, oldest first."""
        letters: list[DeadLetter] = []
        entries: Any = await self.redis.xrange(self.dead_stream, "-", "+", count=count)
        for entry_id, raw in entries:
            fields = {_text(k): _text(v) for k, v in raw.items()}
            letters.append(DeadLetter(id=_text(entry_id), original_id=fields.get("original_id", ""),
                                      event=TicketEvent.from_fields(fields), attempts=int(fields.get("attempts", 0)),
                                      reason=fields.get("reason", ""), failed_at=fields.get("failed_at", "")))
        return letters

    async def replay(self, ids: list[str] | None = None) -> list[str]:
        """Put dead letters (``ids``, or all of them) back on the stream as fresh events; their new ids.
        The dedup key is not consulted: a replay is deliberate."""
        letters = await self.dead(count=100_000)
        chosen = letters if ids is None else [d for d in letters if d.id in set(ids)]
        replayed: list[str] = []
        for letter in chosen:
            event = letter.event.model_copy(update={"source": "replay"})
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.xadd(self.stream, event.fields())  # type: ignore[arg-type]
                pipe.xdel(self.dead_stream, letter.id)
                results = await pipe.execute()
            replayed.append(_text(results[0]))
        return replayed

    async def depth(self) -> QueueDepth:
        await self.ensure_group()
        summary = await self.redis.xpending(self.stream, GROUP)
        return QueueDepth(waiting=int(await self.redis.xlen(self.stream)), pending=int(summary["pending"]),
                          dead=int(await self.redis.xlen(self.dead_stream)))

    # -- per-ticket claim and poll cursor ----------------------------------------------------------

    async def claim_ticket(self, ticket_id: int, proposal_id: str) -> str:
        """The proposal that owns ``ticket_id``: ``proposal_id`` if it is the first, else the earlier one.
        One triage note per ticket, whichever of its events comes first."""
        key = self.ticket_prefix + str(ticket_id)
        if await self.redis.set(key, proposal_id, nx=True, ex=TICKET_CLAIM_TTL_SECONDS):
            return proposal_id
        owner = await self.redis.get(key)
        return _text(owner) if owner else proposal_id

    async def cursor(self) -> str | None:
        value = await self.redis.get(self.cursor_key)
        return _text(value) if value else None

    async def set_cursor(self, value: str) -> None:
        await self.redis.set(self.cursor_key, value)

    async def _delivery(self, entry_id: str, fields: Any, *, attempts: int) -> Delivery | None:
        try:
            event = TicketEvent.from_fields(dict(fields))
        except ValueError:  # not ours (written by hand?): park it where a person sees it
            bad = Delivery(id=entry_id, event=TicketEvent(event="ticket_updated", ticket_id=1, updated_at=""),
                           attempts=attempts)
            await self.dead_letter(bad, "unreadable queue entry")
            return None
        return Delivery(id=entry_id, event=event, attempts=attempts)


def queue_from_settings(settings: Settings, redis: aioredis.Redis) -> IntakeQueue:
    """The queue with the configured dedup TTL and retry policy."""
    return IntakeQueue(redis, dedup_ttl_seconds=settings.webhook_dedup_ttl_seconds,
                       claim_idle_seconds=settings.triage_claim_idle_seconds,
                       retry_max_seconds=settings.triage_retry_max_seconds, max_attempts=settings.triage_max_attempts,
                       account=account_of(settings.freshservice_base_url))


def account_of(freshservice_url: str) -> str:
    """The account an event belongs to: the Freshservice host (and port), lower case."""
    return (urlsplit(freshservice_url).netloc or freshservice_url).lower()
