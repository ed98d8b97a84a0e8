"""The app's entry point (``python -m copilot.serve``) runs asyncio's C tasks: ``nest_asyncio`` is never applied.

Each case starts an entry point in its own process on the real ``app.py``, with the server's ``serve``
replaced by a probe that looks at the running event loop, task and modules from inside the server's own
coroutine (where every request would run), and then returns, so the process exits without listening. The
same probe under ``chainlit run`` (which imports ``chainlit.cli`` and with it ``nest_asyncio.apply()``) shows
the pure-Python task: the check can fail. Both also show that our graceful-shutdown bound and the
per-message deflate setting and the request-head limit reach the uvicorn config under either entry point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from copilot.web.serving import MAX_REQUEST_HEAD_BYTES

ROOT = Path(__file__).resolve().parents[2]
SECRET = "Qm7vT2xLr9Kc4Wb1Nz8Hd5Jf0Gp3Ys-Ue_Ai6Ok2Rt"
MARK = "SERVE-PROBE "  # the probe's line in the output

PROBE = """
import asyncio, json, runpy, sys
import _asyncio
from copilot.web import serving

async def probe(self, sockets=None):
    loop = asyncio.get_running_loop()
    print("SERVE-PROBE " + json.dumps({
        "c_task": type(asyncio.current_task()) is _asyncio.Task,
        "nest_patched": hasattr(asyncio, "_nest_patched") or hasattr(type(loop), "_nest_patched"),
        "chainlit_cli": "chainlit.cli" in sys.modules,
        "nest_asyncio_imported": "nest_asyncio" in sys.modules,
        "server": type(self).__name__,
        "grace": self.config.timeout_graceful_shutdown,
        "deflate": self.config.ws_per_message_deflate,
        "head_limit": self.config.h11_max_incomplete_event_size,
        "host": self.config.host, "port": self.config.port,
    }), flush=True)

serving.DrainingServer.serve = probe
module, *argv = sys.argv[1:]
sys.argv = [module, *argv]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def probe(tmp_path: Path, *command: str) -> dict[str, Any]:
    env = {**os.environ, "COPILOT_ENV": "development", "COPILOT_DATA_DIR": str(tmp_path),
           "COPILOT_FRESHSERVICE_URL": "http://127.0.0.1:9", "CHAINLIT_AUTH_SECRET": SECRET,
           "COPILOT_TRIAGE_WORKER": "off", "COPILOT_SHUTDOWN_GRACE_SECONDS": "3",
           "COPILOT_WS_PER_MESSAGE_DEFLATE": "false", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE, *command, "--host", "127.0.0.1", "--port", "8971"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    assert done.returncode == 0 and lines, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return dict(json.loads(lines[0][len(MARK):]))


def test_the_entry_point_serves_on_c_tasks_without_nest_asyncio(tmp_path: Path) -> None:
    seen = probe(tmp_path, "copilot.serve", "app.py")
    assert seen["c_task"] is True
    assert seen["nest_patched"] is False
    assert seen["chainlit_cli"] is False and seen["nest_asyncio_imported"] is False
    assert (seen["server"], seen["grace"], seen["deflate"]) == ("DrainingServer", 3.0, False)
    assert seen["head_limit"] == MAX_REQUEST_HEAD_BYTES
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 8971)


def test_chainlit_run_still_works_and_the_probe_sees_its_nest_asyncio(tmp_path: Path) -> None:
    seen = probe(tmp_path, "chainlit", "run", "app.py", "--headless")
    assert seen["chainlit_cli"] is True
    assert seen["nest_patched"] is True and seen["c_task"] is False  # what the first test would see if it regressed
    assert (seen["server"], seen["grace"], seen["deflate"]) == ("DrainingServer", 3.0, False)
    assert seen["head_limit"] == MAX_REQUEST_HEAD_BYTES
