"""Production web surface: no demo REST token, no token minting on the demo portal, a CSP that
blocks remote images, and no CORS reflection of arbitrary origins (the real routers, in-process)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from copilot import services as services_module
from copilot.settings import DEMO_API_TOKEN, Settings, get_settings
from copilot.web import api, portal

SECRET = "kX3v9Qm2Lr7Tz1Wb8Nc4Hd6Jf0Gp5Ys-Ue_Ai2Ok7Rt"
PRODUCTION = {"COPILOT_FRESHSERVICE_URL": "https://acme.freshservice.com",
              "COPILOT_FRESHSERVICE_API_KEY": "Fs8kq2LmZx7RwT1vNp4c", "CHAINLIT_AUTH_SECRET": SECRET}
# COPILOT_ENV is unset in PRODUCTION on purpose: production is the default.
DEVELOPMENT = {"COPILOT_ENV": "development", "CHAINLIT_AUTH_SECRET": SECRET}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """A clean COPILOT_* environment; the process-wide settings are re-read from it."""
    import os

    for name in list(os.environ):
        if name.startswith(("COPILOT_", "CHAINLIT_AUTH")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # no .env is read
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def use(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> Settings:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
async def rest_for(environment: pytest.MonkeyPatch) -> AsyncIterator[object]:
    """Serve the real REST router with the process-wide services built from the given settings."""
    built: list[services_module.Services] = []

    def make(values: dict[str, str]) -> httpx.AsyncClient:
        settings = use(environment, values)
        services = services_module.build_services(settings)
        built.append(services)
        environment.setattr(services_module, "_services", services)  # restored after the test
        app = FastAPI()
        app.include_router(api.router)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://copilot.test")

    yield make
    for services in built:
        await services.freshservice.aclose()


async def test_demo_rest_token_is_refused_in_production(rest_for, environment: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {DEMO_API_TOKEN}"}  # no X-Employee-Email: 400 once the token passes
    async with rest_for(DEVELOPMENT) as http:
        assert (await http.post("/api/v1/conversations", headers=headers)).status_code == 400
    environment.delenv("COPILOT_ENV")
    async with rest_for(PRODUCTION) as http:
        response = await http.post("/api/v1/conversations", headers=headers)
        assert response.status_code == 401, response.text


def portal_app(settings: Settings) -> FastAPI:
    app = FastAPI()
    app.include_router(portal.router)
    portal.install_security_headers(app, settings)
    return app


def minted_token(page: str) -> str:
    match = re.search(r'"accessToken": "([^"]*)"', page)
    assert match, "the widget config is on the page"
    return match.group(1)


async def test_portal_mints_tokens_only_in_development(environment: pytest.MonkeyPatch) -> None:
    settings = use(environment, DEVELOPMENT)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=portal_app(settings)), base_url="http://t") as http:
        page = (await http.get("/portal", params={"employee": "bob.martin@acme.example"})).text
    claims = jwt.decode(minted_token(page), SECRET, algorithms=["HS256"])
    assert claims["identifier"] == "bob.martin@acme.example"

    environment.delenv("COPILOT_ENV")
    settings = use(environment, PRODUCTION)
    assert settings.env == "production"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=portal_app(settings)), base_url="http://t") as http:
        response = await http.get("/portal", params={"employee": "bob.martin@acme.example"})
    assert response.status_code == 200  # the page renders, without a token
    assert minted_token(response.text) == ""
    assert "bob.martin" not in response.text


async def test_csp_blocks_remote_images_and_keeps_frame_ancestors(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("COPILOT_FRAME_ANCESTORS", "https://intranet.acme.example")
    settings = use(environment, PRODUCTION)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=portal_app(settings)), base_url="http://t") as http:
        policy = (await http.get("/portal/admin")).headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives["frame-ancestors"] == ["https://intranet.acme.example"]
    assert "img-src" in directives and not any(s in {"*", "http:", "https:"} for s in directives["img-src"])
    assert "'self'" in directives["img-src"] and "data:" in directives["img-src"]


async def test_production_without_allowed_origins_reflects_no_origin(environment: pytest.MonkeyPatch) -> None:
    """Chainlit's own CORS list (allow_origins ["*"] in .chainlit/config.toml) becomes same-origin only."""
    from chainlit.config import config

    saved = list(config.project.allow_origins)
    try:
        config.project.allow_origins[:] = ["*"]
        app = FastAPI()
        app.add_middleware(CORSMiddleware, allow_origins=config.project.allow_origins, allow_credentials=True,
                           allow_methods=["*"], allow_headers=["*"])  # as chainlit.server does
        app.include_router(portal.router)
        portal.install_security_headers(app, use(environment, PRODUCTION))
        preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            options = await http.options("/portal", headers=preflight)
            simple = await http.get("/portal/admin", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in options.headers
        assert "access-control-allow-origin" not in simple.headers
        assert config.project.allow_origins == []
    finally:
        config.project.allow_origins[:] = saved
