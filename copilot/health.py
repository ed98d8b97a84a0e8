"""Health of the parts the copilot depends on, for ``/healthz`` and the start-up banner.

Each check is small, bounded by a timeout, and says in plain words what is wrong, so an operator
reading ``/healthz`` knows which part to look at.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Literal

from pydantic import BaseModel

from copilot import store
from copilot.settings import Settings

Status = Literal["ok", "degraded", "down"]
CHECK_TIMEOUT_SECONDS = 3.0


class ComponentHealth(BaseModel):
    status: Status
    detail: str
    latency_ms: float | None = None


class HealthReport(BaseModel):
    status: Status
    components: dict[str, ComponentHealth]


Check = Callable[[], Awaitable[ComponentHealth]]


async def _timed(check: Check) -> ComponentHealth:
    started = time.perf_counter()
    try:
        result = await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return ComponentHealth(status="down", detail=f"no answer within {CHECK_TIMEOUT_SECONDS:.0f} s")
    except Exception as exc:  # a health check reports failures, it never raises them
        return ComponentHealth(status="down", detail=f"{type(exc).__name__}: {exc}")
    result.latency_ms = round((time.perf_counter() - started) * 1000, 1)
    return result


def redis_check(settings: Settings) -> Check:
    async def check() -> ComponentHealth:
        redis = await store.get_redis(settings)
        await redis.ping()
        return ComponentHealth(status="ok", detail=store.describe(settings))

    return check


async def collect(checks: dict[str, Check]) -> HealthReport:
    """Run all checks concurrently; the worst component decides the overall status."""
    results = await asyncio.gather(*(_timed(check) for check in checks.values()))
    components = dict(zip(checks, results, strict=True))
    order: dict[Status, int] = {"ok": 0, "degraded": 1, "down": 2}
    worst = max((c.status for c in components.values()), key=order.__getitem__, default="ok")
    return HealthReport(status=worst, components=components)
