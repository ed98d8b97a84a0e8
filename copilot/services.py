"""The app-wide parts, built once per process and shared by every conversation.

Holds connection-like singletons only (settings, the Freshservice client, Redis); anything that
belongs to one employee or one conversation lives in the engine, never here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from copilot import health, store
from copilot.settings import Settings, get_settings
from tools.freshservice import FreshserviceClient


@dataclass
class Services:
    settings: Settings
    freshservice: FreshserviceClient

    def health_checks(self) -> dict[str, health.Check]:
        return {
            "redis": health.redis_check(self.settings),
            "freshservice": self._freshservice_check,
        }

    async def _freshservice_check(self) -> health.ComponentHealth:
        me = await self.freshservice.get_me()
        where = "sandbox" if self.settings.uses_sandbox else self.settings.freshservice_base_url
        remaining = self.freshservice.rate_limit.remaining
        detail = f"{where}, API key of agent {me.id}"
        if remaining is not None:
            detail += f", rate-limit remaining {remaining}"
        return health.ComponentHealth(status="ok", detail=detail)

    async def aclose(self) -> None:
        await self.freshservice.aclose()
        await store.close_redis()


_services: Services | None = None
_lock = asyncio.Lock()


async def get_services(settings: Settings | None = None) -> Services:
    """The process-wide services, created on first use."""
    global _services
    async with _lock:
        if _services is None:
            settings = settings or get_settings()
            client = FreshserviceClient(
                settings.freshservice_base_url,
                settings.freshservice_api_key.get_secret_value(),
                timeout=settings.freshservice_timeout,
            )
            _services = Services(settings=settings, freshservice=client)
    return _services


async def close_services() -> None:
    global _services
    if _services is not None:
        await _services.aclose()
        _services = None
