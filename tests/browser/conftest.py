"""The real app (Chainlit, as a subprocess like in production) + a sandbox, driven by Chromium.

Debian's Chromium is used through ``executable_path`` (Playwright never downloads a browser here);
``make test`` installs it when running as root. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import SandboxHandle
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SECRET = "browser-test-secret-0123456789-0123456789-abcdef"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class RunningApp:
    url: str
    sandbox: SandboxHandle
    secret: str
    data_dir: str


def _wait(url: str, process: subprocess.Popen[bytes], ready: Callable[[httpx.Response], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited with {process.returncode}; see test-artifacts/app.log")
        try:
            response = httpx.get(url, timeout=3)
            if ready(response):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {seconds:.0f} s")


@contextmanager
def running_app(handle: SandboxHandle, redis_url: str, data_dir: str, log_name: str,
                ready: Callable[[httpx.Response], bool], seconds: float,
                extra_env: dict[str, str] | None = None) -> Iterator[RunningApp]:
    """``python -m copilot.serve app.py`` (the app's entry point) as a subprocess on a free port, yielded once
    ``/healthz`` passes ``ready``."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    env = {**os.environ, "COPILOT_ENV": "development",
           "COPILOT_FRESHSERVICE_URL": handle.base_url, "COPILOT_FRESHSERVICE_API_KEY": handle.api_key,
           "COPILOT_REDIS_URL": redis_url, "COPILOT_DATA_DIR": data_dir,
           "CHAINLIT_AUTH_SECRET": SECRET, "PORT": str(port), "COPILOT_KB_SYNC_INTERVAL_SECONDS": "3600",
           "COPILOT_ALLOWED_ORIGINS": "https://intranet.acme.example",
           # the triage tests share this Redis: an embedded worker here would take their events
           "COPILOT_TRIAGE_WORKER": "off", **(extra_env or {})}
    log = (ARTIFACTS / log_name).open("wb")
    process = subprocess.Popen([sys.executable, "-m", "copilot.serve", "app.py", "--host", "127.0.0.1",
                                "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{url}/healthz", process, ready, seconds)
        yield RunningApp(url=url, sandbox=handle, secret=SECRET, data_dir=data_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def knowledge_ready(response: httpx.Response) -> bool:
    return bool(response.json().get("components", {}).get("knowledge", {}).get("status") == "ok")


@pytest.fixture(scope="session")
def app(sandbox_factory: Callable[..., SandboxHandle], redis_url: str,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (make test installs it when run as root)")
    handle = sandbox_factory(knowledge="org")
    data_dir = tmp_path_factory.mktemp("app")
    modes = data_dir / "triage-modes.yaml"  # shown by the reviewer queue (tests/browser/test_console.py)
    modes.write_text("default: shadow\nrules:\n  - {type: Incident, category: Email, mode: autonomous, send_kb_reply: true}\n"
                     "  - {type: Service Request, mode: shadow}\n  - {type: Incident, mode: assist}\n")
    with running_app(handle, redis_url, str(data_dir), "app.log", knowledge_ready, 240,
                     extra_env={"COPILOT_TRIAGE_MODES_FILE": str(modes)}) as running:
        yield running


@pytest.fixture(scope="module")  # sync Playwright owns the main thread's loop while open: keep it short-lived
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(30_000)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    yield page
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
