"""``make run``: start the whole stack on embedded defaults and print where it is.

Runs in development (demo sign-in, demo REST token, demo portal) unless ``COPILOT_ENV`` is set in the
environment or in ``.env``: the settings default to production, which refuses the sandbox. Starts the
Freshservice sandbox (unless ``COPILOT_FRESHSERVICE_URL`` points at a real account), waits until it
answers, then starts the Chainlit app, and stops both together on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import MutableMapping
from pathlib import Path

import httpx
from dotenv import dotenv_values

from copilot.settings import DEMO_API_TOKEN, PROJECT_ROOT, Settings, get_settings

READY_TIMEOUT_SECONDS = 120.0


def default_to_development(environ: MutableMapping[str, str] = os.environ,
                           dotenv_file: Path = PROJECT_ROOT / ".env") -> str:
    """``make run`` is the local demo: COPILOT_ENV=development for this process and its children,
    unless COPILOT_ENV is already chosen in the environment or in the project's ``.env``."""
    chosen = environ.get("COPILOT_ENV") or (dotenv_values(dotenv_file).get("COPILOT_ENV") or "").strip()
    if not chosen:
        environ["COPILOT_ENV"] = chosen = "development"
    return chosen


def wait_until_ready(url: str, *, auth: tuple[str, str] | None = None, process: subprocess.Popen[bytes]) -> None:
    """Poll ``url`` until it answers below 500; fail early if the process died."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args!s} exited with code {process.returncode}")
        try:
            if httpx.get(url, auth=auth, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {READY_TIMEOUT_SECONDS:.0f} s")


def wire_sandbox_webhooks(settings: Settings, environ: MutableMapping[str, str] = os.environ) -> bool:
    """With the sandbox, have it send ticket events to the app like Workflow Automator would, with the
    configured webhook secret or one made for this run (the app and the sandbox inherit ``environ``)."""
    if not settings.uses_sandbox or settings.triage_worker_mode == "off":
        return False
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else secrets.token_urlsafe(32)
    environ["COPILOT_WEBHOOK_SECRET"] = secret
    environ["SANDBOX_WEBHOOKS"] = json.dumps([{
        "url": f"http://127.0.0.1:{settings.port}/webhooks/freshservice", "header_name": settings.webhook_header,
        "header_value": secret, "events": ["ticket_created", "ticket_updated"]}])
    return True


def start_sandbox(settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SANDBOX_API_KEY": settings.freshservice_api_key.get_secret_value()}
    cmd = [sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", str(settings.sandbox_port)]
    process = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env)
    auth = (settings.freshservice_api_key.get_secret_value(), "X")
    wait_until_ready(f"{settings.freshservice_base_url}/api/v2/agents/me", auth=auth, process=process)
    return process


def start_app(settings: Settings) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "copilot.serve", "app.py", "--host", settings.host, "--port", str(settings.port)]
    process = subprocess.Popen(cmd, cwd=PROJECT_ROOT)
    wait_until_ready(f"http://127.0.0.1:{settings.port}/healthz", process=process)
    return process


def banner(settings: Settings) -> str:
    app = f"http://{settings.host}:{settings.port}"
    lines = [
        "",
        "Portal Copilot is running.",
        f"  Chat (full page):   {app}/",
        f"  Demo portal/widget: {app}/portal   (iframe: {app}/portal/iframe, admin snippet: {app}/portal/admin)",
        f"  Health / metrics:   {app}/healthz  {app}/metrics",
        f"  Freshservice:       {settings.freshservice_base_url}" + (" (sandbox)" if settings.uses_sandbox else ""),
    ]
    if settings.demo_login_enabled:
        lines.append(f"  Demo sign-in:       alice.nguyen@acme.example (or bob.martin, carol.diaz, dan.okafor, "
                     f"erin.walsh) with password '{settings.demo_password.get_secret_value()}'")
    if settings.api_tokens is None and settings.env == "development":
        lines.append(f"  REST API token:     {DEMO_API_TOKEN}  (header X-Employee-Email: alice.nguyen@acme.example)")
    if settings.uses_sandbox and settings.triage_worker_mode == "embedded":
        lines.append("  Triage:             new sandbox tickets get a triage note (worker in the app; "
                     "train the models once with: python -m copilot.triage train; shadow mode unless "
                     "COPILOT_TRIAGE_MODES_FILE says assist, so /console stays empty — see README)")
    lines += ["  The knowledge index builds in the background on first start (a few minutes; /healthz shows it).",
              "Stop with Ctrl-C.", ""]
    return "\n".join(lines)


def main() -> None:
    default_to_development()
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    processes: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> None:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        wire_sandbox_webhooks(settings)
        if settings.uses_sandbox:
            processes.append(start_sandbox(settings))
        processes.append(start_app(settings))
        print(banner(settings), flush=True)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("A process stopped; shutting down.", file=sys.stderr)
    finally:
        stop()


if __name__ == "__main__":
    main()
