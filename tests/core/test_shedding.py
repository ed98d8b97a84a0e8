"""A saturated process refuses REST requests at the door, with words and Retry-After, before any work."""

from __future__ import annotations

import asyncio

import httpx
import structlog
from fastapi import FastAPI

from copilot import logs
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


async def test_refusals_under_overload_are_logged_once_per_interval_with_a_count() -> None:
    release = asyncio.Event()
    entered = asyncio.Event()
    app = FastAPI()

    @app.post("/api/v1/slow")
    async def slow() -> dict[str, str]:
        entered.set()
        await release.wait()
        return {"ok": "yes"}

    shed = LoadShedding(app, max_in_flight=1)
    with structlog.testing.capture_logs() as written:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=shed), base_url="http://copilot") as http:
            first = asyncio.create_task(http.post("/api/v1/slow"))
            await entered.wait()
            refused = [await http.post("/api/v1/slow") for _ in range(50)]
            release.set()
            await first
    assert all(r.status_code == 503 for r in refused)
    shed_lines = [line for line in written if line["event"] == "request_shed"]
    assert len(shed_lines) == 1, shed_lines  # not fifty
    assert shed_lines[0]["log_level"] == "warning" and shed_lines[0]["suppressed"] == 0


def test_a_throttled_warning_reports_how_many_it_left_out() -> None:
    now = [0.0]
    with structlog.testing.capture_logs() as written:
        throttled = logs.Throttled(structlog.get_logger("test"), interval=10.0, clock=lambda: now[0])
        assert throttled.warning("request_failed", key="Busy", status=503)
        for step in range(1, 30):
            now[0] = step * 0.1
            assert not throttled.warning("request_failed", key="Busy", status=503)
        assert throttled.warning("request_failed", key="RedisError", status=503)  # another kind is not hidden
        now[0] = 10.5
        assert throttled.warning("request_failed", key="Busy", status=503)
    assert [(line["key"] if "key" in line else None, line["suppressed"]) for line in written] == [
        (None, 0), (None, 0), (None, 29)]
    assert [line["status"] for line in written] == [503, 503, 503]
