"""Run conversation cases against a *running* copilot over its REST API, as an integration would.

    python -m copilot.eval conversations --cases FILE --app-url http://127.0.0.1:8000 --token TOKEN \
        --freshservice-url http://127.0.0.1:8001 --api-key sandbox-api-key

The same cases and checks as the in-process run (``copilot.eval.conversations``): each case opens a conversation
as its employee (``Authorization: Bearer TOKEN`` and ``X-Employee-Email``), sends its turns to
``POST /api/v1/conversations/{id}/messages`` and reads the conversation's state from
``GET /api/v1/conversations/{id}`` before and after each turn. The Freshservice the app talks to is given too:
it is reset before each case (``POST /_sandbox/reset``, a sandbox only) and read afterwards for what was created.
Nothing of the app runs in this process.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from copilot.engine import ReplyMessage, TurnResult
from copilot.eval.conversations import CaseResult, Snapshot, judge_final, judge_turn
from tools.freshservice import FreshserviceClient
from tools.results import ToolActivity


class RestChat:
    """One employee's conversation over the REST API."""

    def __init__(self, app: httpx.AsyncClient, email: str) -> None:
        self.app, self.headers = app, {"X-Employee-Email": email}
        self.id = ""

    async def open(self) -> None:
        response = await self.app.post("/api/v1/conversations", headers=self.headers)
        response.raise_for_status()
        self.id = response.json()["id"]

    async def snapshot(self) -> Snapshot:
        response = await self.app.get(f"/api/v1/conversations/{self.id}", headers=self.headers)
        response.raise_for_status()
        return Snapshot.of_rest(response.json())

    async def say(self, text: str) -> TurnResult:
        response = await self.app.post(f"/api/v1/conversations/{self.id}/messages", headers=self.headers,
                                       json={"text": text})
        response.raise_for_status()
        body = response.json()
        return TurnResult(conversation_id=self.id, handoff=bool(body.get("handoff")), tickets=body.get("tickets", []),
                          messages=[ReplyMessage.model_validate(m) for m in body["messages"]],
                          activities=[ToolActivity.model_validate(a) for a in body.get("activities", [])])


async def run_case(case: dict[str, Any], app: httpx.AsyncClient, client: FreshserviceClient,
                   control: httpx.AsyncClient | None) -> CaseResult:
    if control is not None:
        (await control.post("/_sandbox/reset")).raise_for_status()
    requester = await client.find_requester_by_email(case["employee"])
    if requester is None:
        raise LookupError(f"no requester {case['employee']} in the Freshservice the app uses")
    before_ids = {t.id async for t in client.filter_tickets(f"requester_id:{requester.id}")}
    chat = RestChat(app, case["employee"])
    await chat.open()
    failures: list[str] = []
    timings: list[float] = []
    for number, turn in enumerate(case["turns"], start=1):
        before = await chat.snapshot()
        started = time.perf_counter()
        result = await chat.say(turn["say"])
        timings.append((time.perf_counter() - started) * 1000)
        failures += judge_turn(number, turn, result, before, await chat.snapshot())
    failures += await judge_final(case, client, requester.id, before_ids, await chat.snapshot())
    return CaseResult(case["id"], case["behaviour"], not failures, failures, timings)


async def run_all(cases: list[dict[str, Any]], app_url: str, token: str, freshservice_url: str, api_key: str, *,
                  reset: bool = True) -> list[CaseResult]:
    results: list[CaseResult] = []
    async with httpx.AsyncClient(base_url=app_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as app, \
            FreshserviceClient(freshservice_url, api_key) as client, \
            httpx.AsyncClient(base_url=freshservice_url, auth=(api_key, "X"), timeout=30) as control:
        for case in cases:
            results.append(await run_case(case, app, client, control if reset else None))
    return results


def run(cases: list[dict[str, Any]], app_url: str, token: str, freshservice_url: str, api_key: str,
        reset: bool = True) -> list[CaseResult]:
    return asyncio.run(run_all(cases, app_url, token, freshservice_url, api_key, reset=reset))
