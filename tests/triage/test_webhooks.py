"""POST /webhooks/freshservice over real HTTP: the shared secret, malformed bodies, dedup, limits, Redis down."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from copilot.triage.queue import IntakeQueue
from tests.servers import serve
from tests.triage.conftest import SECRET, Intake, triage_settings, webhook_app


def body(ticket_id: int = 101, event: str = "ticket_created", updated_at: str = "2026-11-30T08:00:00Z",
         **ticket: Any) -> dict[str, Any]:
    """A body shaped like the sandbox's (and a Workflow Automator template's): event + ticket fields."""
    return {"event": event, "triggered_at": "2026-11-30T08:00:01Z",
            "ticket": {"id": ticket_id, "subject": "VPN drops", "status": 2, "updated_at": updated_at, **ticket}}


async def test_missing_wrong_and_right_secret(intake: Intake, redis: aioredis.Redis) -> None:
    missing = intake.post(body(), secret=None)
    wrong = intake.post(body(), secret=SECRET[:-1] + "X")
    empty = intake.post(body(), secret="")
    assert (missing.status_code, wrong.status_code, empty.status_code) == (401, 401, 401)
    assert "X-Webhook-Token" in missing.json()["error"]
    assert (await IntakeQueue(redis).depth()).waiting == 0  # nothing queued by a refused call
    right = intake.post(body())
    assert right.status_code == 202, right.text
    assert right.json()["status"] == "queued"
    assert (await IntakeQueue(redis).depth()).waiting == 1


@pytest.mark.parametrize(("content", "words"), [
    (b"", "empty"),
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"event": "ticket_created"}', "names no ticket"),
    (b'{"ticket": {"id": 5, "updated_at": "2026-11-30T08:00:00Z"}}', "which event"),
    (b'{"event": "ticket_deleted", "ticket": {"id": 5}}', "Unknown event"),
    (b'{"event": "ticket_created", "ticket": {"id": "five"}}', "ticket.id"),
    (b'{"event": "ticket_created", "ticket": {"id": -3}}', "ticket.id"),
    (b'{"event": "ticket_updated", "ticket": {"id": 5}}', "updated_at"),
    ("\xff\xfe".encode("latin-1"), "UTF-8"),
])
async def test_malformed_payloads_get_400_with_words(intake: Intake, redis: aioredis.Redis, content: bytes,
                                                     words: str, caplog: pytest.LogCaptureFixture) -> None:
    response = intake.post(content=content)
    assert response.status_code == 400
    assert words in response.json()["error"]
    assert (await IntakeQueue(redis).depth()).waiting == 0


def test_rejection_log_line_carries_no_payload_text(intake: Intake, capfd: pytest.CaptureFixture[str]) -> None:
    secret_subject = "Salary of Jane Roe is 123456"
    response = intake.post(content=json.dumps({"event": "bogus", "ticket": {"id": 9, "subject": secret_subject}}).encode())
    assert response.status_code == 400
    out = capfd.readouterr()
    assert "webhook_rejected" in out.out + out.err
    assert secret_subject not in out.out + out.err


async def test_lenient_parsing_of_templated_bodies(intake: Intake, redis: aioredis.Redis) -> None:
    # a raw newline inside a string (an unescaped {{ticket.description}}) is accepted
    newline = b'{"event": "ticket_created", "ticket": {"id": 201, "updated_at": "2026-11-30T08:00:00Z", ' \
              b'"description_text": "line one\nline two"}}'
    assert intake.post(content=newline).status_code == 202
    # an unescaped quote in the subject breaks JSON; event, id and updated_at are still unambiguous
    quote = b'{"event": "ticket_updated", "ticket": {"id": 202, "subject": "the "new" laptop", ' \
            b'"updated_at": "2026-11-30T08:05:00Z"}}'
    salvaged = intake.post(content=quote)
    assert salvaged.status_code == 202, salvaged.text
    assert salvaged.json()["key"] == "202:ticket_updated:2026-11-30T08:05:00Z"
    # a flat template and the event in the URL
    flat = intake.post({"ticket_id": "203", "updated_at": "2026-11-30 08:06:00"}, params={"event": "ticket_updated"})
    assert flat.status_code == 202, flat.text
    assert flat.json()["key"] == "203:ticket_updated:2026-11-30T08:06:00Z"
    assert (await IntakeQueue(redis).depth()).waiting == 3


async def test_note_added_is_acknowledged_and_not_queued(intake: Intake, redis: aioredis.Redis) -> None:
    response = intake.post(body(event="note_added"))
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert (await IntakeQueue(redis).depth()).waiting == 0


async def test_duplicates_are_queued_once(intake: Intake, redis: aioredis.Redis) -> None:
    first = intake.post(body(ticket_id=301, updated_at="2026-11-30T09:00:00Z"))
    again = intake.post(body(ticket_id=301, updated_at="2026-11-30T09:00:00+00:00"))  # same instant, other spelling
    later = intake.post(body(ticket_id=301, event="ticket_updated", updated_at="2026-11-30T09:01:00Z"))
    assert (first.status_code, again.status_code, later.status_code) == (202, 200, 202)
    assert again.json()["status"] == "duplicate"
    queue = IntakeQueue(redis)
    assert (await queue.depth()).waiting == 2
    ttl = await redis.ttl(queue.seen_prefix + "301:ticket_created:2026-11-30T09:00:00Z")
    assert 0 < ttl <= intake.settings.webhook_dedup_ttl_seconds


async def test_body_size_limit(intake: Intake, redis: aioredis.Redis) -> None:
    big = body(description_text="x" * (intake.settings.webhook_max_body_bytes + 10))
    response = intake.post(big)
    assert response.status_code == 413
    assert "too large" in response.json()["error"]
    assert (await IntakeQueue(redis).depth()).waiting == 0


def test_redis_down_is_503_with_retry_after(intake: Intake, tmp_path: Path) -> None:
    from tests.servers import free_port

    settings = triage_settings(intake.sandbox, f"redis://127.0.0.1:{free_port()}/0", tmp_path)  # nothing listens
    with serve(webhook_app(settings)) as base_url:
        down = Intake(base_url=base_url, sandbox=intake.sandbox, settings=settings, redis_url="")
        response = down.post(body(ticket_id=401))
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "nothing was accepted" in response.json()["error"]


def test_webhooks_off_without_a_secret(intake: Intake, tmp_path: Path) -> None:
    settings = triage_settings(intake.sandbox, intake.redis_url, tmp_path, webhook_secret=None)
    with serve(webhook_app(settings)) as base_url:
        response = Intake(base_url=base_url, sandbox=intake.sandbox, settings=settings, redis_url="").post(body())
    assert response.status_code == 404
    assert "COPILOT_WEBHOOK_SECRET" in response.json()["error"]


@pytest.mark.parametrize("secret", ["changeme", "short-but-random-Xy7", "a" * 48])
def test_production_refuses_a_weak_webhook_secret(secret: str) -> None:
    from pydantic import ValidationError

    from copilot.settings import Settings

    good = {"env": "production", "freshservice_url": "https://acme.freshservice.com",
            "freshservice_api_key": "k3Y-real-9f8e7d6c5b4a", "COPILOT_AUTH_SECRET": SECRET + "Qw"}
    Settings(**good)  # starts without webhooks
    Settings(**good, webhook_secret=SECRET)  # and with a strong secret
    with pytest.raises(ValidationError, match="COPILOT_WEBHOOK_SECRET"):
        Settings(**good, webhook_secret=secret)
