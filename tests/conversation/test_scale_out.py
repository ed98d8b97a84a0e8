"""Two REST replicas (separate uvicorn processes, ``copilot.web.standalone:app_from_env``) sharing one
Redis and the sandbox: a conversation continues on whichever replica gets the next turn, and the
shipped HAProxy config (deploy/haproxy.cfg) spreads REST turns over both."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from copilot.web.serving import MAX_REQUEST_HEAD_BYTES
from tests.conftest import SandboxHandle
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "scale-out-token"
ALICE = "alice.nguyen@acme.example"
pytestmark = pytest.mark.timeout(900)  # the first test also starts two cold replicas (see wait_ready)


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 600) -> None:
    """Until /healthz answers: a cold replica exports and quantises MiniLM first (minutes on a busy machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{process.args!s} exited with {process.returncode}"
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout:.0f} s")


@pytest.fixture(scope="module")
def replicas(sandbox_factory: Callable[..., SandboxHandle], redis_url: str,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SandboxHandle, list[str]]]:
    sandbox = sandbox_factory(knowledge="org")
    processes: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for name in ("a", "b"):
            port = free_port()
            env = {**os.environ, "COPILOT_ENV": "development", "COPILOT_FRESHSERVICE_URL": sandbox.base_url,
                   "COPILOT_FRESHSERVICE_API_KEY": sandbox.api_key, "COPILOT_REDIS_URL": redis_url,
                   "COPILOT_DATA_DIR": str(tmp_path_factory.mktemp(f"replica-{name}")), "COPILOT_API_TOKENS": TOKEN,
                   "COPILOT_LOG_LEVEL": "WARNING", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                   "COPILOT_TRIAGE_WORKER": "off"}  # the triage tests share this Redis
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "copilot.web.standalone:app_from_env", "--factory",
                 "--h11-max-incomplete-event-size", str(MAX_REQUEST_HEAD_BYTES), "--host",
                 "127.0.0.1", "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env))
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            wait_ready(f"{url}/healthz", process)
        yield sandbox, urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {TOKEN}", "X-Employee-Email": ALICE})


def say(http: httpx.Client, conversation: str, text: str) -> str:
    response = http.post(f"/api/v1/conversations/{conversation}/messages", json={"text": text})
    assert response.status_code == 200, response.text
    return "\n".join(m["text"] for m in response.json()["messages"])


def service_requests(sandbox: SandboxHandle) -> list[dict[str, object]]:
    calls = sandbox.control("GET", "/_sandbox/requests").json()["requests"]
    return [c for c in calls if c["method"] == "POST" and re.search(r"/service_catalog/items/\d+/place_request", c["path"])]


def test_a_request_form_continues_across_replicas_turn_by_turn(replicas: tuple[SandboxHandle, list[str]]) -> None:
    sandbox, (a_url, b_url) = replicas
    sandbox.control("POST", "/_sandbox/reset")
    with client(a_url) as a, client(b_url) as b:
        conversation = a.post("/api/v1/conversations").json()["id"]
        assert "Operating system" in say(a, conversation, "I need Adobe Acrobat Pro")
        assert "justification" in say(b, conversation, "macOS").lower()
        summary = say(a, conversation, "to edit customer contracts")
        assert "Shall I submit" in summary and "$240.00" in summary
        done = say(b, conversation, "yes")
        assert re.search(r"SR-\d+", done), done
        assert not re.search(r"SR-\d+", say(a, conversation, "yes"))  # a repeated yes on the other replica sends nothing
        assert len(service_requests(sandbox)) == 1
        transcript = b.get(f"/api/v1/conversations/{conversation}").json()["transcript"]
        assert [e["text"] for e in transcript if e["role"] == "employee"] == [
            "I need Adobe Acrobat Pro", "macOS", "to edit customer contracts", "yes", "yes"]


@pytest.mark.skipif(shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists(),
                    reason="haproxy is not installed (apt-get install haproxy)")
def test_the_shipped_haproxy_config_spreads_rest_turns_over_both_replicas(
        replicas: tuple[SandboxHandle, list[str]], tmp_path: Path) -> None:
    _, urls = replicas
    port = free_port()
    servers = "\n".join(f"    server app{i} {u.removeprefix('http://')} check inter 2s cookie app{i}"
                        for i, u in enumerate(urls))
    config = (ROOT / "deploy" / "haproxy.cfg").read_text().replace("bind 127.0.0.1:8080", f"bind 127.0.0.1:{port}")
    config = re.sub(r"    # servers-begin\n.*?    # servers-end", lambda _: servers, config, flags=re.S)
    (tmp_path / "haproxy.cfg").write_text(config)
    proxy = subprocess.Popen([shutil.which("haproxy") or "/usr/sbin/haproxy", "-f", str(tmp_path / "haproxy.cfg"), "-db"],
                             stdout=subprocess.DEVNULL)

    def turns(url: str) -> float:
        text = httpx.get(f"{url}/metrics", timeout=10).text
        return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith("copilot_turns_total"))

    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz", proxy)
        before = [turns(u) for u in urls]
        with client(f"http://127.0.0.1:{port}") as http:
            conversation = http.post("/api/v1/conversations").json()["id"]
            replies = [say(http, conversation, "how do I connect to the VPN?") for _ in range(8)]
        served = [turns(u) - b for u, b in zip(urls, before, strict=True)]
        assert all("VPN" in r for r in replies)
        assert sum(served) == 8 and min(served) >= 1, served  # REST is not sticky: both replicas took turns
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
