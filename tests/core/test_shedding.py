"""A saturated process refuses REST requests at the door, with words and Retry-After, before any work."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from copilot.web.shedding import LoadShedding


async def test_requests_beyond_the_limit_are_refused_at_once_and_others_pass() -> None:
    release = asyncio.Event()
    entered = asyncio.Event()
    app = FastAPI()

    @app.post("/api/v1/slow")
    async def slow() -> dict[str, str]:
        entered.set()
        await release.wait()
        return {"ok": "yes"}

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    shed = LoadShedding(app, max_in_flight=1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=shed), base_url="http://copilot") as http:
        first = asyncio.create_task(http.post("/api/v1/slow"))
        await entered.wait()
        refused = await http.post("/api/v1/slow")
        assert refused.status_code == 503 and refused.headers["retry-after"]
        assert "busy" in refused.json()["detail"]["error"]
        assert (await http.get("/healthz")).status_code == 200  # only the REST channel is shed
        assert not first.done()
        release.set()
        assert (await first).status_code == 200
        assert shed.in_flight == 0
        release.clear()
        entered.clear()
        second = asyncio.create_task(http.post("/api/v1/slow"))  # room again once the first finished
        await entered.wait()
        release.set()
        assert (await second).status_code == 200
