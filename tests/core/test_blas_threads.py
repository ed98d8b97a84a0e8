"""Serving processes run numpy's BLAS on one thread (copilot/services.py): checked in a fresh process, since the
limit is process-wide and other tests' processes may differ."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, sys
from threadpoolctl import threadpool_info
import numpy
before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
from copilot.services import build_services
from copilot.settings import Settings
build_services(Settings(env="development", data_dir=sys.argv[1]))
after = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
print(json.dumps({"before": before, "after": after}))
"""


def test_building_the_services_limits_blas_to_one_thread(tmp_path: Path) -> None:
    env_free = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no OPENBLAS_NUM_THREADS from the caller
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
                          env=env_free, cwd=Path(__file__).resolve().parents[2], timeout=120, check=True)
    threads = json.loads(done.stdout.strip().splitlines()[-1])
    assert threads["before"] and threads["after"] == [1] * len(threads["after"])
