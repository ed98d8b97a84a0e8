"""Routes added to Chainlit's FastAPI app, placed before Chainlit's catch-all SPA route."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response

from copilot import health, metrics
from copilot.services import get_services
from copilot.web.api import install_failure_handlers
from copilot.web.shedding import LoadShedding

router = APIRouter()


@router.get("/healthz", tags=["operations"])
async def healthz() -> JSONResponse:
    """State of Redis, Freshservice (or the sandbox) and the knowledge index; 503 when one is down."""
    services = await get_services()
    report = await health.collect(services.health_checks())
    return JSONResponse(report.model_dump(), status_code=200 if report.status != "down" else 503)


@router.get("/metrics", tags=["operations"])
async def metrics_endpoint() -> Response:
    """Prometheus metrics: turns, turn latency, tool calls, escalations, errors, Freshservice budget."""
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)


def install(app: FastAPI, *routers: APIRouter, max_in_flight: int | None = None) -> None:
    """Include ``routers`` ahead of Chainlit's ``GET /{full_path:path}`` (see chainlit notes §5.1), answer
    infrastructure failures with 503 + Retry-After and words (``copilot.web.api``), and, with
    ``max_in_flight``, refuse REST requests beyond it at the door (``copilot.web.shedding``)."""
    install_failure_handlers(app)
    if max_in_flight is not None:
        app.add_middleware(LoadShedding, max_in_flight=max_in_flight)
    for extra in (router, *routers):
        before = len(app.router.routes)
        app.include_router(extra)
        added = app.router.routes[before:]
        del app.router.routes[before:]
        app.router.routes[0:0] = added
