"""The REST channel as its own ASGI app (no Chainlit UI): for integrations that only need the API,
for the conversation tests, which drive the real engine over real HTTP, and for REST replicas
behind a load balancer (``uvicorn copilot.web.standalone:app_from_env --factory``, settings from
the environment, see docs/scale-out.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from copilot import logs
from copilot.services import close_services, get_services
from copilot.settings import Settings, get_settings
from copilot.web import api, routes, webhooks


def create_api_app(settings: Settings, *, sync_knowledge: bool = True) -> FastAPI:
    logs.configure(settings.log_level, settings.secret_values())
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        services = await get_services(settings)
        if settings.model == "offline":  # fit the NLU now, in a thread, not in the first employee's turn
            from copilot.models.offline.nlu import shared

            await asyncio.to_thread(shared)
        if sync_knowledge:
            await services.knowledge.sync(services.freshservice)
        yield
        await close_services()

    app = FastAPI(title="Portal Copilot API", lifespan=lifespan)
    app.state.settings = settings  # routes that need only settings read them here (webhooks)
    routes.install(app, api.router, webhooks.router, max_in_flight=settings.max_rest_in_flight)
    return app


def app_from_env() -> FastAPI:
    """The REST app configured from ``COPILOT_*`` environment variables (one uvicorn replica)."""
    return create_api_app(get_settings())
