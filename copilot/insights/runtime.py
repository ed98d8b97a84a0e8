"""Wiring for the consumer and the dashboard: the database, office hours, and the embedded loop."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from copilot import logs, store
from copilot.insights.consumer import Consumer
from copilot.insights.store import InsightsStore, OpenAt, default_open
from copilot.insights.tables import create_tables, make_engine
from copilot.settings import Settings
from tools.business_hours import OfficeHours
from tools.freshservice import FreshserviceClient, FreshserviceError

log = logs.get_logger(__name__)
_engines: dict[str, AsyncEngine] = {}
_lock = asyncio.Lock()


async def database(settings: Settings) -> AsyncEngine:
    """The analytics engine of this process (one per database URL), tables created on first use."""
    url = settings.history_url
    async with _lock:  # the consumer, the gauges and the first page load may all ask at once
        engine = _engines.get(url)
        if engine is None:
            engine = make_engine(url)
            await create_tables(engine)
            _engines[url] = engine
    return engine


async def dispose() -> None:
    for engine in _engines.values():
        await engine.dispose()
    _engines.clear()


async def office_hours(client: FreshserviceClient | None) -> OpenAt:
    """Whether the service desk is open at a moment: the account's default business hours, else Mon–Fri 8–18 UTC."""
    if client is None:
        return default_open
    try:
        async for hours in client.iter_business_hours():
            if hours.is_default:
                return OfficeHours.from_freshservice(hours).is_open
    except FreshserviceError as error:
        log.warning("insights_business_hours_unavailable", error=type(error).__name__)
    return default_open


async def insights_store(settings: Settings, client: FreshserviceClient | None = None) -> InsightsStore:
    return InsightsStore(await database(settings), window=timedelta(hours=settings.insights_likely_resolved_hours),
                         is_open=await office_hours(client))


async def consumer(settings: Settings, client: FreshserviceClient | None = None) -> Consumer:
    redis = await store.get_redis(settings)
    return Consumer(redis, await insights_store(settings, client),
                    retention=timedelta(days=settings.insights_retention_days))


async def run_embedded(settings: Settings, client: FreshserviceClient | None) -> None:
    """The consumer inside the app process (development default; production runs ``python -m copilot.insights consume``)."""
    running = await consumer(settings, client)
    log.info("insights_consumer_started", placement="embedded")
    await running.run_forever(poll_seconds=settings.insights_poll_seconds, client=client,
                              housekeeping_seconds=settings.insights_ticket_sync_minutes * 60)
